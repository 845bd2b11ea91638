package io.resalign.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Counts what fails beyond one record: stream threads that died and were replaced, dead letters
 * cut to fit the size bound, and dead letters the broker did not take (docs/kafka.md, "Failures").
 * The names are {@link ResalignMetrics}'s; these counters are apart from the per-model meters
 * because Kafka Streams' handlers, not the processor, increment them.
 *
 * <p>Every counter, each reason too, exists from the start at 0: an alert on {@code increase()}
 * cannot see the first increment of a counter that appears with it.
 */
public final class StreamFailureMeters {

    /** Why the broker did not take a dead letter: the {@code reason} label of {@link ResalignMetrics#DLQ_SEND_FAILURES}. */
    public enum DeadLetterSendFailure {
        /** Over the producer's {@code max.request.size} or the topic's {@code max.message.bytes}: the dead letter is dropped. */
        RECORD_TOO_LARGE,
        /** Anything else: the send is retried, or the stream thread fails. */
        OTHER;

        /** Returns the label value. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Counter threadReplacements;
    private final Counter truncated;
    private final Map<DeadLetterSendFailure, Counter> sendFailures = new EnumMap<>(DeadLetterSendFailure.class);

    StreamFailureMeters(MeterRegistry registry) {
        threadReplacements = Counter.builder(ResalignMetrics.STREAM_THREAD_REPLACEMENTS)
                .description("Stream threads that died and were replaced").register(registry);
        truncated = Counter.builder(ResalignMetrics.DLQ_TRUNCATED)
                .description("Dead letters sent with their value cut to fit the size bound").register(registry);
        for (DeadLetterSendFailure reason : DeadLetterSendFailure.values()) {
            sendFailures.put(reason, Counter.builder(ResalignMetrics.DLQ_SEND_FAILURES)
                    .description("Dead letters the broker did not take, by reason").tag("reason", reason.label()).register(registry));
        }
    }

    /** Counts a stream thread that died and was replaced. */
    public void threadReplaced() {
        threadReplacements.increment();
    }

    /** Counts a dead letter whose value was cut to fit the size bound. */
    public void deadLetterTruncated() {
        truncated.increment();
    }

    /** Counts a dead letter the broker did not take. */
    public void deadLetterSendFailed(DeadLetterSendFailure reason) {
        sendFailures.get(reason).increment();
    }

    /** Returns the stream threads replaced so far (for tests and logs). */
    public long threadReplacements() {
        return (long) threadReplacements.count();
    }

    /** Returns the dead letters cut so far. */
    public long deadLettersTruncated() {
        return (long) truncated.count();
    }

    /** Returns the dead letters of {@code reason} the broker did not take so far. */
    public long deadLetterSendFailures(DeadLetterSendFailure reason) {
        return (long) sendFailures.get(reason).count();
    }
}
