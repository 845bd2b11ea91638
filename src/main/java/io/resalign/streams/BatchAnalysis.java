package io.resalign.streams;

import io.resalign.config.Topics;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.sample.RejectReason;
import io.resalign.sample.SampleRecord;
import io.resalign.service.CrashPoints;
import io.resalign.service.FeatureRow;
import io.resalign.streams.record.Decoded;
import io.resalign.streams.record.SampleSelection;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.jboss.logging.Logger;

/**
 * Analyses the micro-batches of one task of the analysis stage: a batch goes through the engine and
 * its samples' feature rows go, in input order and as one record, to the model version's owner (the
 * monitor stage). When the engine throws for a batch, the samples that fail are found by bisection,
 * so that the others are analysed and only the failing ones are dead-lettered (reason
 * {@code internal_error}), each record once and standing for its failed samples only
 * ({@link PendingRecord#deadLetter}).
 *
 * <p><b>Bisection.</b> A failed part of more than one sample is analysed in its two halves, and a
 * half that fails is halved again, down to single samples. When both halves of a split fail, the
 * failure is taken as sticky (a device out of memory, a closed engine): the whole split is
 * dead-lettered without more engine calls. So a sticky failure costs at most 3 engine calls per batch
 * (the batch and its two halves), and one bad sample among n about 2 log2(n) more (two halves a level).
 * Rows leave in input order, as the monitor's source positions require: the right half is tried
 * before the failed left one is bisected (to know whether both fail), and when it passes its rows
 * wait until the left half's have gone.
 *
 * <p><b>Writes.</b> A part that passes: its rows, then the dead letters of the records it completes,
 * then the new state of its pending records (written once the rows are on the broker,
 * {@link PendingSamples}). A {@link KafkaException} (a failed send, a store error) is not the batch's and
 * goes on to the failure policies.
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

    private final ProcessorContext<Object, Emitted> context;
    private final Engine engine;
    private final Function<ModelVersion, FeatureSchema> schemas;
    private final PendingSamples pending;
    private final ResalignMetrics metrics;
    /** The latest failure of each record with failed samples, for its dead letter's message (held in memory only). */
    private final Map<PendingRecord, String> failures = new IdentityHashMap<>();

    BatchAnalysis(ProcessorContext<Object, Emitted> context, Engine engine, Function<ModelVersion, FeatureSchema> schemas,
            PendingSamples pending, ResalignMetrics metrics) {
        this.context = context;
        this.engine = engine;
        this.schemas = schemas;
        this.pending = pending;
        this.metrics = metrics;
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
     * sample was skipped.
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
        String message = "analysis of the batch failed for " + AnalysisProcessor.key(mv) + which + ": "
                + (why != null ? why : "before the task restarted; the service log of that time has the exception");
        Record<Object, byte[]> letter = record.deadLetter(new Decoded.Rejection(RejectReason.INTERNAL_ERROR, message),
                record.failedSamples(), context.currentSystemTimeMs());
        context.forward(letter.withValue(new Emitted.DeadLetter(letter.value())));
    }

    /** What trying a part gave: the engine's results, or the failure. */
    private record Attempt(List<SampleMetrics> results, RuntimeException failure) {
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

        /** Runs a part through the engine. */
        Attempt attempt(List<SampleRecord> part) {
            engineCalls++;
            try {
                return new Attempt(engine.analyse(mv, part), null);
            } catch (KafkaException e) {
                throw e;
            } catch (RuntimeException e) {
                return new Attempt(null, e);
            }
        }

        /** Sends a part that passed; bisects one of several samples that failed; dead-letters a single failed sample. */
        void settle(List<SampleRecord> part, Attempt attempt) {
            if (attempt.passed()) {
                apply(part, attempt.results());
            } else if (part.size() > 1) {
                bisect(part);
            } else {
                fail(part, attempt.failure());
            }
        }

        /** Finds the failing samples of a part that failed as a whole. */
        private void bisect(List<SampleRecord> part) {
            List<SampleRecord> left = part.subList(0, part.size() / 2);
            List<SampleRecord> right = part.subList(part.size() / 2, part.size());
            Attempt l = attempt(left);
            if (l.passed()) {
                apply(left, l.results());
                settle(right, attempt(right));
                return;
            }
            Attempt r = attempt(right);
            if (!r.passed()) {
                sticky = true; // both halves failed: no further split
                fail(part, r.failure());
                return;
            }
            if (left.size() == 1) {
                fail(left, l.failure());
            } else {
                bisect(left);
            }
            apply(right, r.results()); // after the left half's rows: input order
        }

        /** Sends a part that passed: its rows, the dead letters of the records it completes, then its records' new state. */
        private void apply(List<SampleRecord> part, List<SampleMetrics> results) {
            CrashPoints.reach("batch-analysed");
            FeatureSchema schema = schemas.apply(mv);
            List<FeatureRow> rows = new ArrayList<>(part.size());
            long time = Long.MIN_VALUE;
            for (int i = 0; i < part.size(); i++) {
                SampleRecord s = part.get(i);
                PendingSamples.Position at = pending.position(s);
                rows.add(FeatureRow.of(s, results.get(i), schema, at.partition(), at.offset(), at.index()));
                time = Math.max(time, s.timestamp());
            }
            PendingSamples.Taken taken = pending.take(part, false);
            context.forward(new Record<Object, Emitted>(AnalysisProcessor.key(mv), new Emitted.Rows(FeatureRow.encodeAll(rows)), time));
            deadLetterFinished(taken);
            pending.settle(taken);
            applied += part.size();
        }

        /** Handles a part that failed: its samples marked failed, their records dead-lettered once nothing of them is pending. */
        private void fail(List<SampleRecord> part, RuntimeException failure) {
            PendingSamples.Taken taken = pending.take(part, true);
            String why = failure.toString();
            taken.records().forEach(r -> failures.put(r, why));
            deadLetterFinished(taken);
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
                        + " %s (reason internal_error), %d passed; %d engine calls", batch.size(), AnalysisProcessor.key(mv), how, failed,
                        ids, Topics.INFERENCE_SAMPLES_DLQ, applied, engineCalls);
            }
        }
    }
}
