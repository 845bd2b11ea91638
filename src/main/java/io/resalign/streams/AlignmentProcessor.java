package io.resalign.streams;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.AlignmentReport;
import io.resalign.service.MicroBatcher;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorGauges;
import io.resalign.streams.record.DeadLetters;
import io.resalign.streams.record.Decoded;
import io.resalign.streams.record.RejectReason;
import io.resalign.streams.record.SampleDecoder;
import io.resalign.streams.record.SampleRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.jboss.logging.Logger;

/**
 * Takes sample records from the samples topic to alignment reports: decodes each record (a bad
 * one goes, unchanged, to the dead-letter topic with the reason in its headers), groups the
 * samples per model version in a {@link MicroBatcher}, analyses each batch through the
 * {@link ModelRegistry}, feeds the results to the model version's {@link ModelMonitor} and
 * forwards the report of every window that closes.
 *
 * <p>Monitors live in the task's key-value store (key {@code model:version}, value
 * {@link ModelMonitor#toBytes()}, with a changelog); they are cached in memory and read back with
 * {@link ModelMonitor#fromBytes} on first use, so a restarted or migrated task resumes with the
 * same reference. A wall-clock punctuator sends the batches that waited long enough and applies
 * the operators' commands ({@link MonitorBoard}).
 *
 * <p>A batch that fails in the engine or the monitor costs only its records: they go to the
 * dead-letter topic with reason {@code internal_error}, the failure is counted, and the stream
 * thread goes on with a monitor read back from the store (the failed batch left no trace there).
 */
final class AlignmentProcessor implements Processor<byte[], byte[], Object, byte[]> {
    private static final Logger LOG = Logger.getLogger(AlignmentProcessor.class);

    /**
     * Configures the processor.
     *
     * @param batchSize samples per engine batch
     * @param maxWaitMillis longest wait of a pending sample
     * @param rateLimit samples per second per model version, 0 for none
     * @param drift windows, reference and test
     */
    record Settings(int batchSize, long maxWaitMillis, double rateLimit, DriftSettings drift) {
        /** How often the punctuator looks at the batchers and the command inbox. */
        Duration punctuation() {
            return Duration.ofMillis(Math.max(10, Math.min(1000, maxWaitMillis / 2)));
        }
    }

    /** Where a sample came from, to dead-letter its record when its batch fails. */
    private record Origin(byte[] key, byte[] value, Headers headers, String topic, int partition, long offset, long timestamp) {}

    private final ModelRegistry registry;
    private final SampleDecoder decoder;
    private final ResalignMetrics metrics;
    private final MonitorBoard board;
    private final Settings settings;
    private final Map<ModelVersion, MicroBatcher> batchers = new HashMap<>();
    private final Map<ModelVersion, ModelMonitor> monitors = new HashMap<>();
    private final Map<SampleRecord, Origin> origins = new IdentityHashMap<>();
    private ProcessorContext<Object, byte[]> context;
    private KeyValueStore<String, byte[]> store;
    private MonitorBoard.Inbox inbox;

    AlignmentProcessor(ModelRegistry registry, SampleDecoder decoder, ResalignMetrics metrics, MonitorBoard board, Settings settings) {
        this.registry = registry;
        this.decoder = decoder;
        this.metrics = metrics;
        this.board = board;
        this.settings = settings;
    }

