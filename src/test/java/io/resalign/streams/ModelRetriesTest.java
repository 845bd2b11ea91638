package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.ResalignConfig;
import io.resalign.config.Topics;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.sample.RejectReason;
import io.resalign.service.LoadBackoff;
import io.resalign.service.ModelRegistry;
import io.resalign.service.ModelStatus;
import io.resalign.service.MonitorRecords;
import io.resalign.streams.record.DeadLetters;
import io.resalign.testing.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.logging.Level;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario: the service starts while the demo model's directory is broken (an unreadable manifest,
 * then weights still being copied). Its records go to the dead-letter topic as unknown; each due
 * retry is logged with its outcome and exported; once a retry loads the model, the running
 * topology's decoder accepts its records and the engine analyses them, with no restart.
 */
class ModelRetriesTest {
    private static final Instant START = Instant.parse("2026-11-27T10:00:00Z");
    private static final long T0 = START.toEpochMilli();
    /** Batches of one, a small reference; built from the configuration, as the service builds its settings. */
    private static final ResalignConfig CONFIG = TestSettings.config();

    @TempDir
    Path root;

    @TempDir
    Path stateDir;

    @Test
    void shouldLogEachAttemptAndAcceptTheModelsRecordsOnceARetryLoadsIt() throws Exception {
        Path dir = root.resolve("demo-mlp");
        Files.createDirectories(dir);
        Path demo = DemoRecords.MODELS.resolve(DemoRecords.MODEL);
        Files.writeString(dir.resolve("manifest.json"), "{\"name\": ");
        MeterRegistry meters = new SimpleMeterRegistry();
        ResalignMetrics metrics = new ResalignMetrics(meters);
        try (ModelRegistry registry = ModelRegistry.load(root, DeviceChoice.CPU, EngineOptions.defaults(), 64,
                new LoadBackoff(Duration.ofSeconds(10), Duration.ofMinutes(10)), T0);
             LogCapture log = LogCapture.of(ModelRetries.class)) {
            metrics.modelsLoaded(registry.deviceLabel(), registry.statuses());
            assertEquals(0.0, loaded(meters, "?"));
            ModelRetries retries = new ModelRetries(registry, metrics, (mv, schema) -> MonitorRecords.requireBounded(mv, schema,
                    TopologyProducer.driftSettings(CONFIG)));
            Properties props = TestSettings.driverProperties("model-retries-test", stateDir);
            try (TopologyTestDriver driver = new TopologyTestDriver(TopologyProducer.topology(registry, metrics, new MonitorBoard(),
                    TopologyProducer.settings(CONFIG)), props, START)) {
                TestInputTopic<byte[], byte[]> samples = driver.createInputTopic(Topics.INFERENCE_SAMPLES, new ByteArraySerializer(),
                        new ByteArraySerializer());
                TestOutputTopic<byte[], byte[]> dead = driver.createOutputTopic(Topics.INFERENCE_SAMPLES_DLQ, new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
                samples.pipeInput(DemoRecords.MODEL.getBytes(), DemoRecords.valid(0, T0), START);
                assertEquals(RejectReason.UNKNOWN_MODEL.code(), DeadLetters.read(dead.readRecord().headers()).orElseThrow().reason());

                // attempt 2: the manifest is back, the weights are still being copied
                Files.copy(demo.resolve("manifest.json"), dir.resolve("manifest.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                byte[] weights = Files.readAllBytes(demo.resolve("model.safetensors"));
                Files.write(dir.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, 1000));
                assertEquals(List.of(), retries.runDue(T0 + 9_000), "nothing due yet");
                ModelStatus second = retries.runDue(T0 + 10_000).get(0);
                assertEquals(ModelStatus.State.FAILED, second.state());
                assertEquals(1, log.find(Level.INFO, "Retrying model directory " + dir + " (attempt 2; attempt 1 failed: ").size(),
                        log.lines().toString());
                assertEquals(1, log.find(Level.WARNING, "Model directory " + dir + " not loaded at attempt 2: ").size(),
                        log.lines().toString());
                assertTrue(log.find(Level.WARNING, "next attempt in 20 s, at 2026-11-27T10:00:30Z").size() == 1, log.lines().toString());
                assertNull(meters.find(ResalignMetrics.MODEL_LOADED).tags("version", "?").gauge(), "the unreadable manifest's series went");
                assertEquals(0.0, loaded(meters, "1"));

                // attempt 3: the copy is complete
                Files.write(dir.resolve("model.safetensors"), weights);
                ModelStatus third = retries.runDue(T0 + 30_000).get(0);
                assertEquals(ModelStatus.State.LOADED, third.state(), third.reason());
                assertEquals(1, log.find(Level.INFO, "Model demo-mlp:1 loaded on cpu in ").size(), log.lines().toString());
                assertTrue(log.find(Level.INFO, "at attempt 3; its samples are analysed from now on").size() == 1, log.lines().toString());
                assertEquals(1.0, loaded(meters, "1"));

                samples.pipeInput(DemoRecords.MODEL.getBytes(), DemoRecords.valid(1, T0 + 31_000), START.plusSeconds(31));
                samples.pipeInput(DemoRecords.MODEL.getBytes(), DemoRecords.valid(2, T0 + 32_000), START.plusSeconds(32));
                assertTrue(dead.isEmpty(), "the running decoder accepts the model version that loaded");
                Counter processed = meters.find(ResalignMetrics.SAMPLES_PROCESSED).tags("model", "demo-mlp", "version", "1").counter();
                assertEquals(2.0, processed.count());
            }
        }
    }

    private static double loaded(MeterRegistry meters, String version) {
        return meters.find(ResalignMetrics.MODEL_LOADED).tags("model", "demo-mlp", "version", version).gauge().value();
    }
}
