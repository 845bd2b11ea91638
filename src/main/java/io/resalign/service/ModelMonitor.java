package io.resalign.service;

import io.resalign.drift.DriftMonitor;
import io.resalign.drift.DriftReport;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.HoppingCountWindows;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceProfile;
import io.resalign.drift.ReferenceState;
import io.resalign.drift.WindowAggregate;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.sample.SampleRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Monitors one model version from the engine's per-sample metrics to {@link AlignmentReport}s:
 * the first {@code referenceSize} samples become the reference, later samples fill count-based
 * hopping windows, and each closed window is tested against the reference and reported.
 *
 * <p>Operators may pin the last closed window as the reference or reset the reference to collect
 * again; both restart the open windows. Samples are numbered from 0 in the order the monitor takes
 * them (reference included); a report names its window by these ordinals and by event time.
 *
 * <p>The reference/window/test lifecycle (reference offer, test of each closed window, pin, reset)
 * is the drift package's {@link DriftMonitor}; the windows are the drift package's
 * {@link HoppingCountWindows}, whose panes carry here a {@link PaneContext} (first sample ordinal,
 * output counts). This class is the accept path (sample, features, windows, drift test, report);
 * the report is built by {@link AlignmentReports}, the gauge values by {@link MonitorGauges#of}.
 *
 * <p>The state lives in a Kafka state store as bounded records ({@link #save}, {@link #load}, which
 * hand over to {@link MonitorStateCodec}; layout in {@link MonitorRecords}); a restored monitor
 * continues exactly as the original. Not thread-safe: one per stream task.
 */
public final class ModelMonitor {
    private final ModelVersion modelVersion;
    private final FeatureSchema schema;
    private final DriftSettings settings;
    private final String engineDevice;
    private final HoppingCountWindows<PaneContext> windows;
    private final DriftMonitor drift;
    private final MonitorCounters counters;
    private AlignmentReport latest;
    /** The last sample taken from each source partition, saved in the head with the counts. */
    private final SourcePositions positions = new SourcePositions();
    /** What the store holds of this monitor, so that a save writes only what changed. */
    private final MonitorStateCodec stored;

    /**
     * Creates a monitor that starts by collecting its reference.
     *
     * @param modelVersion the model version monitored
     * @param schema its features ({@link ModelRegistry#schema})
     * @param settings window, reference and test settings
     * @param engineDevice the engine's device label, for reports
     */
    public ModelMonitor(ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings, String engineDevice) {
        this(modelVersion, schema, settings, engineDevice, new ReferenceState(schema, settings.referenceSize()),
                new HoppingCountWindows<>(schema, settings.windowSize(), settings.windowAdvance(), PaneContext.PAYLOAD), null,
                new MonitorCounters(), null, MonitorStateCodec.nothingStored());
    }

    /** Creates a monitor from its parts as {@link MonitorStateCodec} read them back. */
    ModelMonitor(ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings, String engineDevice, ReferenceState reference,
            HoppingCountWindows<PaneContext> windows, WindowAggregate lastWindow, MonitorCounters counters, AlignmentReport latest,
            MonitorStateCodec stored) {
        this.modelVersion = modelVersion;
        this.schema = schema;
        this.settings = settings;
        this.engineDevice = engineDevice;
        this.windows = windows;
        this.drift = new DriftMonitor(modelVersion, settings, reference, lastWindow, windows);
        this.counters = counters;
        this.latest = latest;
        this.stored = stored;
    }

    /** Takes the metrics of one record's sample, with its served prediction and label; returns the report of the window it closes. */
    public Optional<AlignmentReport> accept(SampleRecord record, SampleMetrics metrics) {
        if (!record.model().equals(modelVersion.model()) || !record.version().equals(modelVersion.version())) {
            throw new IllegalArgumentException("record " + record.id() + " is for " + record.model() + ":" + record.version()
                    + ", this monitor watches " + modelVersion.model() + ":" + modelVersion.version());
        }
        OptionalInt served = record.prediction().map(p -> OptionalInt.of(p.predictedClass())).orElse(OptionalInt.empty());
        return accept(metrics, record.timestamp(), served, record.label());
    }

    /** Takes the metrics of one sample observed at {@code timestamp} (epoch ms) without output context. */
    public Optional<AlignmentReport> accept(SampleMetrics metrics, long timestamp) {
        return accept(metrics, timestamp, OptionalInt.empty(), OptionalInt.empty());
    }

    /**
     * Takes the metrics of one sample.
     *
     * @param metrics the engine's result
     * @param timestamp event time, epoch ms
     * @param servedClass the class the model server answered, if known
     * @param label the true class, if known
     * @return the report of the window this sample closes, if it closes one
     */
    public Optional<AlignmentReport> accept(SampleMetrics metrics, long timestamp, OptionalInt servedClass, OptionalInt label) {
        return accept(FeatureVector.of(metrics, schema), timestamp, metrics.predicted(), servedClass, label);
    }

    /**
     * Takes the feature row of one sample, as written by the engine's side ({@link FeatureRow#of}):
     * the same as taking the sample's metrics. Its source position is the caller's to check and
     * advance ({@link #positions()}).
     *
     * @throws IllegalArgumentException when the row is for another model version or another schema
     */
    public Optional<AlignmentReport> accept(FeatureRow row) {
        if (!row.modelVersion().equals(modelVersion)) {
            throw new IllegalArgumentException("feature row of sample " + row.sampleId() + " is for " + row.modelVersion().model() + ":"
                    + row.modelVersion().version() + ", this monitor watches " + modelVersion.model() + ":" + modelVersion.version());
        }
        return accept(row.features(schema), row.timestamp(), row.predicted(), row.servedClass(), row.label());
    }

    private Optional<AlignmentReport> accept(FeatureVector features, long timestamp, int predicted, OptionalInt servedClass,
            OptionalInt label) {
        long ordinal = counters.nextOrdinal();
        if (drift.offerReference(features, timestamp)) {
            return Optional.empty();
        }
        Optional<HoppingCountWindows.Window<PaneContext>> closed = windows.add(features, timestamp,
                pane -> pane.add(ordinal, predicted, servedClass, label));
        if (closed.isEmpty()) {
            return Optional.empty();
        }
        DriftReport tested = drift.test(closed.get().samples());
        counters.countWindow(tested);
        latest = AlignmentReports.of(this, closed.get(), ordinal, tested);
        return Optional.of(latest);
    }

    /** Takes a batch: records and their metrics in the same order; returns the reports of the windows they close. */
    public List<AlignmentReport> acceptAll(List<SampleRecord> records, List<SampleMetrics> metrics) {
        if (records.size() != metrics.size()) {
            throw new IllegalArgumentException(records.size() + " records but " + metrics.size() + " results");
        }
        List<AlignmentReport> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            accept(records.get(i), metrics.get(i)).ifPresent(out::add);
        }
        return out;
    }

    /** Makes the last closed window the reference, created at {@code nowMillis}; false when no window has closed since the last change. */
    public boolean pinLastWindow(long nowMillis) {
        return drift.pinLastWindow(nowMillis);
    }

    /** Drops the reference: the next {@code referenceSize} samples build a new one, and nothing is tested meanwhile. */
    public void resetReference() {
        drift.resetReference();
    }

    /** Returns the model version monitored. */
    public ModelVersion modelVersion() {
        return modelVersion;
    }

    /** Returns the feature schema. */
    public FeatureSchema schema() {
        return schema;
    }

    /** Returns the reference profile once collected or pinned. */
    public Optional<ReferenceProfile> referenceProfile() {
        return drift.reference().profile();
    }

    /** Returns whether the reference is still being collected. */
    public boolean isCollectingReference() {
        return drift.reference().isCollecting();
    }

    /** Returns the latest report, if a window has been tested. */
    public Optional<AlignmentReport> latestReport() {
        return Optional.ofNullable(latest);
    }

    /**
     * Returns the source positions this monitor has handled (the watermark of its source partitions):
     * the stream processor advances it with every batch, saved or dead-lettered, and asks it before it
     * takes a record, so that a record delivered again after a crash is not counted twice.
     */
    public SourcePositions positions() {
        return positions;
    }

    /** Returns the samples taken so far, reference included. */
    public long samplesSeen() {
        return counters.samplesSeen();
    }

    /** Returns the values to export at wall-clock time {@code nowMillis} ({@link MonitorGauges#of}). */
    public MonitorGauges gauges(long nowMillis) {
        return MonitorGauges.of(this, nowMillis);
    }

    /**
     * Writes what changed since the last save to the monitor store, in the layout of
     * {@link MonitorRecords} (the encoding is {@link MonitorStateCodec}'s): new reference chunks and
     * a new last window before the head that names them, then the deletes of a replaced reference.
     */
    public void save(StateRecords records) {
        stored.save(this, records);
    }

    /**
     * Restores the monitor of {@code modelVersion} from the monitor store under the current
     * configuration; empty when the store has no state for it.
     *
     * <p>Reads the head, then the reference chunks and the last window it names. A value in the
     * single-value form of earlier versions is read once and migrated (written in the current layout
     * at the next {@link #save}; {@link #migrated()} tells). The reference keeps the size it was
     * collecting to (a new reference size applies from the next reset); when the window size or
     * advance changed, the open panes are dropped and windows start afresh; reports name the current
     * engine device.
     *
     * @throws IllegalArgumentException when the records are not a monitor state, miss a part, or
     *     were written for another model version or feature schema
     */
    public static Optional<ModelMonitor> load(StateRecords records, ModelVersion modelVersion, FeatureSchema schema,
            DriftSettings settings, String engineDevice) {
        return MonitorStateCodec.load(records, modelVersion, schema, settings, engineDevice);
    }

    /** Returns whether this monitor was read from the single-value state of earlier versions (written anew by the next save). */
    public boolean migrated() {
        return stored.migrated();
    }

    /** Returns the settings the monitor windows and tests with. */
    DriftSettings settings() {
        return settings;
    }

    /** Returns the reference/window/test lifecycle (for the state codec and the gauges). */
    DriftMonitor drift() {
        return drift;
    }

    /** Returns the open windows. */
    HoppingCountWindows<PaneContext> windows() {
        return windows;
    }

    /** Returns the device label reports name. */
    String engineDevice() {
        return engineDevice;
    }

    /** Returns the counters. */
    MonitorCounters counters() {
        return counters;
    }
}