    @Override
    public void init(ProcessorContext<Object, byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(TopologyProducer.MONITOR_STORE);
        this.inbox = board.open();
        context.schedule(settings.punctuation(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        metrics.recordIn();
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? Topics.INFERENCE_SAMPLES : meta.topic();
        int partition = meta == null ? -1 : meta.partition();
        long offset = meta == null ? -1 : meta.offset();
        Origin origin = new Origin(record.key(), record.value(), record.headers(), topic, partition, offset, record.timestamp());
        Decoded decoded = decoder.decode(topic, partition, offset, record.timestamp(), record.headers(), record.value());
        if (decoded instanceof Decoded.Rejection rejection) {
            metrics.rejected(rejection.reason());
            deadLetter(origin, rejection);
            return;
        }
        List<SampleRecord> samples = decoded.samples();
        ModelVersion mv = new ModelVersion(samples.get(0).model(), samples.get(0).version());
        metrics.samplesIn(mv, samples.size());
        MicroBatcher batcher = batchers.computeIfAbsent(mv,
                k -> new MicroBatcher(settings.batchSize(), settings.maxWaitMillis(), settings.rateLimit()));
        long now = context.currentSystemTimeMs();
        for (SampleRecord sample : samples) {
            long skippedBefore = batcher.skipped();
            var batch = batcher.add(sample, now);
            if (batcher.skipped() > skippedBefore) {
                metrics.skipped(mv);
                continue;
            }
            origins.put(sample, origin);
            metrics.pending(mv, 1);
            batch.ifPresent(b -> analyse(mv, b));
        }
    }

    private void punctuate(long now) {
        inbox.drain((mv, command) -> command(mv, command, now));
        for (var entry : List.copyOf(batchers.entrySet())) {
            entry.getValue().poll(now).ifPresent(b -> analyse(entry.getKey(), b));
        }
        for (ModelMonitor monitor : monitors.values()) {
            publish(monitor, now);
        }
    }

    private boolean command(ModelVersion mv, MonitorBoard.Command command, long now) {
        if (!monitors.containsKey(mv) && store.get(key(mv)) == null) {
            return false;
        }
        ModelMonitor monitor = monitor(mv);
        boolean applied = MonitorBoard.apply(monitor, command, now);
        store.put(key(mv), monitor.toBytes());
        publish(monitor, now);
        LOG.infof("%s on %s: %s", command, key(mv), applied ? "applied" : "nothing to do");
        return applied;
    }

    private void analyse(ModelVersion mv, List<SampleRecord> batch) {
        metrics.pending(mv, -batch.size());
        // the records of the batch in input order, each once (a record may carry several samples)
        List<Origin> sources = new ArrayList<>();
        Set<Origin> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (SampleRecord r : batch) {
            Origin o = origins.remove(r);
            if (seen.add(o)) {
                sources.add(o);
            }
        }
        long start = System.nanoTime();
        List<AlignmentReport> reports;
        ModelMonitor monitor;
        try {
            List<SampleMetrics> results = registry.analyse(mv, batch);
            monitor = monitor(mv);
            reports = monitor.acceptAll(batch, results);
            store.put(key(mv), monitor.toBytes());
        } catch (RuntimeException e) {
            monitors.remove(mv); // possibly half-updated: the next use reads the stored state back
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
            metrics.report(mv);
            board.publish(report);
        }
        publish(monitor, context.currentSystemTimeMs());
    }

    private void publish(ModelMonitor monitor, long now) {
        MonitorGauges values = monitor.gauges(now);
        metrics.publish(values);
        board.publish(values);
    }

    private ModelMonitor monitor(ModelVersion mv) {
        return monitors.computeIfAbsent(mv, k -> {
            byte[] stored = store.get(key(k));
            if (stored != null) {
                try {
                    return ModelMonitor.fromBytes(stored, registry.schema(k), settings.drift(), registry.deviceLabel());
                } catch (IllegalArgumentException e) {
                    LOG.warnf("Stored monitor state of %s is unusable (%s); starting a new reference", key(k), e.getMessage());
                }
            }
            return new ModelMonitor(k, registry.schema(k), settings.drift(), registry.deviceLabel());
        });
    }

    private void deadLetter(Origin o, Decoded.Rejection rejection) {
        Headers headers = DeadLetters.headers(o.headers(), rejection, o.topic(), o.partition(), o.offset(), context.currentSystemTimeMs());
        context.forward(new Record<Object, byte[]>(o.key(), o.value(), o.timestamp(), headers), TopologyProducer.DLQ_SINK);
    }

    /** Returns the store key and report key of a model version. */
    static String key(ModelVersion mv) {
        return mv.model() + ":" + mv.version();
    }

    @Override
    public void close() {
        board.close(inbox);
        // Pending samples are not analysed here: Kafka Streams has committed the task before it
        // closes its processors, so they lie before the committed offset (docs/kafka.md, at-least-once).
        batchers.forEach((mv, b) -> metrics.pending(mv, -b.pending()));
    }
}
