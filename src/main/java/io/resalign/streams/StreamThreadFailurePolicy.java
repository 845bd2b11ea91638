package io.resalign.streams;

import io.resalign.config.ResalignConfig;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.metrics.StreamFailureMeters;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.jboss.logging.Logger;

/**
 * Decides what happens when an exception escapes a stream thread (Quarkus sets this bean on the
 * {@code KafkaStreams} it builds). Without a handler the thread dies and is not replaced: with one
 * thread, the service stops processing while it looks alive. Here:
 *
 * <ul>
 *   <li>the thread is replaced ({@code REPLACE_THREAD}), the death logged with the thread, the task and
 *       the exception, and counted ({@code resalign_stream_thread_replacements_total}): a broker that
 *       failed a send or a rebalance that went wrong costs a thread, not the service;</li>
 *   <li>after {@code resalign.streams.max-thread-replacements} replacements within
 *       {@code resalign.streams.thread-replacement-window-seconds}, the next death shuts the client down
 *       ({@code SHUTDOWN_CLIENT}: readiness and liveness go DOWN, so the pod is restarted and alerts
 *       fire): a record that kills every thread that processes it is replayed after each replacement,
 *       and replacing forever would be a silent crash loop that processes nothing else;</li>
 *   <li>a refused access (an ACL, credentials) shuts the client down at once, with a log line naming
 *       what was refused and the ACL to grant ({@link MissingAcl}): a new thread would be refused the
 *       same way.</li>
 * </ul>
 */
@Singleton
public class StreamThreadFailurePolicy implements StreamsUncaughtExceptionHandler {
    private static final Logger LOG = Logger.getLogger(StreamThreadFailurePolicy.class);

    private final int maxReplacements;
    private final Duration window;
    private final StreamFailureMeters meters;
    private final LongSupplier clockMillis;
    private final Deque<Long> replacements = new ArrayDeque<>();

    @Inject
    StreamThreadFailurePolicy(ResalignConfig config, ResalignMetrics metrics) {
        this(config.streams().maxThreadReplacements(), Duration.ofSeconds(config.streams().threadReplacementWindowSeconds()),
                metrics.streamFailures(), System::currentTimeMillis);
    }

    /**
     * Creates the policy.
     *
     * @param maxReplacements replacements allowed within {@code window}; 0 shuts down at the first death
     * @param window the sliding window the replacements are counted over
     * @param meters where replacements are counted
     * @param clockMillis the wall clock, milliseconds
     */
    StreamThreadFailurePolicy(int maxReplacements, Duration window, StreamFailureMeters meters, LongSupplier clockMillis) {
        if (maxReplacements < 0 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("resalign.streams.max-thread-replacements=" + maxReplacements
                    + " and resalign.streams.thread-replacement-window-seconds=" + window.toSeconds()
                    + "; expected a count of at least 0 and a window of at least 1 second");
        }
        this.maxReplacements = maxReplacements;
        this.window = window;
        this.meters = meters;
        this.clockMillis = clockMillis;
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
        String thread = "Stream thread " + Thread.currentThread().getName() + task(exception).map(t -> " (task " + t + ")").orElse("");
        Optional<String> refused = MissingAcl.describe(exception);
        if (refused.isPresent()) {
            LOG.errorf(exception, "%s died because %s. A new thread would be refused the same way: the Kafka Streams client shuts "
                    + "down (readiness and liveness DOWN); grant the access, and the restarted pod resumes", thread, refused.get());
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        long now = clockMillis.getAsLong();
        while (!replacements.isEmpty() && replacements.peekFirst() <= now - window.toMillis()) {
            replacements.removeFirst();
        }
        if (replacements.size() >= maxReplacements) {
            LOG.errorf(exception, "%s died, and %d replacements in the last %s are all that resalign.streams.max-thread-replacements=%d "
                    + "allows: the Kafka Streams client shuts down instead of replaying the failure forever (readiness and liveness "
                    + "DOWN, so Kubernetes restarts the pod; docs/runbook.md, ResalignStreamThreadReplaced)", thread, replacements.size(),
                    seconds(window), maxReplacements);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        replacements.addLast(now);
        meters.threadReplaced();
        LOG.errorf(exception, "%s died; it is replaced (%d of at most %d replacements in %s), and its tasks resume from their last "
                + "commit", thread, replacements.size(), maxReplacements, seconds(window));
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    private static String seconds(Duration d) {
        return d.toSeconds() + " s";
    }

    /** Returns the task the failure names, when a StreamsException in the chain carries one. */
    private static Optional<TaskId> task(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StreamsException s && s.taskId().isPresent()) {
                return s.taskId();
            }
        }
        return Optional.empty();
    }
}
