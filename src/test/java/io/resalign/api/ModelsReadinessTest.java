package io.resalign.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/**
 * Scenario: one of two loaded model versions starts failing every batch (a sticky native error, a
 * device out of memory). Readiness must stay UP through a few failures, go DOWN at the configured
 * run of failed batches, name the failing model version in its data, and come back UP at the first
 * batch that passes; the run is what the stream processor reports to ResalignMetrics, also exported
 * as a gauge.
 */
class ModelsReadinessTest {
    private static final ModelVersion DEMO = new ModelVersion("demo-mlp", "1");
    private static final List<ModelStatus> STATUSES = List.of(
            new ModelStatus("demo-mlp", "1", Path.of("models/demo-mlp"), ModelStatus.State.LOADED, "cpu", 5, "", 10),
            new ModelStatus("demo-conv", "1", Path.of("models/demo-conv"), ModelStatus.State.LOADED, "cpu", 5, "", 10),
            new ModelStatus("broken", "?", Path.of("models/broken"), ModelStatus.State.FAILED, "cpu", 5, "no manifest.json", 0));

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final ResalignMetrics metrics = new ResalignMetrics(meters);

    private HealthCheckResponse readiness(int maxFailed) {
        return ModelsReadiness.check(KafkaStreams.State.RUNNING, STATUSES, metrics::consecutiveFailedBatches, maxFailed);
    }

    private double gauge() {
        return meters.find(ResalignMetrics.CONSECUTIVE_FAILED_BATCHES).tags("model", "demo-mlp", "version", "1").gauge().value();
    }

    @Test
    void shouldGoDownAtTheFifthFailedBatchInARowAndUpAtTheFirstThatPasses() {
        metrics.batchDone(DEMO, 16, 1_000_000);
        for (int i = 1; i <= 4; i++) {
            metrics.batchFailed(DEMO, 16);
            assertEquals(HealthCheckResponse.Status.UP, readiness(5).getStatus(), i + " failed batches");
        }
        assertEquals("loaded on cpu; 4 batches failed in a row (DOWN from 5, UP again at the first batch that passes)",
                readiness(5).getData().orElseThrow().get("demo-mlp:1"));

        metrics.batchFailed(DEMO, 16);
        HealthCheckResponse down = readiness(5);
        assertEquals(HealthCheckResponse.Status.DOWN, down.getStatus());
        Map<String, Object> data = down.getData().orElseThrow();
        assertEquals("loaded on cpu; failing: 5 batches failed in a row (DOWN from 5, UP again at the first batch that passes)",
                data.get("demo-mlp:1"));
        assertEquals("demo-mlp:1", data.get("failing"));
        assertEquals("loaded on cpu", data.get("demo-conv:1"), "the other model version is fine");
        assertEquals(5.0, gauge());

        metrics.batchDone(DEMO, 16, 1_000_000);
        HealthCheckResponse up = readiness(5);
        assertEquals(HealthCheckResponse.Status.UP, up.getStatus());
        assertEquals("loaded on cpu", up.getData().orElseThrow().get("demo-mlp:1"));
        assertEquals(0.0, gauge());
    }

    @Test
    void shouldStayUpWhenFailedBatchesAreInterleavedWithPassingOnes() {
        for (int i = 0; i < 10; i++) {
            metrics.batchFailed(DEMO, 16);
            metrics.batchFailed(DEMO, 16);
            metrics.batchDone(DEMO, 16, 1_000_000);
        }
        assertEquals(HealthCheckResponse.Status.UP, readiness(5).getStatus(), "20 failures, never more than 2 in a row");
    }

    @Test
    void shouldNotCountFailuresWhenTheLimitIsZero() {
        for (int i = 0; i < 50; i++) {
            metrics.batchFailed(DEMO, 16);
        }
        HealthCheckResponse r = readiness(0);
        assertEquals(HealthCheckResponse.Status.UP, r.getStatus());
        assertEquals("loaded on cpu; 50 batches failed in a row (not counted: resalign.health.max-consecutive-failed-batches=0)",
                r.getData().orElseThrow().get("demo-mlp:1"));
    }

    @Test
    void shouldListAFailedDirectorysAttemptsAndNextAttemptWithoutGoingDown() {
        ModelStatus retried = new ModelStatus("demo-vit", "1", Path.of("models/demo-vit"), ModelStatus.State.FAILED, "cpu", 5,
                "model.safetensors is cut short", 10, List.of(), 3, java.time.Instant.parse("2026-11-27T10:01:10Z").toEpochMilli());
        HealthCheckResponse r = ModelsReadiness.check(KafkaStreams.State.RUNNING, List.of(STATUSES.get(0), retried),
                metrics::consecutiveFailedBatches, 5);
        assertEquals(HealthCheckResponse.Status.UP, r.getStatus(), "the loaded model version serves");
        assertEquals("failed at attempt 3, next attempt at 2026-11-27T10:01:10Z: model.safetensors is cut short",
                r.getData().orElseThrow().get("demo-vit:1"));
    }

    @Test
    void shouldBeDownWhileKafkaStreamsRebalancesOrNoModelIsLoaded() {
        assertEquals(HealthCheckResponse.Status.DOWN,
                ModelsReadiness.check(KafkaStreams.State.REBALANCING, STATUSES, metrics::consecutiveFailedBatches, 5).getStatus());
        HealthCheckResponse none = ModelsReadiness.check(KafkaStreams.State.RUNNING, List.of(STATUSES.get(2)),
                metrics::consecutiveFailedBatches, 5);
        assertEquals(HealthCheckResponse.Status.DOWN, none.getStatus());
        assertEquals("failed at attempt 1: no manifest.json", none.getData().orElseThrow().get("broken:?"));
    }
}
