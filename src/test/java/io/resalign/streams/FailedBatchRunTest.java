package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.ResalignConfig;
import io.resalign.config.Topics;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario: the engine of the demo model fails every batch (its registry is closed: every analysis
 * throws, as after a sticky native error). The stream processor must report each failed batch, so
 * that the run readiness reads (and resalign_consecutive_failed_batches exports) grows by one per
 * batch.
 */
class FailedBatchRunTest {
    private static final Instant START = Instant.parse("2026-11-27T10:00:00Z");
    /** Batches of one, a small reference; built from the configuration, as the service builds its settings. */
    private static final ResalignConfig CONFIG = TestSettings.config();

    @TempDir
    Path stateDir;

    @Test
    void shouldCountEveryFailedBatchOfAModelVersionInItsRun() throws Exception {
        ModelRegistry broken = ModelRegistry.load(DemoRecords.MODELS.resolve(DemoRecords.MODEL), DeviceChoice.CPU, EngineOptions.defaults());
        broken.close();
        MeterRegistry meters = new SimpleMeterRegistry();
        ResalignMetrics metrics = new ResalignMetrics(meters);
        Properties props = TestSettings.driverProperties("failed-batch-run-test", stateDir);
        try (TopologyTestDriver driver = new TopologyTestDriver(TopologyProducer.topology(broken, metrics, new MonitorBoard(),
                TopologyProducer.settings(CONFIG)), props, START)) {
            TestInputTopic<byte[], byte[]> samples = driver.createInputTopic(Topics.INFERENCE_SAMPLES, new ByteArraySerializer(),
                    new ByteArraySerializer());
            for (int i = 0; i < 6; i++) {
                samples.pipeInput(DemoRecords.MODEL.getBytes(), DemoRecords.valid(i, START.toEpochMilli() + i), START.plusMillis(i));
            }
        }
        assertEquals(6, metrics.consecutiveFailedBatches(new ModelVersion(DemoRecords.MODEL, DemoRecords.VERSION)));
        assertEquals(6.0, meters.find(ResalignMetrics.CONSECUTIVE_FAILED_BATCHES).tags("model", "demo-mlp", "version", "1").gauge().value());
    }
}
