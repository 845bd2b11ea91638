package io.resalign.streams;

import io.resalign.config.Topics;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.sample.RejectReason;
import io.resalign.sample.SampleRecord;
import io.resalign.service.AlignmentReport;
import io.resalign.service.CrashPoints;
import io.resalign.service.ModelMonitor;
import io.resalign.streams.record.Decoded;
import io.resalign.streams.record.SampleSelection;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.jboss.logging.Logger;

/**
 * Analyses the micro-batches of one stream task: a batch goes through the engine and the model
 * version's monitor, its reports are forwarded and the monitor head saved. When the engine or the
 * monitor throws for a batch, the samples that fail are found by bisection, so that the others are
 * applied and only the failing ones are dead-lettered (reason {@code internal_error}), each record
 * once and standing for its failed samples only ({@link PendingRecord#deadLetter}).
 *
 * <p><b>Bisection.</b> A failed part of more than one sample is analysed in its two halves, and a
 * half that fails is halved again, down to single samples. When both halves of a split fail, the
 * failure is taken as sticky (a device out of memory, a closed engine): the whole split is
 * dead-lettered without more engine calls. So a sticky failure costs at most 3 engine calls per batch
 * (the batch and its two halves), and one bad sample among n about 2 log2(n) more (two halves a level).
 * Samples reach the monitor in input order, as the source positions in its head require: the right half
 * is tried before the failed left one is bisected (to know whether both fail), and when it passes, what
 * the monitor took from it is dropped (the monitor is read back from the store) and taken again, with
 * the engine's results of that try, after the left half's samples.
 *
 * <p><b>Writes.</b> The monitor is read back from the store after every throw, so every part that
 * passes is saved before the next part is tried: its reports, then the dead letters of the records it
 * completes, then the head that counts it, then its pending records. A part that fails is handled: its
 * source positions advance and are saved too, after its records' failed samples are in the store or,
 * for a record with nothing left pending, in its dead letter. A {@link KafkaException} (a failed send,
 * a store error) is not the batch's and goes on to the failure policies.
 */
final class BatchAnalysis {
    /** Analyses a batch of samples of one model version: {@code ModelRegistry.analyse} in the service. */
    @FunctionalInterface
    interface Engine {
        /** Returns one result per sample, in order; throws when the batch cannot be analysed. */
        List<SampleMetrics> analyse(ModelVersion mv, List<SampleRecord> batch);
    }

    private static final Logger LOG = Logger.getLogger(BatchAnalysis.class);
    /** The most sample ids a log line of a failed batch names. */
    private static final int LOGGED_IDS = 5;

    private final ProcessorContext<Object, byte[]> context;
    private final Engine engine;
    private final TaskMonitors monitors;
    private final PendingSamples pending;
    private final ResalignMetrics metrics;
    private final MonitorBoard board;
    private final Consumer<ModelMonitor> published;
    /** The latest failure of each record with failed samples, for its dead letter's message (held in memory only). */
    private final Map<PendingRecord, String> failures = new IdentityHashMap<>();

    BatchAnalysis(ProcessorContext<Object, byte[]> context, Engine engine, TaskMonitors monitors, PendingSamples pending,
            ResalignMetrics metrics, MonitorBoard board, Consumer<ModelMonitor> published) {
        this.context = context;
        this.engine = engine;
        this.monitors = monitors;
        this.pending = pending;
        this.metrics = metrics;
        this.board = board;
        this.published = published;
    }

    /** Analyses a batch of samples of {@code mv} that wait in {@link PendingSamples}, in input order. */
    void analyse(ModelVersion mv, List<SampleRecord> batch) {
        metrics.pending(mv, -batch.size());
        Run run = new Run(mv);
        run.settle(batch, run.attempt(batch));
        run.count(batch);
    }

    /**
     * Dead-letters a record that has nothing pending any more, when samples of it failed: called for
     * every record a part of a batch completes, and by the processor for a record whose last pending
     * sample was skipped, or found analysed when the task resumed it.
     */
    void finished(PendingRecord record, ModelVersion mv) {
        String why = failures.remove(record);
        if (record.hasFailed()) {
            deadLetter(record, why, mv);
        }
    }

    private void deadLetter(PendingRecord record, String why, ModelVersion mv) {
        String which = record.samples() == 1 ? "" : " (samples " + SampleSelection.format(record.failedSamples()) + " of the record's "
                + (record.samples() < 0 ? "" : record.samples() + " ") + "samples)";
        String message = "analysis of the batch failed for " + AlignmentProcessor.key(mv) + which + ": "
                + (why != null ? why : "before the task restarted; the service log of that time has the exception");
        Record<Object, byte[]> letter = record.deadLetter(new Decoded.Rejection(RejectReason.INTERNAL_ERROR, message),
                record.failedSamples(), context.currentSystemTimeMs());
        context.forward(letter, TopologyProducer.DLQ_BOUND);
    }

    /** What trying a part gave: the engine's results and the reports of what the monitor took, or the failure. */
    private record Attempt(List<SampleMetrics> results, List<AlignmentReport> reports, RuntimeException failure) {
        boolean passed() {
            return failure == null;
        }
    }

    /** The analysis of one batch: its model version and what its parts gave so far. */
    private final class Run {
        private final ModelVersion mv;
        private final long start = System.nanoTime();
        private int engineCalls;
        private int applied;
        private int failed;
        private boolean sticky;
        private RuntimeException lastFailure;
        private final List<String> failedIds = new ArrayList<>();

        Run(ModelVersion mv) {
            this.mv = mv;
        }

