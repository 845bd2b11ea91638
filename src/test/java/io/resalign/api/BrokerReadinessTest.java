package io.resalign.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.streams.BrokerReachability;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.TimeoutException;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/**
 * Scenario: a pod starts before its Kafka cluster answers, reaches it, then loses it for longer than
 * the grace. Readiness must be DOWN before the first answer ("not reached yet"), UP once it comes,
 * still UP through one failed probe, DOWN naming when the cluster last answered and the probe's
 * error once the grace is over, and UP again at the next answer.
 */
class BrokerReadinessTest {
    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private final BrokerReachability reachability = new BrokerReachability(Duration.ofSeconds(15),
            new ResalignMetrics(new SimpleMeterRegistry()).broker(), now::get);

    private HealthCheckResponse readiness() {
        return BrokerReadiness.check(reachability.state());
    }

    private Map<String, Object> data() {
        return readiness().getData().orElseThrow();
    }

    @Test
    void shouldBeDownUntilTheClusterAnswersAndWhileItHasNotAnsweredForTheGrace() {
        reachability.failed(new TimeoutException("Timed out waiting for a node assignment. Call: listNodes"));
        assertEquals(HealthCheckResponse.Status.DOWN, readiness().getStatus());
        assertEquals("not reached yet", data().get("broker"));

        reachability.answered();
        assertEquals(HealthCheckResponse.Status.UP, readiness().getStatus());
        assertEquals("reachable", data().get("broker"));
        assertEquals("2027-01-15T08:00:00Z", data().get("last-answer"));

        now.addAndGet(5_000);
        reachability.failed(new TimeoutException("Timed out waiting for a node assignment. Call: listNodes"));
        assertEquals(HealthCheckResponse.Status.UP, readiness().getStatus(), "one failed probe within the grace");

        now.addAndGet(10_000);
        reachability.failed(new TimeoutException("Timed out waiting for a node assignment. Call: listNodes"));
        assertEquals(HealthCheckResponse.Status.DOWN, readiness().getStatus());
        assertEquals("unreachable since 2027-01-15T08:00:00Z (its last answer)", data().get("broker"));
        assertEquals("org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: listNodes",
                data().get("last-error"));

        now.addAndGet(45_000);
        reachability.answered();
        assertEquals(HealthCheckResponse.Status.UP, readiness().getStatus());
        assertEquals(null, data().get("last-error"));
    }
}
