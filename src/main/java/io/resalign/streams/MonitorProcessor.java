package io.resalign.streams;

import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.sample.RejectReason;
import io.resalign.service.AlignmentReport;
import io.resalign.service.CrashPoints;
import io.resalign.service.FeatureRow;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorGauges;
import io.resalign.service.StateRecords;
import io.resalign.streams.record.DeadLetters;
import io.resalign.streams.record.Decoded;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * The monitor stage: takes the feature rows of a model version, which the analysis stage sends keyed
 * by model version, so that one task (on one instance) owns each model version's monitor, whatever
 * partitions its samples came on. Each record holds the rows of one analysed part of a batch, in
 * input order; a row at or before the monitor's source position for its source partition
 * ({@link io.resalign.service.SourcePositions}) was taken already (the analysis stage sent it again
 * after a crash) and is skipped. The rest go to the model version's {@link ModelMonitor}; the report
 * of every window that closes is forwarded, then the monitor head saved with the new positions.
 *
 * <p>Monitors live in the task's store (with a changelog) as bounded records
 * ({@link io.resalign.service.MonitorRecords}); {@link TaskMonitors} caches them. A wall-clock
 * punctuator applies the operators' commands ({@link MonitorBoard}) and publishes each monitor's
 * gauges; only the owner task does, and it retires them when it closes (the task moved away). A part the monitor fails on (a bug; the rows are valid) is taken again row by row, and a
 * row it still fails on goes to the dead-letter topic (reason {@code internal_error}, the row's bytes,
 * its source position in the headers), the monitor read back from the store.
 */
final class MonitorProcessor implements Processor<String, byte[], Object, Emitted> {
    private static final Logger LOG = Logger.getLogger(MonitorProcessor.class);

    private final ModelRegistry registry;
    private final ResalignMetrics metrics;
    private final MonitorBoard board;
    private final ProcessorSettings settings;
    private ProcessorContext<Object, Emitted> context;
    private TaskMonitors monitors;
    private StateRecords store;
    private MonitorBoard.Inbox inbox;
    /** The model versions whose monitor gauges and report this task has published: retired when it closes. */
    private final java.util.Set<ModelVersion> published = new java.util.HashSet<>();

    MonitorProcessor(ModelRegistry registry, ResalignMetrics metrics, MonitorBoard board, ProcessorSettings settings) {
        this.registry = registry;
        this.metrics = metrics;
        this.board = board;
        this.settings = settings;
    }

