package io.resalign.streams;

import io.resalign.drift.ModelVersion;
import io.resalign.service.AlignmentReport;
import io.resalign.service.ModelMonitor;
import io.resalign.service.MonitorGauges;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connects the REST API with the monitors, which live in the stream tasks' state stores and are
 * only touched by their stream thread. Reads are served from what the tasks publish (the latest
 * report per model version); commands (reset, pin) are queued to every task's inbox and applied
 * by the task in its punctuator, between records, so that a monitor never sees two threads. The
 * state the command produces is then written to the store (and its changelog) like any other
 * update. Interactive queries were not used: they read stores, but cannot change them.
 */
@Singleton
public class MonitorBoard {

    /** What an operator asks of a monitor. */
    public enum Command {
        /** Drop the reference and collect a new one. */
        RESET_REFERENCE,
        /** Make the last closed window the reference. */
        PIN_LAST_WINDOW
    }

    /** One task's queue of commands. */
    public static final class Inbox {
        private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();

        /** Applies every queued command through {@code apply}, which returns whether this task had the monitor and acted. */
        public void drain(java.util.function.BiPredicate<ModelVersion, Command> apply) {
            for (Pending p; (p = queue.poll()) != null; ) {
                boolean applied;
                try {
                    applied = apply.test(p.modelVersion, p.command);
                } catch (RuntimeException e) {
                    applied = false;
                }
                p.done(applied);
            }
        }
    }

    /** A command as one inbox holds it; the last inbox to handle it completes the shared future. */
    private record Pending(ModelVersion modelVersion, Command command, AtomicInteger waiting, AtomicBoolean applied,
            CompletableFuture<Boolean> result) {
        void done(boolean didApply) {
            if (didApply) {
                applied.set(true);
            }
            if (waiting.decrementAndGet() == 0) {
                result.complete(applied.get());
            }
        }
    }

    private final Set<Inbox> inboxes = ConcurrentHashMap.newKeySet();
    private final Map<ModelVersion, AlignmentReport> latest = new ConcurrentHashMap<>();
    private final Map<ModelVersion, MonitorGauges> gauges = new ConcurrentHashMap<>();

    /** Registers a stream task's inbox (from the processor's {@code init}). */
    public Inbox open() {
        Inbox inbox = new Inbox();
        inboxes.add(inbox);
        return inbox;
    }

    /** Unregisters an inbox; its queued commands complete as not applied by it. */
    public void close(Inbox inbox) {
        inboxes.remove(inbox);
        inbox.drain((mv, c) -> false);
    }

    /**
     * Sends a command to every task; the future completes with true when some task held the
     * model version's monitor and applied it, false when none did (also when no task runs).
     */
    public CompletableFuture<Boolean> send(ModelVersion modelVersion, Command command) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        Set<Inbox> now = Set.copyOf(inboxes);
        if (now.isEmpty()) {
            result.complete(false);
            return result;
        }
        AtomicInteger waiting = new AtomicInteger(now.size());
        AtomicBoolean applied = new AtomicBoolean();
        for (Inbox inbox : now) {
            inbox.queue.add(new Pending(modelVersion, command, waiting, applied, result));
        }
        return result;
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

    /** Publishes a model version's latest report. */
    public void publish(AlignmentReport report) {
        latest.put(new ModelVersion(report.model(), report.version()), report);
    }

    /** Publishes a monitor's current values (reference state, latest statistic). */
    public void publish(MonitorGauges values) {
        gauges.put(new ModelVersion(values.model(), values.version()), values);
    }

    /** Returns a monitor's latest published values, if a task of this instance holds it. */
    public Optional<MonitorGauges> values(ModelVersion modelVersion) {
        return Optional.ofNullable(gauges.get(modelVersion));
    }

    /** Returns the latest report of a model version seen by this instance. */
    public Optional<AlignmentReport> latest(ModelVersion modelVersion) {
        return Optional.ofNullable(latest.get(modelVersion));
    }
}
