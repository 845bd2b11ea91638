package io.resalign.streams;

import io.resalign.drift.ModelVersion;
import io.resalign.service.AlignmentReport;
import io.resalign.service.ModelMonitor;
import io.resalign.service.MonitorGauges;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Connects the REST API with the monitors, which live in the stream tasks' state stores and are
 * only touched by their stream thread. Reads are served from what the tasks publish (the latest
 * report per model version), while the publishing task holds the monitor ({@link #forget} when it
 * no longer does); commands (reset, pin) are queued to every task's inbox and applied
 * by the task in its punctuator, between records, so that a monitor never sees two threads. The
 * state the command produces is then written to the store (and its changelog) like any other
 * update. Interactive queries were not used: they read stores, but cannot change them.
 *
 * <p>A command carries its deadline, and a task takes it ({@link Sent#withdraw()} can no longer
 * succeed) before it applies it. A caller that gave up waiting withdraws the command; a task that
 * finds it withdrawn or past its deadline drops it, logged at INFO with how late it is. So a caller
 * that withdrew can say "not applied" and be right: the command is never applied later. A command
 * that throws in a task is logged at WARN with the model version and the exception, and its
 * outcome completes with that exception.
 */
@Singleton
public class MonitorBoard {
    private static final Logger LOG = Logger.getLogger(MonitorBoard.class);

    /** How long {@link #send(ModelVersion, Command)} gives the tasks: the REST API's default wait. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** What an operator asks of a monitor. */
    public enum Command {
        /** Drop the reference and collect a new one. */
        RESET_REFERENCE,
        /** Make the last closed window the reference. */
        PIN_LAST_WINDOW
    }

    /** What became of a command once every task has handled it, or one applied it. */
    public enum Outcome {
        /** A task held the monitor and the command changed it. */
        APPLIED,
        /** No task held the monitor, or the one that did had nothing to do (no window to pin). */
        NOT_APPLIED,
        /** Withdrawn by its sender, or past its deadline, before any task took it: never applied. */
        EXPIRED
    }

    /** A command on its way to the tasks: its outcome, and the means to withdraw it. */
    public static final class Sent {
        private static final int WITHDRAWN = -1;

        private final ModelVersion modelVersion;
        private final Command command;
        private final long deadlineMillis;
        private final long timeoutMillis;
        /** Tasks applying it now or that applied it, or {@link #WITHDRAWN}. */
        private final AtomicInteger taken = new AtomicInteger();
        private final AtomicInteger waiting;
        private final AtomicBoolean dropLogged = new AtomicBoolean();
        private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

        private Sent(ModelVersion modelVersion, Command command, long deadlineMillis, long timeoutMillis, int inboxes) {
            this.modelVersion = modelVersion;
            this.command = command;
            this.deadlineMillis = deadlineMillis;
            this.timeoutMillis = timeoutMillis;
            this.waiting = new AtomicInteger(inboxes);
        }

        /**
         * Returns the outcome: complete as soon as a task applied the command or it failed (then
         * exceptionally, with the task's exception), else when every task has handled it.
         */
        public CompletableFuture<Outcome> outcome() {
            return outcome;
        }

        /**
         * Withdraws the command unless a task has taken it: true when withdrawn (now or before),
         * after which no task applies it; false when a task is applying it or has applied it.
         */
        public boolean withdraw() {
            return taken.compareAndSet(0, WITHDRAWN) || taken.get() == WITHDRAWN;
        }

        private boolean take() {
            for (int t = taken.get(); t != WITHDRAWN; t = taken.get()) {
                if (taken.compareAndSet(t, t + 1)) {
                    return true;
                }
            }
            return false;
        }

        /** One inbox is through with it; the last one completes an outcome no task decided. */
        private void handled() {
            if (waiting.decrementAndGet() == 0) {
                outcome.complete(taken.get() == WITHDRAWN ? Outcome.EXPIRED : Outcome.NOT_APPLIED);
            }
        }

        private void logDropped(long nowMillis) {
            if (dropLogged.compareAndSet(false, true)) {
                long late = nowMillis - deadlineMillis;
                LOG.infof("Command %s on %s dropped, not applied: %s (it had %d ms to be taken; its sender is told it was not applied)",
                        command, modelVersion.model() + ":" + modelVersion.version(), late >= 0 ? "its deadline passed " + late + " ms ago"
                                : "its sender withdrew it " + -late + " ms before its deadline", timeoutMillis);
            }
        }
    }

    /** One task's queue of commands. */
    public final class Inbox {
        private final Queue<Sent> queue = new ConcurrentLinkedQueue<>();

        /**
         * Handles every queued command: drops those withdrawn or past their deadline, and applies
         * the others through {@code apply}, which returns whether this task had the monitor and the
         * command changed it. A command that throws is logged and its outcome completes with the exception.
         */
        public void drain(java.util.function.BiPredicate<ModelVersion, Command> apply) {
            for (Sent s; (s = queue.poll()) != null; ) {
                try {
                    handle(s, apply);
                } finally {
                    s.handled();
                }
            }
        }

        private void handle(Sent s, java.util.function.BiPredicate<ModelVersion, Command> apply) {
            long now = clock.millis();
            boolean expired = now > s.deadlineMillis && s.withdraw();
            if (expired || !s.take()) {
                s.logDropped(now);
                return;
            }
            boolean applied = false;
            try {
                applied = apply.test(s.modelVersion, s.command);
            } catch (org.apache.kafka.common.KafkaException e) {
                // a failed send or store write surfacing at the command's save is not the command's: the
                // stream thread's failure policies must see it (docs/kafka.md, "Failures")
                s.outcome.completeExceptionally(e);
                throw e;
            } catch (RuntimeException e) {
                LOG.warnf(e, "Command %s on %s failed in its stream task: %s", s.command,
                        s.modelVersion.model() + ":" + s.modelVersion.version(), String.valueOf(e));
                s.outcome.completeExceptionally(e);
                return;
            }
            if (applied) {
                s.outcome.complete(Outcome.APPLIED);
            } else {
                s.taken.decrementAndGet(); // nothing changed here: the command may still be withdrawn
            }
        }
    }

    private final Clock clock;
    private final Set<Inbox> inboxes = ConcurrentHashMap.newKeySet();
    private final Map<ModelVersion, AlignmentReport> latest = new ConcurrentHashMap<>();
    private final Map<ModelVersion, MonitorGauges> gauges = new ConcurrentHashMap<>();

    /** Creates a board on the system clock. */
    public MonitorBoard() {
        this(Clock.systemUTC());
    }

    /** Creates a board whose deadlines are read on {@code clock}. */
    public MonitorBoard(Clock clock) {
        this.clock = clock;
    }

    /** Registers a stream task's inbox (from the processor's {@code init}). */
    public Inbox open() {
        Inbox inbox = new Inbox();
        inboxes.add(inbox);
        return inbox;
    }

    /** Unregisters an inbox; its queued commands count as handled by it, not applied. */
    public void close(Inbox inbox) {
        inboxes.remove(inbox);
        for (Sent s; (s = inbox.queue.poll()) != null; ) {
            s.handled();
        }
    }

    /**
     * Sends a command to every task, to be taken by one within {@code timeout}; its outcome is
     * {@link Outcome#NOT_APPLIED} at once when no task runs.
     */
    public Sent send(ModelVersion modelVersion, Command command, Duration timeout) {
        Set<Inbox> now = Set.copyOf(inboxes);
        Sent sent = new Sent(modelVersion, command, clock.millis() + timeout.toMillis(), timeout.toMillis(), now.size());
        if (now.isEmpty()) {
            sent.outcome.complete(Outcome.NOT_APPLIED);
            return sent;
        }
        for (Inbox inbox : now) {
            inbox.queue.add(sent);
        }
        return sent;
    }

    /**
     * Sends a command with the {@link #DEFAULT_TIMEOUT}; the future completes with true when some
     * task held the model version's monitor and applied it, false when none did (also when no task runs).
     */
    public CompletableFuture<Boolean> send(ModelVersion modelVersion, Command command) {
        return send(modelVersion, command, DEFAULT_TIMEOUT).outcome().thenApply(o -> o == Outcome.APPLIED);
    }

    /** Applies a command to a monitor; returns whether it changed anything. */
    static boolean apply(ModelMonitor monitor, Command command, long nowMillis) {
        return switch (command) {
            case RESET_REFERENCE -> {
                monitor.resetReference();
                yield true;
            }
            case PIN_LAST_WINDOW -> monitor.pinLastWindow(nowMillis);
        };
    }

    /** Publishes a model version's latest report, from the task that holds its monitor. */
    public void publish(AlignmentReport report) {
        latest.put(new ModelVersion(report.model(), report.version()), report);
    }

    /** Publishes a monitor's current values (reference state, latest statistic), from the task that holds it. */
    public void publish(MonitorGauges values) {
        gauges.put(new ModelVersion(values.model(), values.version()), values);
    }

    /**
     * Stops serving a model version's latest report and values, once no task of this instance
     * holds its monitor (the task that did closed or moved away): they were that task's, and would
     * otherwise be answered as current forever. The next publication, by a task of this instance
     * that holds the monitor again, serves them again. Does nothing when none are published.
     */
    public void forget(ModelVersion modelVersion) {
        latest.remove(modelVersion);
        gauges.remove(modelVersion);
    }

    /** Returns a monitor's latest published values, if a task of this instance holds it. */
    public Optional<MonitorGauges> values(ModelVersion modelVersion) {
        return Optional.ofNullable(gauges.get(modelVersion));
    }

    /**
     * Returns the latest report of a model version published by the task of this instance that
     * holds its monitor; empty when none does, or no window has closed since it published.
     */
    public Optional<AlignmentReport> latest(ModelVersion modelVersion) {
        return Optional.ofNullable(latest.get(modelVersion));
    }
}
