package io.resalign.streams;

import io.resalign.metrics.BrokerMeters;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Whether this instance reaches its Kafka cluster, from probes a {@link BrokerProbe} runs every few
 * seconds: reachable from the first probe that answers, unreachable once none has answered for
 * {@code resalign.health.broker-unreachable-after-seconds} (one slow answer is not an outage), and
 * reachable again at the next answer. Kafka Streams rides out an outage by itself (its clients
 * reconnect, sends wait in the producer, commits are retried); what it does not do is say so: its
 * state stays RUNNING. This is what readiness ({@code api.BrokerReadiness}), the metrics
 * ({@link BrokerMeters}) and the log say instead: one WARN when an outage begins, one INFO when it
 * ends, with its length (docs/kafka.md, "Failures: the broker unreachable").
 *
 * <p>Thread-safe: the probe thread writes, readiness and scrapes read.
 */
public final class BrokerReachability {
    private static final Logger LOG = Logger.getLogger(BrokerReachability.class);

    /** What readiness shows: reachable or not, since when, and the last probe's error if it failed. */
    public record State(boolean reachable, Optional<Instant> lastAnswer, Optional<Instant> unreachableSince, Optional<String> lastError) {}

    private final long unreachableAfterMillis;
    private final BrokerMeters meters;
    private final LongSupplier clockMillis;
    private long lastAnswer = -1;
    private long lastProbe = -1;
    private long unreachableSince = -1;
    private boolean reachable;
    private String lastError;

    /**
     * Creates the state before any probe: not reachable yet, no outage counted (one counts only from
     * a cluster that answered once; before that, readiness waits for Kafka Streams and the topics anyway).
     *
     * @param unreachableAfter how long without an answer counts as unreachable
     * @param meters where the state is exported
     * @param clockMillis the wall clock, milliseconds
     */
    public BrokerReachability(Duration unreachableAfter, BrokerMeters meters, LongSupplier clockMillis) {
        this.unreachableAfterMillis = unreachableAfter.toMillis();
        this.meters = meters;
        this.clockMillis = clockMillis;
        meters.reachable(false);
    }

    /** Notes a probe that the cluster answered. */
    public synchronized void answered() {
        long now = clockMillis.getAsLong();
        if (unreachableSince >= 0) {
            meters.unreachableFor(Math.max(0, now - lastProbe) / 1000.0);
            LOG.infof("The Kafka cluster answers again, after %d s unreachable", (now - unreachableSince) / 1000);
            unreachableSince = -1;
        } else if (!reachable) {
            LOG.infof("The Kafka cluster answers");
        }
        lastAnswer = now;
        lastProbe = now;
        lastError = null;
        reachable = true;
        meters.reachable(true);
    }

    /** Notes a probe that failed or timed out, with why. */
    public synchronized void failed(Throwable error) {
        long now = clockMillis.getAsLong();
        lastError = String.valueOf(error);
        if (unreachableSince >= 0) {
            meters.unreachableFor(Math.max(0, now - lastProbe) / 1000.0);
        } else if (lastAnswer >= 0 && now - lastAnswer >= unreachableAfterMillis) {
            unreachableSince = lastAnswer;
            meters.unreachableFor((now - lastAnswer) / 1000.0);
            meters.outageBegan();
            LOG.warnf("The Kafka cluster has not answered for %d s (last: %s); readiness is DOWN until it does. Kafka Streams keeps "
                    + "retrying; nothing is lost meanwhile (docs/runbook.md, ResalignKafkaUnreachable)", (now - lastAnswer) / 1000,
                    lastError);
        }
        lastProbe = now;
        reachable = lastAnswer >= 0 && unreachableSince < 0;
        meters.reachable(reachable);
    }

    /** Returns the state now. */
    public synchronized State state() {
        return new State(reachable, instant(lastAnswer), instant(unreachableSince), Optional.ofNullable(lastError));
    }

    private static Optional<Instant> instant(long millis) {
        return millis < 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
    }
}
