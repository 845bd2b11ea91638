package io.resalign.streams;

import io.resalign.config.Topics;

import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.EngineBudget;
import io.resalign.service.MicroBatcher;
import io.resalign.service.ModelRegistry;
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
 * The analysis stage: takes sample records from the samples topic to feature rows. Decodes each
 * record (a bad one goes, unchanged, to the dead-letter topic with the reason in its headers),
 * groups the samples per model version in a {@link MicroBatcher}, and has each batch analysed
 * ({@link BatchAnalysis}: the {@link ModelRegistry}'s engine), whose feature rows go, keyed by model
 * version, to the monitor stage ({@link MonitorProcessor}) that owns the model version's monitor.
 * Any partition of the samples topic, whatever the producer's key: the engine's work spreads over
 * every task and instance, and the monitor of a model version is one. A wall-clock punctuator sends
 * the batches that waited long enough.
 *
 * <p>A batch that fails in the engine costs only its samples that fail: it is bisected
 * ({@link BatchAnalysis}), the samples that pass go on, and a record with failed samples goes to the
 * dead-letter topic with reason {@code internal_error} once, when none of its samples is pending any
 * more, naming the samples it stands for. A record that arrives with such a header (a replayed dead
 * letter) has only those samples taken.
 *
 * <p>Samples waiting for their batch are not lost when the task closes or dies: every record with
 * pending samples is kept in the task's store (a {@link PendingRecord} per record;
 * {@link PendingSamples} keeps it) until all of its samples are analysed or dead-lettered, and a
 * sample counts as done there only once its row is on the broker ({@link CommitEpochs}). A task that
 * starts (after a restart or a migration) reads them before its first record and re-enqueues them,
 * in the order they came, before it takes any new record. A sample analysed twice after a crash (its
 * row was sent, the store did not say so yet) is taken once by the monitor stage, whose source
 * positions recognise it (docs/kafka.md, "Delivery guarantees").
 */
final class AnalysisProcessor implements Processor<byte[], byte[], Object, Emitted> {
    private static final Logger LOG = Logger.getLogger(AnalysisProcessor.class);

    private final ModelRegistry registry;
    private final BatchAnalysis.Engine engine;
    private final SampleDecoder decoder;
    private final ResalignMetrics metrics;
    private final EngineBudget budget;
    private final ProcessorSettings settings;
    private final Map<ModelVersion, MicroBatcher> batchers = new HashMap<>();
    private ProcessorContext<Object, Emitted> context;
    private PendingSamples pending;
    private BatchAnalysis analysis;
    private StateRecords records;

    /** Creates the processor of a task; {@code engine} analyses its batches ({@code registry::analyse} but in tests). */
    AnalysisProcessor(ModelRegistry registry, BatchAnalysis.Engine engine, SampleDecoder decoder, ResalignMetrics metrics,
            EngineBudget budget, ProcessorSettings settings) {
        this.registry = registry;
        this.engine = engine;
        this.decoder = decoder;
        this.metrics = metrics;
        this.budget = budget;
        this.settings = settings;
    }

