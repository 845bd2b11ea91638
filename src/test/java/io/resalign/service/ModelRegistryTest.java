package io.resalign.service;

import io.resalign.engine.DeviceChoice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.sample.SampleRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry on the real engine: a models directory with both bundled models, a second version
 * and two broken directories; the broken ones are reported and the rest serve. And the repository's
 * own models/ directory, as the service loads it: every bundled model loads and is analysed.
 */
class ModelRegistryTest {
    private static final Path DEMO = Path.of("models/demo-mlp");

    static List<SampleRecord> records(String model, String version, SampleBatch batch, int from, int n) {
        List<SampleRecord> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            out.add(new SampleRecord(model, version, "s" + i, 1_000L * i, batch.sample(i % batch.size()), batch.sampleShape(),
                    Optional.empty(), OptionalInt.empty()));
        }
        return out;
    }

    private static void copyModel(Path from, Path to, String version) throws IOException {
        Files.createDirectories(to);
        for (String file : List.of("model.safetensors", "samples.npy")) {
            Files.copy(from.resolve(file), to.resolve(file));
        }
        String manifest = Files.readString(from.resolve("manifest.json"));
        Files.writeString(to.resolve("manifest.json"), manifest.replaceFirst("\"version\" : \"1\"", "\"version\" : \"" + version + "\""));
    }

    @Test
    void shouldServeTheGoodModelsAndReportTheBrokenOnesWhenADirectoryFails(@TempDir Path root) throws Exception {
        copyModel(DEMO, root.resolve("demo-mlp/1"), "1");
        copyModel(DEMO, root.resolve("demo-mlp/2"), "2");
        copyModel(Path.of("models/demo-mlp-noskip"), root.resolve("demo-mlp-noskip"), "1");
        copyModel(DEMO, root.resolve("truncated"), "7");
        byte[] weights = Files.readAllBytes(root.resolve("truncated/model.safetensors"));
        Files.write(root.resolve("truncated/model.safetensors"), Arrays.copyOf(weights, weights.length / 2));
        Files.createDirectories(root.resolve("garbled"));
        Files.writeString(root.resolve("garbled/manifest.json"), "{\"name\": \"garbled\"");

        try (ModelRegistry registry = ModelRegistry.load(root, DeviceChoice.CPU, EngineOptions.defaults())) {
            List<ModelStatus> statuses = registry.statuses();
            assertEquals(5, statuses.size(), statuses.toString());
            assertEquals(List.of(new ModelVersion("demo-mlp", "1"), new ModelVersion("demo-mlp", "2"),
                    new ModelVersion("demo-mlp-noskip", "1")), registry.loaded());
            ModelStatus truncated = registry.status(new ModelVersion("demo-mlp", "7")).orElseThrow();
            assertEquals(ModelStatus.State.FAILED, truncated.state());
            assertFalse(truncated.reason().isBlank());
            ModelStatus garbled = statuses.stream().filter(s -> s.model().equals("garbled")).findFirst().orElseThrow();
            assertEquals(ModelStatus.State.FAILED, garbled.state());
            assertEquals(ModelStatus.UNKNOWN_VERSION, garbled.version());
            assertTrue(statuses.stream().filter(ModelStatus::loaded).allMatch(s -> s.device().equals("cpu") && s.reason().isEmpty()));
            assertEquals("cpu", registry.deviceLabel());
            assertEquals(List.of("1", "2"), List.copyOf(registry.catalog().versions("demo-mlp")));
            assertTrue(registry.catalog().versions("garbled").isEmpty(), "failed versions are not in the catalog");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> registry.analyse(new ModelVersion("demo-mlp", "7"), List.of()));
            assertTrue(e.getMessage().contains("loading failed"), e.getMessage());
        }
    }

    @Test
    void shouldLoadAndAnalyseEveryBundledModelWhenPointedAtTheRepositoryModels() throws Exception {
        Path models = Path.of("models");
        try (ModelRegistry registry = ModelRegistry.load(models, DeviceChoice.CPU, EngineOptions.defaults())) {
            assertEquals(List.of(new ModelVersion("demo-conv", "1"), new ModelVersion("demo-mlp", "1"),
                    new ModelVersion("demo-mlp-noskip", "1"), new ModelVersion("demo-vit", "1")), registry.loaded());
            assertTrue(registry.statuses().stream().allMatch(ModelStatus::loaded), registry.statuses().toString());
            for (ModelVersion mv : registry.loaded()) {
                SampleBatch batch = SampleReaders.read(models.resolve(mv.model()).resolve("samples.npy"));
                List<SampleMetrics> metrics = registry.analyse(mv, records(mv.model(), mv.version(), batch, 0, 4));
                assertEquals(4, metrics.size(), mv.toString());
                for (SampleMetrics m : metrics) {
                    assertTrue(m.predicted() >= 0 && m.predicted() < 10, mv + ": predicted " + m.predicted());
                    assertTrue(m.alignment() > 0 && m.alignment() <= 1, mv + ": alignment " + m.alignment());
                }
                assertEquals(FeatureSchema.of(metrics.get(0)), registry.schema(mv), mv + ": the registry's schema is the engine's");
            }
        }
    }

    @Test
    void shouldGiveTheEngineOwnResultsWhenAnalysingRecords(@TempDir Path root) throws Exception {
        copyModel(DEMO, root.resolve("demo-mlp"), "1");
        SampleBatch batch = SampleReaders.read(DEMO.resolve("samples.npy"));
        ModelVersion mv = new ModelVersion("demo-mlp", "1");
        List<SampleRecord> records = records("demo-mlp", "1", batch, 0, 8);

        List<SampleMetrics> viaRegistry;
        FeatureSchema schema;
        try (ModelRegistry registry = ModelRegistry.load(root, DeviceChoice.AUTO, EngineOptions.defaults())) {
            viaRegistry = registry.analyse(mv, records);
            schema = registry.schema(mv);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> registry.analyse(mv, records("demo-mlp", "2", batch, 0, 1)));
            assertTrue(e.getMessage().contains("record s0 is for demo-mlp:2"), e.getMessage());
        }
        List<SampleMetrics> direct;
        try (ResidualNetwork network = Architectures.load(DEMO, Device.cpu());
             AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults())) {
            direct = engine.analyse(Arrays.copyOf(batch.data(), 8 * batch.sampleLength()), 8, 0);
        }
        assertEquals(8, viaRegistry.size());
        assertEquals(FeatureSchema.of(direct.get(0)), schema, "the registry's schema is the engine's");
        for (int i = 0; i < 8; i++) {
            assertEquals(direct.get(i).predicted(), viaRegistry.get(i).predicted());
            assertArrayEquals(direct.get(i).logits(), viaRegistry.get(i).logits());
            assertEquals(direct.get(i).alignment(), viaRegistry.get(i).alignment(), 1e-9);
        }
    }

    @Test
    void shouldRefuseToAnalyseWhenClosed(@TempDir Path root) throws Exception {
        copyModel(DEMO, root.resolve("demo-mlp"), "1");
        SampleBatch batch = SampleReaders.read(DEMO.resolve("samples.npy"));
        ModelRegistry registry = ModelRegistry.load(root, DeviceChoice.CPU, EngineOptions.defaults());
        registry.close();
        registry.close();
        assertThrows(IllegalStateException.class,
                () -> registry.analyse(new ModelVersion("demo-mlp", "1"), records("demo-mlp", "1", batch, 0, 1)));
    }
}
