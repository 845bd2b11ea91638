package io.resalign.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.bench.DetectionStream.Segment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holds the published detection results to their data: every table of
 * {@code docs/benchmarks/detection/results.md} is computed again from the CSV files beside it, and
 * {@code docs/BENCHMARKS.md} carries those tables verbatim.
 */
class DetectionResultsTest {
    /** Every published run: the demo-mlp run of docs/BENCHMARKS.md, and the demo-conv and demo-vit runs beside it. */
    private static final List<Path> DIRS = List.of(Path.of("docs/benchmarks/detection"), Path.of("docs/benchmarks/detection-conv"),
            Path.of("docs/benchmarks/detection-vit"));

    @Test
    void publishedTablesAreTheOnesTheDataGives() throws Exception {
        String benchmarks = Files.readString(Path.of("docs/BENCHMARKS.md"), StandardCharsets.UTF_8);
        for (Path dir : DIRS) {
            String published = Files.readString(dir.resolve("results.md"), StandardCharsets.UTF_8);
            assertTrue(published.startsWith("<!-- written by "), dir + "/results.md starts with the command that wrote it");
            String body = published.substring(published.indexOf("-->\n\n") + 5);
            assertEquals(DetectionResults.read(dir).markdown(), body, dir + "/results.md differs from what its CSV files give");
            assertTrue(benchmarks.contains(body), "docs/BENCHMARKS.md must carry " + dir + "/results.md's tables verbatim");
        }
    }

    @Test
    void writtenResultsReadBackToTheSameTables(@TempDir Path dir) throws Exception {
        List<Segment> segments = List.of(new Segment(Segment.Kind.REFERENCE, -1, 0, 10), new Segment(Segment.Kind.CLEAN, 0, 10, 20),
                new Segment(Segment.Kind.SHIFT, 0, 20, 30));
        Map<String, List<WindowDecision>> decisions = new LinkedHashMap<>();
        decisions.put("alignment", new ArrayList<>());
        decisions.put("input-mmd", new ArrayList<>());
        for (int first = 10; first + 3 < 30; first += 2) {
            decisions.get("alignment").add(new WindowDecision(first, first + 3, first / 10.0, 2, first >= 18));
            decisions.get("input-mmd").add(new WindowDecision(first, first + 3, -0.5, 1, first >= 22));
        }
        DetectionResults results = new DetectionResults(new DetectionResults.Parameters(List.of("noise-80"), 10, 4, 2, 0.05, 10, 10),
                segments, List.of(new DetectionResults.SeedRun(5, decisions)),
                List.of(new DetectionCalibration.Rate("alignment", 0.05, 3, new int[] {1, 0}),
                        new DetectionCalibration.Rate("input-mmd", 0.05, 3, new int[] {0, 2})));
        results.write(dir);
        String md = results.markdown();
        assertEquals(md, DetectionResults.read(dir).markdown());
        // the first flagged window holding shifted samples starts at 18 and ends at 21: delay 2; the baseline's ends at 25: 6
        assertTrue(md.contains("| noise-80 | Gaussian pixel noise, sigma 80 | 2 | 6 | alignment |"), md);
    }

    @Test
    void calibrationIntervalTakesTheStreamAsTheUnit() {
        // counts 0, 4, 0, 4 of 40 windows: rate 0.05; per-stream sample variance 16/3, standard error sqrt(16/3/4)/40
        DetectionCalibration.Rate spread = new DetectionCalibration.Rate("output", 0.05, 40, new int[] {0, 4, 0, 4});
        double se = Math.sqrt(16.0 / 3 / 4) / 40;
        assertEquals(0.05, spread.observed(), 1e-15);
        assertEquals(0.0, spread.interval()[0], 0.0, "clipped at 0");
        assertEquals(0.05 + 1.959964 * se, spread.interval()[1], 1e-12);
        assertTrue(spread.atOrUnder());
        // the same 8 alarms spread evenly: no stream-to-stream variation, a zero-width interval at 0.05, detectably above 0.04
        DetectionCalibration.Rate even = new DetectionCalibration.Rate("output", 0.04, 40, new int[] {2, 2, 2, 2});
        assertEquals(0.05, even.interval()[0], 1e-15);
        assertFalse(even.atOrUnder());
        assertTrue(even.withinFactorTwo());
    }
}
