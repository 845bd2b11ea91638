package io.resalign.repro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reproduction command runs end to end on the tiny grid (two depths, width 16, one epoch on
 * 1,000 images, 20 test images): it trains, analyses, draws every figure and writes the markdown
 * and the JSON. A second run with the same models folder loads the models instead of retraining.
 */
class ReproduceTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final List<String> FIGURES = List.of("ra1_trajectories.png", "ra1_distributions.png", "ra2_grid_d2.png",
            "ra2_grid_d4.png", "ra2_distributions.png", "ra2_cross_mean.png", "ra3_spectra_top.png", "ra3_spectra_full.png",
            "ra3_ranks.png", "ra4_sigma1_depth.png");

    @Test
    void tinyGridRunsEndToEnd(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("docs");
        Path models = tmp.resolve("models");
        String[] args = {"--grid", "tiny", "--out", out.toString(), "--models-dir", models.toString()};
        Path md = Reproduce.run(args);

        assertEquals(out.resolve("REPRODUCTION.md"), md);
        String text = Files.readString(md);
        for (String section : List.of("## Verdict per property (generated)", "## RA1", "## RA2", "## RA3", "## RA4",
                "## Counterfactual", "## Discussion (hand-written)")) {
            assertTrue(text.contains(section), "missing section " + section);
        }
        for (String figure : FIGURES) {
            Path png = out.resolve("reproduction").resolve(figure);
            assertTrue(Files.isRegularFile(png), "missing " + png);
            byte[] bytes = Files.readAllBytes(png);
            assertTrue(bytes.length > 10_000, figure + " is only " + bytes.length + " bytes");
            assertTrue(Arrays.equals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8)), figure + " is not a PNG");
            assertTrue(text.contains("reproduction/" + figure), "the markdown does not link " + figure);
        }

        Path data = out.resolve("reproduction/data");
        JsonNode summary = Json.MAPPER.readTree(data.resolve("summary.json").toFile());
        assertEquals(4, summary.get("models").size(), "2 depths x skips on/off");
        assertTrue(summary.at("/fit_skip/slope").isNumber());
        double gaussian = summary.at("/reference/gaussian/cross_alignment").asDouble();
        assertTrue(gaussian > 0.05 && gaussian < 0.3, "no-alignment level at d = 16: " + gaussian);
        for (JsonNode entry : summary.get("models")) {
            JsonNode model = Json.MAPPER.readTree(data.resolve(entry.get("file").asText()).toFile());
            int depth = model.get("depth").asInt();
            assertEquals(20, model.at("/per_sample/alignment").size());
            assertEquals(depth, model.get("per_block").size());
            assertEquals(20, model.at("/trajectories/points").size());
            assertEquals(depth + 1, model.at("/trajectories/points/0").size());
            assertEquals(depth, model.at("/ra2_grid/tiles").size());
            assertEquals(10, model.at("/ra2_grid/tiles/0/0").size(), "k = C = 10 rows per tile");
            double accuracy = entry.get("test_accuracy").asDouble();
            assertTrue(accuracy > 0 && accuracy <= 1, "accuracy " + accuracy);
            // the full float64 SVD route agrees with the engine's randomized SVD on the grid sample
            assertTrue(entry.get("engine_vs_full_svd_cross_max_diff").asDouble() < 1e-3, entry.toString());
            assertTrue(entry.get("trained").asBoolean());
        }

        // the cache: the second run loads every model instead of training it
        Reproduce.run(args);
        JsonNode again = Json.MAPPER.readTree(data.resolve("summary.json").toFile());
        for (JsonNode entry : again.get("models")) {
            assertFalse(entry.get("trained").asBoolean(), entry.get("name") + " was retrained");
        }
    }

    @Test
    void cacheMatchesOnlyTheSameRecipe(@TempDir Path tmp) {
        Grid grid = Grid.tiny();
        assertFalse(ModelStore.matches(tmp, grid.recipe(2, true), 1000), "an empty folder is no model");
        assertTrue(ModelStore.matches(Path.of("models/demo-mlp"), Grid.full().withEpochs(30).recipe(8, true), 60000),
                "the bundled demo model is the full grid's depth-8 model at 30 epochs");
        assertFalse(ModelStore.matches(Path.of("models/demo-mlp"), Grid.full().recipe(8, true), 60000), "other epochs");
        assertFalse(ModelStore.matches(Path.of("models/demo-mlp"), Grid.full().withEpochs(30).recipe(8, false), 60000), "skip flag");
    }

    @Test
    void depthFitRecoversAPowerLaw() {
        double[] depths = {4, 8, 16, 34};
        double[] sigma = Arrays.stream(depths).map(l -> 3.0 / l).toArray();
        DepthFit fit = DepthFit.fit(depths, sigma);
        assertEquals(-1.0, fit.slope(), 1e-12);
        assertEquals(1.0, fit.r2(), 1e-12);
        assertEquals("**reproduces**", Report.verdictRa4(fit));
    }
}
