package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.ModelVersion;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.sample.ModelCatalog;
import io.resalign.sample.file.SampleReaders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario: the service starts while a model directory is not ready: its weights are still being
 * copied, or its manifest is broken until the operator fixes it. The directory must be tried again
 * at the back-off's times (read from the caller's clock, here plain numbers), and once it loads it
 * must serve like the others, through the catalog the decoder already holds. Real engine.
 */
class ModelRetryTest {
    private static final Path DEMO = Path.of("models/demo-mlp");
    private static final ModelVersion MV = new ModelVersion("demo-mlp", "1");
    private static final long T0 = 1_800_000_000_000L;
    private static final LoadBackoff BACKOFF = new LoadBackoff(Duration.ofSeconds(10), Duration.ofSeconds(60));

    private static void copyDemo(Path to) throws IOException {
        Files.createDirectories(to);
        for (String file : List.of("manifest.json", "model.safetensors", "samples.npy")) {
            Files.copy(DEMO.resolve(file), to.resolve(file));
        }
    }

    /** Returns the demo model's directory under {@code root} with every file but its weights. */
    private static Path demoWithoutWeights(Path root) throws IOException {
        Path dir = root.resolve("demo-mlp");
        copyDemo(dir);
        Files.delete(dir.resolve("model.safetensors"));
        return dir;
    }

