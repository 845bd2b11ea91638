package io.resalign.api;

import io.resalign.streams.BrokerProbe;
import io.resalign.streams.BrokerReachability;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Reports the service ready only while its Kafka cluster answers ({@link BrokerReachability}):
 * during an outage Kafka Streams stays RUNNING and Quarkus's topics check goes DOWN naming every
 * topic "missing"; this check names the cause, since when, and the last probe's error.
 */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements HealthCheck {
    /** The name of the check in {@code /q/health/ready}. */
    public static final String NAME = "resalign kafka broker";

    @Inject
    BrokerProbe probe;

    @Override
    public HealthCheckResponse call() {
        return check(probe.state());
    }

    /** Builds the check from the reachability state. */
    static HealthCheckResponse check(BrokerReachability.State s) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(NAME);
        if (s.reachable()) {
            b.withData("broker", "reachable");
        } else if (s.unreachableSince().isPresent()) {
            b.withData("broker", "unreachable since " + s.unreachableSince().get() + " (its last answer)");
        } else {
            b.withData("broker", "not reached yet");
        }
        s.lastAnswer().ifPresent(t -> b.withData("last-answer", t.toString()));
        s.lastError().ifPresent(e -> b.withData("last-error", e));
        return b.status(s.reachable()).build();
    }
}
