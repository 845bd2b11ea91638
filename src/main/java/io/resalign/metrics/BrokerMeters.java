package io.resalign.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether this instance reaches its Kafka cluster (docs/kafka.md, "Failures: the broker
 * unreachable"): a 0/1 gauge, the outages so far and the seconds spent in them. The names are
 * {@link ResalignMetrics}'s; the broker probe of the streams layer sets them. All exist from the
 * start (the gauge at 0 until the first probe answers), so an alert sees the first outage.
 */
public final class BrokerMeters {
    private final AtomicInteger reachable = new AtomicInteger();
    private final Counter outages;
    private final Counter unreachableSeconds;

    BrokerMeters(MeterRegistry registry) {
        Gauge.builder(ResalignMetrics.KAFKA_BROKER_REACHABLE, reachable, AtomicInteger::get)
                .description("1 while the Kafka cluster answers this instance's probes, 0 before the first answer and during an outage")
                .register(registry);
        outages = Counter.builder(ResalignMetrics.KAFKA_BROKER_OUTAGES)
                .description("Times the Kafka cluster went unanswered for resalign.health.broker-unreachable-after-seconds").register(registry);
        unreachableSeconds = Counter.builder(ResalignMetrics.KAFKA_BROKER_UNREACHABLE_SECONDS)
                .description("Seconds the Kafka cluster was counted unreachable").register(registry);
    }

    /** Sets the gauge: whether the cluster is reachable now. */
    public void reachable(boolean now) {
        reachable.set(now ? 1 : 0);
    }

    /** Counts an outage that begins. */
    public void outageBegan() {
        outages.increment();
    }

    /** Adds seconds spent unreachable. */
    public void unreachableFor(double seconds) {
        unreachableSeconds.increment(seconds);
    }

    /** Returns the gauge's value, 1 or 0. */
    public int reachable() {
        return reachable.get();
    }

    /** Returns the outages so far. */
    public long outages() {
        return (long) outages.count();
    }

    /** Returns the seconds counted unreachable so far. */
    public double unreachableSeconds() {
        return unreachableSeconds.count();
    }
}