    @Override
    public void init(ProcessorContext<Object, Emitted> context) {
        this.context = context;
        this.records = MonitorStore.records(context.getStateStore(TopologyProducer.ANALYSIS_STORE));
        // Taken up before the first record or punctuation, not here: analysing a full batch
        // forwards rows and dead letters, which init may not do.
        this.pending = new PendingSamples(records, context.getStateStore(TopologyProducer.LEGACY_PENDING_STORE),
                context.getStateStore(TopologyProducer.COMMIT_EPOCHS));
        this.analysis = new BatchAnalysis(context, engine, registry::schema, pending, metrics);
        context.schedule(settings.punctuation(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        pending.writeDurable();
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
            deadLetter(whole.deadLetter(rejection, null, context.currentSystemTimeMs()));
            return;
        }
        List<SampleRecord> samples = decoded.samples();
        ModelVersion mv = new ModelVersion(samples.get(0).model(), samples.get(0).version());
        // indices stay the record's: positions and pending bits name sample i of the record whatever the selection
        BitSet taken = decoded.selected();
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
        // were all skipped, never reaches the store. Written as it came (every sample it takes pending):
        // the rows of the samples analysed in this call are not on the broker yet (PendingSamples).
        // Writing after the analysis is safe, because offsets are committed (and, under exactly_once_v2,
        // the transaction ends) only between two calls of process.
        if (keepable && !origin.isDone()) {
            pending.keepIfWaiting(origin, PendingRecord.of(record, topic, partition, offset, samples.size(), taken).toBytes(), taken);
        }
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
        sendLegacyMonitors();
        long now = context.currentSystemTimeMs();
        int resumed = 0;
        for (byte[] value : values) {
            PendingRecord p;
            try {
                p = PendingRecord.fromBytes(value);
            } catch (IllegalArgumentException e) {
                LOG.errorf("A value of store %s is not a pending record (%s); it is dropped", TopologyProducer.ANALYSIS_STORE,
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
                deadLetter(p.deadLetter(rejection, p.unresolved(), now));
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
            if (p.pending().isEmpty()) {
                analysis.finished(p, mv); // only failed samples left: the dead letter the crash kept from going
                pending.delete(p);
                continue;
            }
            // every pending sample again: one whose row was sent before the crash is recognised by the monitor stage
            for (int i = p.pending().nextSetBit(0); i >= 0 && i < samples.size(); i = p.pending().nextSetBit(i + 1)) {
                pending.waits(p, i, samples.get(i));
                metrics.pending(mv, 1);
                resumed++;
                analyseWhenDue(mv, batcher, batcher.readmit(samples.get(i), now));
            }
        }
        if (resumed > 0) {
            LOG.infof("Resumed %d pending samples of %d records from store %s", resumed, values.size(), TopologyProducer.ANALYSIS_STORE);
        }
    }

    /**
     * Sends the monitors a build before the two stages kept in this store to the monitor stage
     * ({@link MonitorTransfer}), once, and deletes them here once a commit has acknowledged the parts.
     */
    private void sendLegacyMonitors() {
        int partition = context.taskId().partition();
        for (ModelVersion mv : registry.loaded()) {
            List<MonitorTransfer.Part> parts = MonitorTransfer.parts(records, mv, partition);
            for (MonitorTransfer.Part part : parts) {
                context.forward(new Record<Object, Emitted>(key(mv), new Emitted.Transfer(part.toBytes()), context.currentSystemTimeMs()));
                pending.deleteLater(part.key());
            }
            if (!parts.isEmpty()) {
                LOG.infof("Monitor state of %s (%d records) found in store %s of partition %d, where builds before the two stages kept it:"
                        + " sent to the monitor stage", mv, parts.size(), TopologyProducer.ANALYSIS_STORE, partition);
            }
        }
    }

    private void punctuate(long now) {
        pending.writeDurable();
        resumePending();
        for (var entry : List.copyOf(batchers.entrySet())) {
            entry.getValue().poll(now).ifPresent(b -> analysis.analyse(entry.getKey(), b));
        }
    }

    private void deadLetter(Record<Object, byte[]> letter) {
        context.forward(letter.withValue(new Emitted.DeadLetter(letter.value())));
    }

    /** Returns the key of a model version's rows and reports, {@code model:version} (docs/reports.md): the monitor stage is partitioned by it. */
    static String key(ModelVersion mv) {
        return mv.model() + ":" + mv.version();
    }

    @Override
    public void close() {
        // Pending samples are not analysed here (close may not forward): they are in the task's
        // store, and the task's next owner takes them from there (docs/kafka.md, delivery guarantees).
        batchers.forEach((mv, b) -> metrics.pending(mv, -b.pending()));
    }
}
