package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.metrics.BrokerMeters;
import io.resalign.metrics.ResalignMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Scenario: the probe of the Kafka cluster answers, then fails every 5 s for 60 s, then answers
 * again. The cluster counts as unreachable only once 15 s passed without an answer (one slow probe
 * is not an outage), the outage is counted once with the seconds it lasted, and the first answer
 * ends it. Before the first answer nothing is counted: there was no cluster to lose.
 */
class BrokerReachabilityTest {
    private static final long T0 = 1_800_000_000_000L;
    private final AtomicLong now = new AtomicLong(T0);
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final BrokerMeters meters = new ResalignMetrics(registry).broker();
    private final BrokerReachability reachability = new BrokerReachability(Duration.ofSeconds(15), meters, now::get);
    private static final TimeoutException DOWN = new TimeoutException("Timed out waiting for a node assignment. Call: describeCluster");

    @Test
    void shouldCountAnOutageOnlyAfterTheGraceWithoutAnswersAndEndItAtTheNextAnswer() {
        assertFalse(reachability.state().reachable(), "not reachable before the first answer");
        reachability.failed(DOWN);
        now.addAndGet(30_000);
        reachability.failed(DOWN);
        assertEquals(0, meters.outages(), "no outage before the cluster was ever reached");

        reachability.answered();
        assertTrue(reachability.state().reachable());
        assertEquals(1.0, registry.find(ResalignMetrics.KAFKA_BROKER_REACHABLE).gauge().value());
        long lastAnswer = now.get();

        for (int s = 5; s <= 60; s += 5) {
            now.set(lastAnswer + s * 1000L);
            reachability.failed(DOWN);
            BrokerReachability.State state = reachability.state();
            assertEquals(s < 15, state.reachable(), "at " + s + " s without an answer");
            assertEquals(s < 15 ? 0 : 1, meters.outages(), "one outage, counted when it begins");
            assertEquals(s < 15 ? 0.0 : s, meters.unreachableSeconds(), 1e-9, "seconds counted from the last answer");
            assertEquals(s < 15 ? 1.0 : 0.0, registry.find(ResalignMetrics.KAFKA_BROKER_REACHABLE).gauge().value());
            assertTrue(state.lastError().orElseThrow().contains("describeCluster"), "readiness names the failure");
        }
        assertEquals(Instant.ofEpochMilli(lastAnswer), reachability.state().unreachableSince().orElseThrow());

        now.set(lastAnswer + 63_000);
        reachability.answered();
        BrokerReachability.State back = reachability.state();
        assertTrue(back.reachable());
        assertTrue(back.unreachableSince().isEmpty());
        assertTrue(back.lastError().isEmpty());
        assertEquals(1, meters.outages());
        assertEquals(63.0, meters.unreachableSeconds(), 1e-9, "the outage lasted from the last answer to the next");
        assertEquals(1.0, registry.find(ResalignMetrics.KAFKA_BROKER_REACHABLE).gauge().value());

        now.addAndGet(5_000);
        reachability.failed(DOWN);
        assertTrue(reachability.state().reachable(), "a single failed probe after the outage is not a new one");
        assertEquals(1, meters.outages());
    }
}
