package io.resalign.api;

import io.resalign.service.ModelRegistry;
import io.resalign.service.ModelStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Reports the service ready for samples only when at least one model version is loaded and Kafka
 * Streams is RUNNING (not while it starts or rebalances); with Quarkus's own topics check, readiness
 * means the pipeline can work. Each model directory is listed with its state.
 */
@Readiness
@ApplicationScoped
public class ModelsReadiness implements HealthCheck {
    @Inject
    ModelRegistry registry;

    @Inject
    KafkaStreams streams;

    @Override
    public HealthCheckResponse call() {
        KafkaStreams.State state = streams.state();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("resalign models")
                .status(!registry.loaded().isEmpty() && state == KafkaStreams.State.RUNNING)
                .withData("kafka-streams", state.name());
        for (ModelStatus s : registry.statuses()) {
            b.withData(s.model() + ":" + s.version(), s.loaded() ? "loaded on " + s.device() : "failed: " + s.reason());
        }
        return b.build();
    }
}
