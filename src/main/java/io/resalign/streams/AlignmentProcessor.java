package io.resalign.streams;

import io.resalign.config.Topics;

import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.AlignmentReport;
import io.resalign.service.CrashPoints;
import io.resalign.service.EngineBudget;
import io.resalign.service.MicroBatcher;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorGauges;
import io.resalign.service.SourcePositions;
import io.resalign.service.StateRecords;
import io.resalign.streams.record.DeadLetters;
import io.resalign.streams.record.Decoded;
import io.resalign.sample.RejectReason;
import io.resalign.streams.record.SampleDecoder;
import io.resalign.sample.SampleRecord;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * Takes sample records from the samples topic to alignment reports: decodes each record (a bad
 * one goes, unchanged, to the dead-letter topic with the reason in its headers), groups the
 * samples per model version in a {@link MicroBatcher}, analyses each batch through the
 * {@link ModelRegistry}, feeds the results to the model version's {@link ModelMonitor} and
 * forwards the report of every window that closes.
 *
 * <p>Monitors live in the task's key-value store (with a changelog) as bounded records
 * ({@link io.resalign.service.MonitorRecords}: a head per model version, the reference in chunks, the
 * last window); {@link TaskMonitors} caches them, saves them after every batch and command (the
 * head, and the parts that changed), and reads them back with {@link ModelMonitor#load} on first use,
 * so a restarted or migrated task resumes with the same reference. A wall-clock punctuator sends the
 * batches that waited long enough and applies the operators' commands ({@link MonitorBoard}).
 *
 * <p>A batch that fails in the engine or the monitor costs only its records: they go to the
 * dead-letter topic with reason {@code internal_error}, the failure is counted, and the stream
 * thread goes on with a monitor read back from the store (the failed batch left no trace there).
 *
 * <p>Samples waiting for their batch are not lost when the task closes or dies: every record with
 * pending samples is kept in the monitor store too (a {@link PendingRecord} per record;
 * {@link PendingSamples} keeps it) until all of its samples are analysed or dead-lettered. A task
 * that starts (after a restart or a migration) reads them before its first record and re-enqueues them, in
 * the order they came, before it takes any new record. And no sample is counted twice: each monitor
 * head holds the last source position it took ({@link io.resalign.service.SourcePositions}), saved
 * with the counts, and a sample at or before it, delivered again after a crash, is not taken
 * (docs/kafka.md, "Delivery guarantees").
 */
final class AlignmentProcessor implements Processor<byte[], byte[], Object, byte[]> {
    private static final Logger LOG = Logger.getLogger(AlignmentProcessor.class);

    private final ModelRegistry registry;
    private final SampleDecoder decoder;
    private final ResalignMetrics metrics;
    private final MonitorBoard board;
    private final EngineBudget budget;
    private final ProcessorSettings settings;
    private final Map<ModelVersion, MicroBatcher> batchers = new HashMap<>();
    private ProcessorContext<Object, byte[]> context;
    private TaskMonitors monitors;
    private PendingSamples pending;
    private MonitorBoard.Inbox inbox;

    AlignmentProcessor(ModelRegistry registry, SampleDecoder decoder, ResalignMetrics metrics, MonitorBoard board,
            EngineBudget budget, ProcessorSettings settings) {
        this.registry = registry;
        this.decoder = decoder;
        this.metrics = metrics;
        this.board = board;
        this.budget = budget;
        this.settings = settings;
    }

    @Override
    public void init(ProcessorContext<Object, byte[]> context) {
        this.context = context;
        StateRecords records = MonitorStore.records(context.getStateStore(TopologyProducer.MONITOR_STORE));
        this.monitors = new TaskMonitors(records, registry, settings.drift());
        // Taken up before the first record or punctuation, not here: analysing a full batch
        // forwards reports and dead letters, which init may not do.
        this.pending = new PendingSamples(records, context.getStateStore(TopologyProducer.LEGACY_PENDING_STORE));
        this.inbox = board.open();
        context.schedule(settings.punctuation(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        resumePending();
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? Topics.INFERENCE_SAMPLES : meta.topic();
        int partition = meta == null ? -1 : meta.partition();
        long offset = meta == null ? -1 : meta.offset();
        // Without metadata (never for a record from the source node) there is no key to keep it under.
        boolean keepable = partition >= 0 && offset >= 0;
        if (keepable && pending.isKept(partition, offset)) {
            // At-least-once after a crash: the record came again, but its samples are pending already
            // (the store's changelog ran ahead of the committed offset). Taking it twice would count it twice.
            LOG.debugf("Record %s-%d@%d is pending already; not taken again", topic, partition, offset);
            return;
        }
        metrics.recordIn();
        PendingRecord origin = new PendingRecord(record.key(), record.value(), record.headers(), topic, partition, offset,
                record.timestamp(), new BitSet());
        Decoded decoded = decoder.decode(topic, partition, offset, record.timestamp(), record.headers(), record.value());
        if (decoded instanceof Decoded.Rejection rejection) {
            metrics.rejected(rejection.reason());
            deadLetter(origin, rejection);
            return;
        }
        List<SampleRecord> samples = decoded.samples();
        ModelVersion mv = new ModelVersion(samples.get(0).model(), samples.get(0).version());
        int first = keepable ? firstNotTaken(mv, partition, offset, samples.size()) : 0;
        if (first == samples.size()) {
            // At-least-once after a crash: the monitor's head, saved with the batch, ran ahead of the committed offset.
            LOG.debugf("Record %s-%d@%d was taken already by %s; not taken again", topic, partition, offset, key(mv));
            return;
        }
        metrics.samplesIn(mv, samples.size() - first);
        MicroBatcher batcher = batcher(mv);
        long now = context.currentSystemTimeMs();
        for (int i = first; i < samples.size(); i++) {
            SampleRecord sample = samples.get(i);
            long skippedBefore = batcher.skipped();
            var batch = batcher.add(sample, now);
            if (batcher.skipped() > skippedBefore) {
                metrics.skipped(mv);
                continue;
            }
            pending.waits(origin, i, sample);
            metrics.pending(mv, 1);
            analyseWhenDue(mv, batcher, batch);
        }
        if (!origin.isDone() && origin.size() > settings.maxPendingRecordBytes()) {
            // too large to keep in the store: its batch goes now, smaller than the batch size
            batcher.drain().ifPresent(b -> analyse(mv, b));
        }
        // Kept only when samples of it still wait: a record that completed a batch, or whose samples
        // were all skipped, never reaches the store. Writing after the analysis is safe, because offsets
        // are committed (and, under exactly_once_v2, the transaction ends) only between two calls of process.
        if (keepable) {
            pending.keepIfWaiting(origin);
        }
    }

    /**
     * Returns the index of the first sample of the record at {@code partition} and {@code offset}
     * that the monitor of {@code mv} has not taken yet ({@code count} when it has taken them all).
     */
    private int firstNotTaken(ModelVersion mv, int partition, long offset, int count) {
        SourcePositions positions = monitors.get(mv).positions();
        int first = 0;
        while (first < count && positions.covers(partition, offset, first)) {
            first++;
        }
        return first;
    }

    /**
     * Analyses the batch a sample completed, or the batcher's pending samples when they would already
     * take the configured engine seconds at the model version's measured cost: a model whose samples
     * cost seconds is analysed in smaller batches, so that the stream thread comes back to its
     * consumer well within {@code max.poll.interval.ms} (5 minutes) and the pending samples wait less.
     */
    private void analyseWhenDue(ModelVersion mv, MicroBatcher batcher, Optional<List<SampleRecord>> completed) {
        double perSample = registry.engineSecondsPerSample(mv);
        boolean tooCostly = perSample * batcher.pending() >= settings.maxBatchSeconds(); // false while NaN (nothing measured yet)
        Optional<List<SampleRecord>> batch = completed.isEmpty() && tooCostly ? batcher.drain() : completed;
        batch.ifPresent(b -> analyse(mv, b));
    }

    private MicroBatcher batcher(ModelVersion mv) {
        return batchers.computeIfAbsent(mv,
                k -> new MicroBatcher(settings.batchSize(), settings.maxWaitMillis(), settings.rateLimit(), now -> budget.admit(k, now)));
    }

    /**
     * Re-enqueues the records a previous owner of the task left pending, once,
     * before the first new record: their samples were admitted already, so the rate limit does not
     * apply again, and a record the decoder now refuses (its model version no longer loaded) goes to
     * the dead-letter topic.
     */
    private void resumePending() {
        List<byte[]> values = pending.takeLeftInStore();
        if (values == null) {
            return;
        }
        long now = context.currentSystemTimeMs();
        int resumed = 0;
        for (byte[] value : values) {
            PendingRecord p;
            try {
                p = PendingRecord.fromBytes(value);
            } catch (IllegalArgumentException e) {
                LOG.errorf("A value of store %s is not a pending record (%s); it is dropped", TopologyProducer.MONITOR_STORE,
                        e.getMessage());
                continue; // its key is unknown without a readable value; the changelog keeps it until compaction
            }
            Decoded decoded = decoder.decode(p.topic(), p.partition(), p.offset(), p.timestamp(), p.headers(), p.value());
            if (decoded instanceof Decoded.Rejection rejection) {
                metrics.rejected(rejection.reason());
                deadLetter(p, rejection);
                pending.delete(p);
                continue;
            }
            List<SampleRecord> samples = decoded.samples();
            ModelVersion mv = new ModelVersion(samples.get(0).model(), samples.get(0).version());
            if (p.isDone()) {
                pending.delete(p);
                continue;
            }
            MicroBatcher batcher = batcher(mv);
            pending.keptAlready(p);
            SourcePositions positions = monitors.get(mv).positions();
            for (int i = 0; i < samples.size(); i++) {
                if (p.isPending(i) && positions.covers(p.partition(), p.offset(), i)) {
                    p.markDone(i); // analysed, and its head saved, before the crash that left the record here
                } else if (p.isPending(i)) {
                    pending.waits(p, i, samples.get(i));
                    metrics.pending(mv, 1);
                    resumed++;
                    analyseWhenDue(mv, batcher, batcher.readmit(samples.get(i), now));
                }
            }
            if (p.isDone()) {
                pending.delete(p);
            }
        }
        if (resumed > 0) {
            LOG.infof("Resumed %d pending samples of %d records from store %s", resumed, values.size(), TopologyProducer.MONITOR_STORE);
        }
    }

    private void punctuate(long now) {
        resumePending();
        inbox.drain((mv, command) -> command(mv, command, now));
        for (var entry : List.copyOf(batchers.entrySet())) {
            entry.getValue().poll(now).ifPresent(b -> analyse(entry.getKey(), b));
        }
        for (ModelMonitor monitor : monitors.all()) {
            publish(monitor, now);
        }
    }

    private boolean command(ModelVersion mv, MonitorBoard.Command command, long now) {
        if (!monitors.holds(mv)) {
            return false;
        }
        ModelMonitor monitor = monitors.get(mv);
        boolean applied;
        try {
            applied = MonitorBoard.apply(monitor, command, now);
            monitors.save(monitor);
        } catch (RuntimeException e) {
            monitors.forget(mv); // possibly half-changed: the next use reads the stored state back (MonitorBoard logs it)
            throw e;
        }
        publish(monitor, now);
        LOG.infof("%s on %s: %s", command, key(mv), applied ? "applied" : "nothing to do");
        return applied;
    }

    private void analyse(ModelVersion mv, List<SampleRecord> batch) {
        metrics.pending(mv, -batch.size());
        // the records of the batch in input order, each once (a record may carry several samples);
        // analysed or dead-lettered below: in both cases no longer pending
        PendingSamples.Taken taken = pending.take(batch);
        long start = System.nanoTime();
        List<AlignmentReport> reports;
        ModelMonitor monitor;
        try {
            List<SampleMetrics> results = registry.analyse(mv, batch);
            monitor = monitors.get(mv);
            reports = monitor.acceptAll(batch, results);
        } catch (KafkaException e) {
            throw e; // a failed send or store write surfacing here is not the batch's: the failure policies must see it
        } catch (RuntimeException e) {
            monitors.forget(mv); // possibly half-updated: the next use reads the stored state back
            metrics.batchFailed(mv, batch.size());
            LOG.warnf(e, "Analysis of a batch of %d samples of %s failed; its %d records go to %s", batch.size(), key(mv),
                    taken.records().size(), Topics.INFERENCE_SAMPLES_DLQ);
            Decoded.Rejection rejection = new Decoded.Rejection(RejectReason.INTERNAL_ERROR,
                    "analysis of the batch failed for " + key(mv) + ": " + e);
            taken.records().forEach(o -> deadLetter(o, rejection));
            // handled: a delivery after a crash must not analyse them again
            ModelMonitor stored = monitors.get(mv);
            taken.advance(stored.positions());
            monitors.save(stored);
            pending.settle(taken);
            return;
        }
        CrashPoints.reach("batch-analysed");
        taken.advance(monitor.positions());
        // Reports go before the head that counts their window: a crash in between repeats an identical
        // report under at_least_once, where the other order could lose one (docs/kafka.md, "Delivery guarantees").
        for (AlignmentReport report : reports) {
            context.forward(new Record<>(key(mv), report.toJsonBytes(), report.window().endTime()), TopologyProducer.REPORTS_SINK);
            CrashPoints.reach("window-reported");
        }
        monitors.save(monitor);
        CrashPoints.reach("batch-saved");
        pending.settle(taken);
        metrics.batchDone(mv, batch.size(), System.nanoTime() - start);
        metrics.samplesApplied(mv, batch, System.currentTimeMillis()); // now, not the stream thread's cached time
        for (AlignmentReport report : reports) {
            metrics.report(mv, report);
            board.publish(report);
        }
        publish(monitor, context.currentSystemTimeMs());
    }

    private void publish(ModelMonitor monitor, long now) {
        MonitorGauges values = monitor.gauges(now);
        metrics.publish(values);
        board.publish(values);
    }

    private void deadLetter(PendingRecord o, Decoded.Rejection rejection) {
        Headers headers = DeadLetters.headers(o.headers(), rejection, o.topic(), o.partition(), o.offset(), context.currentSystemTimeMs());
        context.forward(new Record<Object, byte[]>(o.key(), o.value(), o.timestamp(), headers), TopologyProducer.DLQ_BOUND);
    }

    /** Returns the key of a model version's reports, {@code model:version} (docs/reports.md). */
    static String key(ModelVersion mv) {
        return mv.model() + ":" + mv.version();
    }

    @Override
    public void close() {
        board.close(inbox);
        // Pending samples are not analysed here (close may not forward): they are in the pending
        // store, and the task's next owner takes them from there (docs/kafka.md, delivery guarantees).
        batchers.forEach((mv, b) -> metrics.pending(mv, -b.pending()));
    }
}
