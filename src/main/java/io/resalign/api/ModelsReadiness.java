package io.resalign.api;

import io.resalign.config.ResalignConfig;
import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelRegistry;
import io.resalign.service.ModelStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Reports the service ready for samples only when at least one model version is loaded, none of
 * the loaded ones is failing, and Kafka Streams is RUNNING (not while it starts or rebalances);
 * with Quarkus's own topics check, readiness means the pipeline can work. A loaded model version is
 * failing once its last {@code resalign.health.max-consecutive-failed-batches} batches all failed
 * entirely (no sample of them passed), and no longer at its first batch of which samples pass. Each model directory is listed with its state; a
 * failed one with its attempts so far and when the next is due.
 */
@Readiness
@ApplicationScoped
public class ModelsReadiness implements HealthCheck {
    /** The name of the check in {@code /q/health/ready}. */
    public static final String NAME = "resalign models";

    @Inject
    ModelRegistry registry;

    @Inject
    KafkaStreams streams;

    @Inject
    ResalignMetrics metrics;

    @Inject
    ResalignConfig config;

    @Override
    public HealthCheckResponse call() {
        return check(streams.state(), registry.statuses(), metrics::consecutiveFailedBatches,
                config.health().maxConsecutiveFailedBatches());
    }

    /**
     * Builds the check from its inputs.
     *
     * @param state the Kafka Streams client's state
     * @param statuses every model directory's status
     * @param failedInARow the batches of a model version that failed in a row, up to now
     * @param maxFailed failed batches in a row from which a model version is failing; 0 for never
     */
    static HealthCheckResponse check(KafkaStreams.State state, List<ModelStatus> statuses, ToIntFunction<ModelVersion> failedInARow,
            int maxFailed) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(NAME).withData("kafka-streams", state.name());
        boolean anyLoaded = false;
        List<String> failing = new ArrayList<>();
        for (ModelStatus s : statuses) {
            String name = s.model() + ":" + s.version();
            if (!s.loaded()) {
                b.withData(name, "failed at attempt " + s.attempts() + s.nextAttempt().map(t -> ", next attempt at " + t).orElse("")
                        + ": " + s.reason());
                continue;
            }
            anyLoaded = true;
            int run = failedInARow.applyAsInt(new ModelVersion(s.model(), s.version()));
            boolean isFailing = maxFailed > 0 && run >= maxFailed;
            if (isFailing) {
                failing.add(name);
            }
            b.withData(name, "loaded on " + s.device() + (run == 0 ? "" : (isFailing ? "; failing: " : "; ") + run
                    + " batches failed in a row" + (maxFailed == 0 ? " (not counted: resalign.health.max-consecutive-failed-batches=0)"
                            : " (DOWN from " + maxFailed + ", UP again at the first batch that passes)")));
        }
        if (!failing.isEmpty()) {
            b.withData("failing", String.join(", ", failing));
        }
        return b.status(anyLoaded && failing.isEmpty() && state == KafkaStreams.State.RUNNING).build();
    }
}