    @Override
    public void init(ProcessorContext<Object, Emitted> context) {
        this.context = context;
        this.store = MonitorStore.records(context.getStateStore(TopologyProducer.MONITOR_STORE));
        this.monitors = new TaskMonitors(store, registry, settings.drift());
        this.inbox = board.open();
        context.schedule(settings.punctuation(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (MonitorTransfer.isPart(record.value())) {
            MonitorTransfer.Part part = MonitorTransfer.Part.fromBytes(record.value());
            if (MonitorTransfer.receive(store, part)) {
                monitors.forget(part.mv()); // read from the store at its next use
            }
            return;
        }
        List<FeatureRow> rows;
        try {
            rows = FeatureRow.decodeAll(record.value());
        } catch (IllegalArgumentException e) {
            RecordMetadata m = context.recordMetadata().orElse(null);
            LOG.errorf("A record of the feature-row topic (%s) is not feature rows: %s; it is skipped",
                    m == null ? "?" : m.topic() + "-" + m.partition() + "@" + m.offset(), e.getMessage());
            return;
        }
        if (rows.isEmpty()) {
            return;
        }
        ModelVersion mv = rows.get(0).modelVersion();
        if (!registry.isLoaded(mv)) {
            LOG.warnf("Feature rows of %s, which this instance has not loaded, are skipped (%d rows): every instance needs the"
                    + " same model directories", key(mv), rows.size());
            return;
        }
        ModelMonitor monitor = monitors.get(mv);
        List<FeatureRow> fresh = new ArrayList<>(rows.size());
        for (FeatureRow r : rows) {
            if (!r.hasSource() || !monitor.positions().covers(r.sourcePartition(), r.sourceOffset(), r.sourceIndex())) {
                fresh.add(r);
            }
        }
        if (fresh.size() < rows.size()) {
            LOG.debugf("%d of %d rows of %s were taken already; not taken again", rows.size() - fresh.size(), rows.size(), key(mv));
        }
        if (fresh.isEmpty()) {
            return;
        }
        try {
            take(monitor, fresh);
        } catch (KafkaException e) {
            throw e; // a failed send or store write is not the rows': the failure policies must see it
        } catch (RuntimeException e) {
            monitors.forget(mv); // possibly half-updated: read back from the store, then row by row
            LOG.warnf(e, "The monitor of %s failed on %d rows; they are taken one by one", key(mv), fresh.size());
            for (FeatureRow r : fresh) {
                takeAlone(mv, r);
            }
        }
    }

    /** Gives rows to the monitor, forwards the reports, then saves the head that counts them. */
    private void take(ModelMonitor monitor, List<FeatureRow> rows) {
        List<AlignmentReport> reports = new ArrayList<>();
        long[] times = new long[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            FeatureRow r = rows.get(i);
            monitor.accept(r).ifPresent(reports::add);
            if (r.hasSource()) {
                monitor.positions().advance(r.sourcePartition(), r.sourceOffset(), r.sourceIndex());
            }
            times[i] = r.timestamp();
        }
        ModelVersion mv = monitor.modelVersion();
        // Reports go before the head that counts their window: a crash in between repeats an identical
        // report under at_least_once, where the other order could lose one (docs/kafka.md, "Delivery guarantees").
        for (AlignmentReport report : reports) {
            context.forward(new Record<Object, Emitted>(key(mv), new Emitted.Report(report.toJsonBytes()), report.window().endTime()));
            CrashPoints.reach("window-reported");
        }
        monitors.save(monitor);
        CrashPoints.reach("batch-saved");
        metrics.rowsApplied(mv, times, System.currentTimeMillis()); // now, not the stream thread's cached time
        for (AlignmentReport report : reports) {
            metrics.report(mv, report);
            board.publish(report);
        }
        publish(monitor, context.currentSystemTimeMs());
    }

    private void takeAlone(ModelVersion mv, FeatureRow row) {
        try {
            take(monitors.get(mv), List.of(row));
        } catch (KafkaException e) {
            throw e;
        } catch (RuntimeException e) {
            monitors.forget(mv);
            LOG.errorf(e, "The monitor of %s failed on the row of sample %s (source partition %d, offset %d, sample %d); it goes to the"
                    + " dead-letter topic", key(mv), row.sampleId(), row.sourcePartition(), row.sourceOffset(), row.sourceIndex());
            ModelMonitor stored = monitors.get(mv);
            if (row.hasSource()) {
                stored.positions().advance(row.sourcePartition(), row.sourceOffset(), row.sourceIndex()); // handled: not taken again
            }
            Decoded.Rejection why = new Decoded.Rejection(RejectReason.INTERNAL_ERROR, "the monitor of " + key(mv)
                    + " failed on the feature row of sample " + row.sampleId() + " (sample " + row.sourceIndex()
                    + " of its record): " + e);
            var headers = DeadLetters.headers(new RecordHeaders(), why, io.resalign.config.Topics.INFERENCE_SAMPLES, row.sourcePartition(),
                    row.sourceOffset(), context.currentSystemTimeMs());
            context.forward(new Record<Object, Emitted>(null, new Emitted.DeadLetter(row.toBytes()), row.timestamp(), headers));
            monitors.save(stored);
        }
    }

    private void punctuate(long now) {
        inbox.drain((mv, command) -> command(mv, command, now));
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
        if (published.add(monitor.modelVersion())) {
            monitor.latestReport().ifPresent(board::publish); // a new owner answers with the report it restored
        }
        MonitorGauges values = monitor.gauges(now);
        metrics.publish(values);
        board.publish(values);
    }

    private static String key(ModelVersion mv) {
        return AnalysisProcessor.key(mv);
    }

    /**
     * Stops exporting the monitors of this task first (Kafka Streams also closes a task that died, and
     * only logs what close throws): their owner is elsewhere from now on, and its gauges and reports
     * are the only ones (docs/metrics.md, "One exporter per monitor").
     */
    @Override
    public void close() {
        published.forEach(mv -> {
            metrics.retire(mv);
            board.forget(mv);
        });
        published.clear();
        board.close(inbox);
    }
}
