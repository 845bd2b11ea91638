package io.resalign.streams;

import io.resalign.config.Topics;

import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.EngineBudget;
import io.resalign.service.MicroBatcher;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorGauges;
import io.resalign.service.SourcePositions;
import io.resalign.service.StateRecords;
import io.resalign.streams.record.Decoded;
import io.resalign.streams.record.SampleDecoder;
import io.resalign.sample.SampleRecord;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * Takes sample records from the samples topic to alignment reports: decodes each record (a bad
 * one goes, unchanged, to the dead-letter topic with the reason in its headers), groups the
 * samples per model version in a {@link MicroBatcher}, and has each batch analysed
 * ({@link BatchAnalysis}: the {@link ModelRegistry}'s engine, then the model version's
 * {@link ModelMonitor}, the report of every window that closes forwarded).
 *
 * <p>Monitors live in the task's key-value store (with a changelog) as bounded records
 * ({@link io.resalign.service.MonitorRecords}: a head per model version, the reference in chunks, the
 * last window); {@link TaskMonitors} caches them, saves them after every batch and command (the
 * head, and the parts that changed), and reads them back with {@link ModelMonitor#load} on first use,
 * so a restarted or migrated task resumes with the same reference. A wall-clock punctuator sends the
 * batches that waited long enough and applies the operators' commands ({@link MonitorBoard}).
 *
 * <p>A batch that fails in the engine or the monitor costs only its samples that fail: it is
 * bisected ({@link BatchAnalysis}), the samples that pass are applied, and a record with failed
 * samples goes to the dead-letter topic with reason {@code internal_error} once, when none of its
 * samples is pending any more, naming the samples it stands for. A record that arrives with such a
 * header (a replayed dead letter) has only those samples taken.
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
    private final BatchAnalysis.Engine engine;
    private final SampleDecoder decoder;
    private final ResalignMetrics metrics;
    private final MonitorBoard board;
    private final EngineBudget budget;
    private final ProcessorSettings settings;
    private final Map<ModelVersion, MicroBatcher> batchers = new HashMap<>();
    private ProcessorContext<Object, byte[]> context;
    private TaskMonitors monitors;
    private PendingSamples pending;
    private BatchAnalysis analysis;
    private MonitorBoard.Inbox inbox;

    /** Creates the processor of a task; {@code engine} analyses its batches ({@code registry::analyse} but in tests). */
    AlignmentProcessor(ModelRegistry registry, BatchAnalysis.Engine engine, SampleDecoder decoder, ResalignMetrics metrics,
            MonitorBoard board, EngineBudget budget, ProcessorSettings settings) {
        this.registry = registry;
        this.engine = engine;
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
        this.analysis = new BatchAnalysis(context, engine, monitors, pending, metrics, board,
                monitor -> publish(monitor, context.currentSystemTimeMs()));
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
        Decoded decoded = decoder.decode(topic, partition, offset, record.timestamp(), record.headers(), record.value());
        if (decoded instanceof Decoded.Rejection rejection) {
            metrics.rejected(rejection.reason());
            PendingRecord whole = PendingRecord.of(record, topic, partition, offset, -1, new BitSet());
            context.forward(whole.deadLetter(rejection, null, context.currentSystemTimeMs()), TopologyProducer.DLQ_BOUND);
            return;
        }
        List<SampleRecord> samples = decoded.samples();
        ModelVersion mv = new ModelVersion(samples.get(0).model(), samples.get(0).version());
        // indices stay the record's: positions and pending bits name sample i of the record whatever the selection
        BitSet taken = decoded.selected();
        taken.clear(0, keepable ? firstNotTaken(mv, partition, offset, samples.size()) : 0);
        if (taken.isEmpty()) {
            // At-least-once after a crash: the monitor's head, saved with the batch, ran ahead of the committed offset.
            LOG.debugf("Record %s-%d@%d was taken already by %s; not taken again", topic, partition, offset, key(mv));
            return;
        }
        // all of them pending from here on, so that a batch taking the first does not find the record finished
        PendingRecord origin = PendingRecord.of(record, topic, partition, offset, samples.size(), (BitSet) taken.clone());
        metrics.samplesIn(mv, taken.cardinality());
        MicroBatcher batcher = batcher(mv);
        long now = context.currentSystemTimeMs();
        for (int i = taken.nextSetBit(0); i >= 0; i = taken.nextSetBit(i + 1)) {
            SampleRecord sample = samples.get(i);
            long skippedBefore = batcher.skipped();
            var batch = batcher.add(sample, now);
            if (batcher.skipped() > skippedBefore) {
                metrics.skipped(mv);
                if (origin.markDone(i)) {
                    analysis.finished(origin, mv); // dead-lettered now when samples of it failed in earlier batches
                }
                continue;
            }
            pending.waits(origin, i, sample);
            metrics.pending(mv, 1);
            analyseWhenDue(mv, batcher, batch);
        }
        if (!origin.isDone() && origin.size() > settings.maxPendingRecordBytes()) {
            // too large to keep in the store: its batch goes now, smaller than the batch size
            batcher.drain().ifPresent(b -> analysis.analyse(mv, b));
        }
        // Kept only when samples of it still wait: a record that completed a batch, or whose samples
        // were all skipped, never reaches the store (unless a failed sample of it had to be written first,
        // BatchAnalysis). Writing after the analysis is safe, because offsets are committed (and, under
        // exactly_once_v2, the transaction ends) only between two calls of process.
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
        batch.ifPresent(b -> analysis.analyse(mv, b));
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
            if (p.unresolved().isEmpty()) {
                pending.delete(p); // nothing pending and nothing failed: nothing to take up
                continue;
            }
            Decoded decoded = decoder.decode(p.topic(), p.partition(), p.offset(), p.timestamp(), p.headers(), p.value());
            if (decoded instanceof Decoded.Rejection rejection) {
                metrics.rejected(rejection.reason());
                // standing for the samples not analysed: those analysed before are counted already
                context.forward(p.deadLetter(rejection, p.unresolved(), now), TopologyProducer.DLQ_BOUND);
                pending.delete(p);
                continue;
            }
            List<SampleRecord> samples = decoded.samples();
            ModelVersion mv = new ModelVersion(samples.get(0).model(), samples.get(0).version());
            if (p.samples() < 0) { // written by a build that did not keep the count
                p = new PendingRecord(p.key(), p.value(), p.headers(), p.topic(), p.partition(), p.offset(), p.timestamp(),
                        samples.size(), p.pending(), p.failed());
            }
            MicroBatcher batcher = batcher(mv);
            pending.keptAlready(p);
            SourcePositions positions = monitors.get(mv).positions();
            for (int i = p.pending().nextSetBit(0); i >= 0 && i < samples.size(); i = p.pending().nextSetBit(i + 1)) {
                if (positions.covers(p.partition(), p.offset(), i)) {
                    // analysed, and its head saved, before the crash that left the record here
                    if (p.markDone(i)) {
                        analysis.finished(p, mv);
                    }
                } else {
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
            entry.getValue().poll(now).ifPresent(b -> analysis.analyse(entry.getKey(), b));
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

    private void publish(ModelMonitor monitor, long now) {
        MonitorGauges values = monitor.gauges(now);
        metrics.publish(values);
        board.publish(values);
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