        /** Runs a part through the engine and the monitor; nothing is saved. The monitor is as stored before and after a failure. */
        Attempt attempt(List<SampleRecord> part) {
            List<SampleMetrics> results;
            engineCalls++;
            try {
                results = engine.analyse(mv, part);
            } catch (KafkaException e) {
                throw e;
            } catch (RuntimeException e) {
                return new Attempt(null, null, e); // the monitor was not touched
            }
            return accept(part, results);
        }

        /** Gives the monitor a part's results; after a throw it is forgotten (possibly half-updated), and read back at its next use. */
        Attempt accept(List<SampleRecord> part, List<SampleMetrics> results) {
            try {
                return new Attempt(results, monitors.get(mv).acceptAll(part, results), null);
            } catch (KafkaException e) {
                throw e; // a failed send or store write surfacing here is not the batch's: the failure policies must see it
            } catch (RuntimeException e) {
                monitors.forget(mv);
                return new Attempt(results, null, e);
            }
        }

        /** Applies a part that passed; bisects one of several samples that failed; dead-letters a single failed sample. */
        void settle(List<SampleRecord> part, Attempt attempt) {
            if (attempt.passed()) {
                apply(part, attempt);
            } else if (part.size() > 1) {
                bisect(part);
            } else {
                fail(part, attempt.failure());
            }
        }

        /** Finds the failing samples of a part that failed as a whole; the monitor is as stored. */
        private void bisect(List<SampleRecord> part) {
            List<SampleRecord> left = part.subList(0, part.size() / 2);
            List<SampleRecord> right = part.subList(part.size() / 2, part.size());
            Attempt l = attempt(left);
            if (l.passed()) {
                apply(left, l);
                settle(right, attempt(right));
                return;
            }
            if (left.size() == 1) {
                fail(left, l.failure());
                Attempt r = attempt(right);
                if (r.passed()) {
                    apply(right, r);
                } else {
                    sticky = true; // both halves failed: no further split
                    fail(right, r.failure());
                }
                return;
            }
            Attempt r = attempt(right);
            if (!r.passed()) {
                sticky = true;
                fail(part, r.failure());
                return;
            }
            monitors.forget(mv); // what the monitor took from the right half waits until the left half's samples are in
            bisect(left);
            settle(right, accept(right, r.results()));
        }

        /** Saves a part that passed: reports, dead letters of the records it completes, the head, then its pending records. */
        private void apply(List<SampleRecord> part, Attempt attempt) {
            CrashPoints.reach("batch-analysed");
            PendingSamples.Taken taken = pending.take(part, false);
            ModelMonitor monitor = monitors.get(mv);
            taken.advance(monitor.positions());
            // Reports go before the head that counts their window: a crash in between repeats an identical
            // report under at_least_once, where the other order could lose one (docs/kafka.md, "Delivery guarantees").
            for (AlignmentReport report : attempt.reports()) {
                context.forward(new Record<>(AlignmentProcessor.key(mv), report.toJsonBytes(), report.window().endTime()),
                        TopologyProducer.REPORTS_SINK);
                CrashPoints.reach("window-reported");
            }
            deadLetterFinished(taken);
            monitors.save(monitor);
            CrashPoints.reach("batch-saved");
            pending.settle(taken);
            applied += part.size();
            metrics.samplesApplied(mv, part, System.currentTimeMillis()); // now, not the stream thread's cached time
            for (AlignmentReport report : attempt.reports()) {
                metrics.report(mv, report);
                board.publish(report);
            }
        }

        /** Handles a part that failed: its samples marked failed (their records dead-lettered once nothing of them is pending), its positions saved. */
        private void fail(List<SampleRecord> part, RuntimeException failure) {
            PendingSamples.Taken taken = pending.take(part, true);
            String why = failure.toString();
            taken.records().forEach(r -> failures.put(r, why));
            deadLetterFinished(taken);
            pending.keepFailed(taken);
            // handled: a delivery after a crash must not analyse them again
            ModelMonitor stored = monitors.get(mv);
            taken.advance(stored.positions());
            monitors.save(stored);
            pending.settle(taken);
            failed += part.size();
            lastFailure = failure;
            part.stream().limit(Math.max(0, LOGGED_IDS - failedIds.size())).forEach(s -> failedIds.add(s.id()));
        }

        private void deadLetterFinished(PendingSamples.Taken taken) {
            taken.finished().forEach(r -> finished(r, mv));
        }

        /** Counts the batch's outcome and logs a failure: a batch of which nothing passed lengthens the model version's run of failed batches. */
        void count(List<SampleRecord> batch) {
            long nanos = System.nanoTime() - start;
            if (failed == 0) {
                metrics.batchDone(mv, batch.size(), nanos);
            } else if (applied == 0) {
                metrics.batchFailed(mv, batch.size());
            } else {
                metrics.batchPartlyFailed(mv, applied, failed, nanos);
            }
            if (failed > 0) {
                String ids = failedIds.stream().collect(Collectors.joining(", ")) + (failed > failedIds.size() ? ", ..." : "");
                String how = batch.size() == 1 ? "not split (one sample)" : sticky
                        ? "bisected until both halves of a part failed (taken as sticky, not split further)" : "bisected";
                LOG.warnf(lastFailure, "Analysis of a batch of %d samples of %s failed; %s: %d failed (%s) and go with their records to"
                        + " %s (reason internal_error), %d passed; %d engine calls", batch.size(), AlignmentProcessor.key(mv), how, failed,
                        ids, Topics.INFERENCE_SAMPLES_DLQ, applied, engineCalls);
            }
            if (applied > 0) {
                published.accept(monitors.get(mv));
            }
        }
    }
}
