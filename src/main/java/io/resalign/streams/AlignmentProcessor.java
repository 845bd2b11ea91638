package io.resalign.streams;

import io.resalign.config.Topics;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.AlignmentReport;
import io.resalign.service.EngineBudget;
import io.resalign.service.MicroBatcher;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorGauges;
import io.resalign.service.MonitorRecords;
import io.resalign.service.StateRecords;
import io.resalign.streams.record.DeadLetters;
import io.resalign.streams.record.Decoded;
import io.resalign.sample.RejectReason;
import io.resalign.streams.record.SampleDecoder;
import io.resalign.sample.SampleRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
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
 * pending samples is kept in a second store ({@link TopologyProducer#PENDING_STORE}, a
 * {@link PendingRecord} per record, with a changelog; {@link PendingSamples} keeps it) until all of
 * its samples are analysed or dead-lettered. A task that starts (after a restart or a migration) reads that store in
 * {@code init} and re-enqueues its records, in the order they came, before it takes any new
 * record (docs/kafka.md, "Delivery guarantees").
 */
final class AlignmentProcessor implements Processor<byte[], byte[], Object, byte[]> {
    private static final Logger LOG = Logger.getLogger(AlignmentProcessor.class);

    /**
     * Configures the processor.
     *
     * @param batchSize samples per engine batch
     * @param maxWaitMillis longest wait of a pending sample
     * @param rateLimit samples per second per model version, 0 for none
     * @param engineShare the share of engine time the replica's model versions may take together
     *     (service.EngineBudget), 0 for no limit
     * @param maxBatchSeconds engine seconds at the measured cost per sample beyond which a batch is
     *     analysed before it is full
     * @param drift windows, reference and test
     */
    record Settings(int batchSize, long maxWaitMillis, double rateLimit, double engineShare, double maxBatchSeconds,
            DriftSettings drift) {
        /** Settings without an engine share or a batch cost cap (every sample the rate limit admits goes to the engine). */
        Settings(int batchSize, long maxWaitMillis, double rateLimit, DriftSettings drift) {
            this(batchSize, maxWaitMillis, rateLimit, 0, Double.POSITIVE_INFINITY, drift);
        }

        /** How often the punctuator looks at the batchers and the command inbox. */
        Duration punctuation() {
            return Duration.ofMillis(Math.max(10, Math.min(1000, maxWaitMillis / 2)));
        }
    }

    private final ModelRegistry registry;
    private final SampleDecoder decoder;
    private final ResalignMetrics metrics;
    private final MonitorBoard board;
    private final EngineBudget budget;
    private final Settings settings;
    private final Map<ModelVersion, MicroBatcher> batchers = new HashMap<>();
    private ProcessorContext<Object, byte[]> context;
    private TaskMonitors monitors;
    private PendingSamples pending;
    private MonitorBoard.Inbox inbox;

    AlignmentProcessor(ModelRegistry registry, SampleDecoder decoder, ResalignMetrics metrics, MonitorBoard board,
            EngineBudget budget, Settings settings) {
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
        this.monitors = new TaskMonitors(records(context.getStateStore(TopologyProducer.MONITOR_STORE)), registry, settings.drift());
        // Read now (the store is restored before init), enqueue later: analysing a full batch
        // forwards reports and dead letters, which init may not do.
        this.pending = new PendingSamples(context.getStateStore(TopologyProducer.PENDING_STORE));
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
        metrics.samplesIn(mv, samples.size());
        MicroBatcher batcher = batcher(mv);
        long now = context.currentSystemTimeMs();
        for (int i = 0; i < samples.size(); i++) {
            SampleRecord sample = samples.get(i);
            long skippedBefore = batcher.skipped();
            var batch = batcher.add(sample, now);
            if (batcher.skipped() > skippedBefore) {
                metrics.skipped(mv);
                continue;
            }
            pending.waits(origin, i, sample);
            metrics.pending(mv, 1);
            if (batch.isEmpty() && costsTooMuchToWait(mv, batcher)) {
                batch = batcher.drain();
            }
            batch.ifPresent(b -> analyse(mv, b));
        }
        // Kept only when samples of it still wait: a record that completed a batch, or whose samples
        // were all skipped, never reaches the store. Writing after the analysis is safe, because offsets
        // are committed (and, under exactly_once_v2, the transaction ends) only between two calls of process.
        if (keepable) {
            pending.keepIfWaiting(origin);
        }
    }

    /**
     * Says whether the pending batch would already take the configured engine seconds at the model
     * version's measured cost: a model whose samples cost seconds is analysed in smaller
     * batches, so that the stream thread comes back to its consumer well within
     * {@code max.poll.interval.ms} (5 minutes) and the pending samples wait less.
     */
    private boolean costsTooMuchToWait(ModelVersion mv, MicroBatcher batcher) {
        double perSample = registry.engineSecondsPerSample(mv);
        return perSample * batcher.pending() >= settings.maxBatchSeconds(); // false while NaN (nothing measured yet)
    }

    private MicroBatcher batcher(ModelVersion mv) {
        return batchers.computeIfAbsent(mv,
                k -> new MicroBatcher(settings.batchSize(), settings.maxWaitMillis(), settings.rateLimit(), now -> budget.admit(k, now)));
    }

    /**
     * Re-enqueues the records a previous owner of the task left pending (read in {@code init}), once,
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
                LOG.errorf("A value of store %s is not a pending record (%s); it is dropped", TopologyProducer.PENDING_STORE,
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
            for (int i = 0; i < samples.size(); i++) {
                if (p.isPending(i)) {
                    pending.waits(p, i, samples.get(i));
                    metrics.pending(mv, 1);
                    resumed++;
                    var batch = batcher.readmit(samples.get(i), now);
                    if (batch.isEmpty() && costsTooMuchToWait(mv, batcher)) {
                        batch = batcher.drain();
                    }
                    batch.ifPresent(b -> analyse(mv, b));
                }
            }
        }
        if (resumed > 0) {
            LOG.infof("Resumed %d pending samples of %d records from store %s", resumed, values.size(), TopologyProducer.PENDING_STORE);
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
        boolean applied = MonitorBoard.apply(monitor, command, now);
        monitors.save(monitor);
        publish(monitor, now);
        LOG.infof("%s on %s: %s", command, key(mv), applied ? "applied" : "nothing to do");
        return applied;
    }

    private void analyse(ModelVersion mv, List<SampleRecord> batch) {
        metrics.pending(mv, -batch.size());
        // the records of the batch in input order, each once (a record may carry several samples);
        // analysed or dead-lettered below: in both cases no longer pending
        List<PendingRecord> sources = pending.take(batch);
        long start = System.nanoTime();
        List<AlignmentReport> reports;
        ModelMonitor monitor;
        try {
            List<SampleMetrics> results = registry.analyse(mv, batch);
            monitor = monitors.get(mv);
            reports = monitor.acceptAll(batch, results);
            monitors.save(monitor);
        } catch (KafkaException e) {
            throw e; // a failed send or store write surfacing here is not the batch's: the failure policies must see it
        } catch (RuntimeException e) {
            monitors.forget(mv); // possibly half-updated: the next use reads the stored state back
            metrics.batchFailed(mv, batch.size());
            LOG.warnf(e, "Analysis of a batch of %d samples of %s failed; its %d records go to %s", batch.size(), key(mv),
                    sources.size(), Topics.INFERENCE_SAMPLES_DLQ);
            Decoded.Rejection rejection = new Decoded.Rejection(RejectReason.INTERNAL_ERROR,
                    "analysis of the batch failed for " + key(mv) + ": " + e);
            sources.forEach(o -> deadLetter(o, rejection));
            return;
        }
        metrics.batchDone(mv, batch.size(), System.nanoTime() - start);
        metrics.samplesApplied(mv, batch, System.currentTimeMillis()); // now, not the stream thread's cached time
        for (AlignmentReport report : reports) {
            context.forward(new Record<>(key(mv), report.toJsonBytes(), report.window().endTime()), TopologyProducer.REPORTS_SINK);
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

    /** Returns the monitor store as the records a monitor saves to and loads from. */
    static StateRecords records(KeyValueStore<String, byte[]> store) {
        return new StateRecords() {
            @Override
            public byte[] get(String key) {
                return store.get(key);
            }

            @Override
            public void put(String key, byte[] value) {
                store.put(key, value);
            }

            @Override
            public void delete(String key) {
                store.delete(key);
            }

            @Override
            public List<String> keysWithPrefix(String prefix) {
                List<String> keys = new ArrayList<>();
                try (KeyValueIterator<String, byte[]> it = store.prefixScan(prefix, new StringSerializer())) {
                    it.forEachRemaining(kv -> keys.add(kv.key));
                }
                return keys;
            }
        };
    }

    private void deadLetter(PendingRecord o, Decoded.Rejection rejection) {
        Headers headers = DeadLetters.headers(o.headers(), rejection, o.topic(), o.partition(), o.offset(), context.currentSystemTimeMs());
        context.forward(new Record<Object, byte[]>(o.key(), o.value(), o.timestamp(), headers), TopologyProducer.DLQ_BOUND);
    }

    /** Returns the store key and report key of a model version. */
    static String key(ModelVersion mv) {
        return MonitorRecords.headKey(mv);
    }

    @Override
    public void close() {
        board.close(inbox);
        // Pending samples are not analysed here (close may not forward): they are in the pending
        // store, and the task's next owner takes them from there (docs/kafka.md, delivery guarantees).
        batchers.forEach((mv, b) -> metrics.pending(mv, -b.pending()));
    }
}