    private static void restoreWeights(Path dir) throws IOException {
        Files.copy(DEMO.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    }

    private static ModelRegistry load(Path root) throws IOException {
        return ModelRegistry.load(root, DeviceChoice.CPU, EngineOptions.defaults(), 64, BACKOFF, T0);
    }

    @Test
    void shouldServeADirectoryWhoseWeightsWereStillBeingCopiedFromTheRetryThatFindsThemComplete(@TempDir Path root) throws Exception {
        Path dir = root.resolve("demo-mlp");
        copyDemo(dir);
        byte[] weights = Files.readAllBytes(dir.resolve("model.safetensors"));
        Files.write(dir.resolve("model.safetensors"), Arrays.copyOf(weights, weights.length / 3)); // a copy under way

        try (ModelRegistry registry = load(root)) {
            ModelCatalog catalog = registry.catalog(); // what the decoder holds from the start
            ModelStatus failed = registry.statuses().get(0);
            assertEquals(ModelStatus.State.FAILED, failed.state());
            assertEquals(1, failed.attempts());
            assertEquals(T0 + 10_000, failed.nextAttemptMillis());
            assertTrue(catalog.find("demo-mlp", "1").isEmpty());
            assertEquals(List.of(), registry.due(T0 + 9_999), "not before its back-off");

            Files.write(dir.resolve("model.safetensors"), weights); // the copy completes
            assertEquals(List.of(dir), registry.due(T0 + 10_000));
            ModelStatus loaded = registry.retry(dir, T0 + 10_000, (mv, schema) -> { });

            assertEquals(ModelStatus.State.LOADED, loaded.state(), loaded.reason());
            assertEquals(2, loaded.attempts());
            assertTrue(loaded.nextAttempt().isEmpty());
            assertEquals(List.of(loaded), registry.statuses());
            assertTrue(registry.isLoaded(MV));
            assertEquals(List.of(MV), registry.loaded());
            assertTrue(catalog.find("demo-mlp", "1").isPresent(), "the decoder's catalog sees the model version that loaded");
            assertEquals(List.of("demo-mlp"), List.copyOf(catalog.names()));
            var batch = SampleReaders.read(DEMO.resolve("samples.npy"));
            assertEquals(3, registry.analyse(MV, ModelRegistryTest.records("demo-mlp", "1", batch, 0, 3)).size());
            assertEquals(List.of(), registry.due(Long.MAX_VALUE), "a loaded directory is not tried again");
            assertEquals(loaded, registry.retry(dir, T0 + 20_000, (mv, schema) -> { }), "and a retry of it changes nothing");
        }
    }

    @Test
    void shouldRetryAnInvalidManifestWithTheSameBackOffAndServeItOnceFixed(@TempDir Path root) throws Exception {
        Path dir = root.resolve("fashion");
        copyDemo(dir);
        String manifest = Files.readString(dir.resolve("manifest.json"));
        Files.writeString(dir.resolve("manifest.json"), "{\"name\": \"demo-mlp\""); // cut short: unreadable

        try (ModelRegistry registry = load(root)) {
            List<Long> waits = new ArrayList<>();
            long now = T0;
            ModelStatus s = registry.statuses().get(0);
            for (int attempt = 2; attempt <= 6; attempt++) {
                waits.add(s.nextAttemptMillis() - now);
                now = s.nextAttemptMillis();
                assertEquals(List.of(dir), registry.due(now));
                s = registry.retry(dir, now, (mv, schema) -> { });
                assertEquals(ModelStatus.State.FAILED, s.state());
                assertEquals(attempt, s.attempts());
                assertEquals("fashion", s.model(), "an unreadable manifest names no model: the directory stands for it");
                assertEquals(ModelStatus.UNKNOWN_VERSION, s.version());
                assertFalse(s.reason().isBlank());
            }
            waits.add(s.nextAttemptMillis() - now);
            assertEquals(List.of(10_000L, 20_000L, 40_000L, 60_000L, 60_000L, 60_000L), waits, "doubling to the maximum");

            Files.writeString(dir.resolve("manifest.json"), manifest); // the operator fixes it
            now = s.nextAttemptMillis();
            s = registry.retry(dir, now, (mv, schema) -> { });
            assertEquals(ModelStatus.State.LOADED, s.state(), s.reason());
            assertEquals("demo-mlp", s.model());
            assertEquals("1", s.version());
            assertEquals(7, s.attempts());
            assertTrue(registry.catalog().find("demo-mlp", "1").isPresent());
        }
    }

    @Test
    void shouldKeepADirectoryFailedWithTheCheckMessageWhenTheAdmissionCheckRefusesIt(@TempDir Path root) throws Exception {
        Path dir = demoWithoutWeights(root);
        try (ModelRegistry registry = load(root)) {
            restoreWeights(dir);
            ModelStatus s = registry.retry(dir, T0 + 10_000, (mv, schema) -> {
                throw new IllegalArgumentException("window of " + mv.model() + ":" + mv.version() + " too large for " + schema.size()
                        + " features");
            });
            assertEquals(ModelStatus.State.FAILED, s.state());
            assertTrue(s.reason().startsWith("window of demo-mlp:1 too large for "), s.reason());
            assertEquals(T0 + 10_000 + 20_000, s.nextAttemptMillis(), "the second failure waits twice as long");
            assertFalse(registry.isLoaded(MV));
            assertTrue(registry.catalog().find("demo-mlp", "1").isEmpty());
        }
    }

    @Test
    void shouldRefuseADirectoryItDoesNotKnowAndNotLoadAfterClose(@TempDir Path root) throws Exception {
        Path dir = demoWithoutWeights(root);
        ModelRegistry registry = load(root);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> registry.retry(root.resolve("elsewhere"), T0, (mv, schema) -> { }));
        assertTrue(e.getMessage().contains("is not one of the model directories"), e.getMessage());
        registry.close();
        restoreWeights(dir);
        assertFalse(registry.retry(dir, T0 + 10_000, (mv, schema) -> { }).loaded(), "a closed registry loads nothing");
        assertFalse(registry.isLoaded(MV));
    }

    @Test
    void shouldDoubleTheWaitUpToTheMaximumWithoutOverflowing() {
        LoadBackoff b = LoadBackoff.DEFAULT;
        assertEquals(Duration.ofSeconds(10), b.delayAfter(1));
        assertEquals(Duration.ofSeconds(20), b.delayAfter(2));
        assertEquals(Duration.ofSeconds(320), b.delayAfter(6));
        assertEquals(Duration.ofMinutes(10), b.delayAfter(7));
        assertEquals(Duration.ofMinutes(10), b.delayAfter(Integer.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> new LoadBackoff(Duration.ofMinutes(5), Duration.ofMinutes(1)));
        assertThrows(IllegalArgumentException.class, () -> new LoadBackoff(Duration.ZERO, Duration.ofMinutes(1)));
    }
}
