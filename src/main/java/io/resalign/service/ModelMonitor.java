package io.resalign.service;

import io.resalign.drift.CompactEncoding;
import io.resalign.drift.DriftMonitor;
import io.resalign.drift.DriftReport;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureShift;
import io.resalign.drift.FeatureSummary;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceProfile;
import io.resalign.drift.ReferenceState;
import io.resalign.drift.WindowAggregate;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.streams.record.SampleRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * is the drift package's {@link DriftMonitor}; this class keeps the serialisable windows with
 * sample ordinals and output counts, and adds reports, gauges and the state encoding.
 *
 * <p>The state ({@link #toBytes()}) is the value of a Kafka state store: the drift package's
 * reference and window codecs, plus the sample ordinal, the output counts per pane, the last
 * closed window (for a pin), the latest report and two counters. The drift test itself is not
 * stored: it is rebuilt from the reference and the settings and gives the same thresholds, so a
 * restored monitor continues exactly as the original. Not thread-safe: one per stream task.
 */
public final class ModelMonitor {
    private static final byte TAG = 'M';

    private final ModelVersion modelVersion;
    private final FeatureSchema schema;
    private final DriftSettings settings;
    private final String engineDevice;
    private final SampleWindows windows;
    private final DriftMonitor drift;
    private long samplesSeen;
    private long windowsTested;
    private long alarms;
    private AlignmentReport latest;

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
                new SampleWindows(schema, settings.windowSize(), settings.windowAdvance()), null);
    }

    private ModelMonitor(ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings, String engineDevice,
            ReferenceState reference, SampleWindows windows, WindowAggregate lastWindow) {
        this.modelVersion = modelVersion;
        this.schema = schema;
        this.settings = settings;
        this.engineDevice = engineDevice;
        this.windows = windows;
        this.drift = new DriftMonitor(modelVersion, settings, reference, lastWindow, windows::clear);
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
        FeatureVector features = FeatureVector.of(metrics, schema);
        long ordinal = samplesSeen++;
        if (drift.offerReference(features, timestamp)) {
            return Optional.empty();
        }
        Optional<SampleWindows.Closed> closed = windows.add(features, timestamp, ordinal, metrics.predicted(), servedClass, label);
        if (closed.isEmpty()) {
            return Optional.empty();
        }
        DriftReport tested = drift.test(closed.get().samples());
        windowsTested++;
        alarms += tested.decision();
        latest = report(closed.get(), tested);
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

    private AlignmentReport report(SampleWindows.Closed closed, DriftReport result) {
        WindowAggregate w = closed.samples();
        List<AlignmentReport.FeatureStatistics> features = new ArrayList<>(schema.size());
        for (int f = 0; f < schema.size(); f++) {
            FeatureSummary s = w.summary(f);
            features.add(new AlignmentReport.FeatureStatistics(s.feature(), schema.block(f), s.count(), s.nanCount(),
                    AlignmentReport.finite(s.mean()), AlignmentReport.finite(s.p50()), AlignmentReport.finite(s.p90()),
                    AlignmentReport.finite(s.p99())));
        }
        ReferenceProfile profile = drift.reference().profile().orElseThrow();
        AlignmentReport.Reference ref = new AlignmentReport.Reference(lower(profile.source().name()), profile.createdAt(),
                profile.sampleCount(), profile.ageSeconds(w.lastTimestamp()));
        List<AlignmentReport.BlockScore> blocks = result.blocks().stream().limit(AlignmentReport.Drift.TOP)
                .map(b -> new AlignmentReport.BlockScore(b.block(), AlignmentReport.finite(b.score()), b.topFeature()))
                .toList();
        List<AlignmentReport.FeatureScore> top = result.features().stream().limit(AlignmentReport.Drift.TOP)
                .map(ModelMonitor::score).toList();
        AlignmentReport.Drift decision = new AlignmentReport.Drift(AlignmentReport.finite(result.statistic()),
                AlignmentReport.finite(result.threshold()), result.pValue(), result.decision(), result.falseAlarmRate(),
                lower(result.combiner().name()), result.testedFeatures(), blocks, top);
        AlignmentReport.Window window = new AlignmentReport.Window(w.firstTimestamp(), w.lastTimestamp(), closed.firstSample(),
                closed.lastSample(), w.count(), windows.size(), windows.advance());
        return new AlignmentReport(AlignmentReport.SCHEMA_VERSION, modelVersion.model(), modelVersion.version(), window, features,
                ref, decision, engineDevice, closed.counts().toContext());
    }

    private static AlignmentReport.FeatureScore score(FeatureShift s) {
        return new AlignmentReport.FeatureScore(s.feature(), s.block(), AlignmentReport.finite(s.z()),
                AlignmentReport.finite(s.windowMean()), AlignmentReport.finite(s.referenceMean()),
                AlignmentReport.finite(s.shiftInReferenceSd()));
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
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

    /** Returns the samples taken so far, reference included. */
    public long samplesSeen() {
        return samplesSeen;
    }

    /** Returns the values to export at wall-clock time {@code nowMillis}. */
    public MonitorGauges gauges(long nowMillis) {
        Map<String, Double> means = new LinkedHashMap<>();
        for (String feature : schema.names()) {
            means.put(feature, Double.NaN);
        }
        double statistic = Double.NaN;
        double threshold = Double.NaN;
        int decision = 0;
        if (latest != null) {
            for (AlignmentReport.FeatureStatistics s : latest.features()) {
                means.put(s.feature(), s.mean() == null ? Double.NaN : s.mean());
            }
            statistic = latest.drift().statistic() == null ? Double.NaN : latest.drift().statistic();
            threshold = latest.drift().threshold() == null ? Double.NaN : latest.drift().threshold();
            decision = latest.drift().alarm();
        }
        double age = drift.reference().profile().map(p -> p.ageSeconds(nowMillis)).orElse(Double.NaN);
        return new MonitorGauges(modelVersion.model(), modelVersion.version(), means, statistic, threshold, decision, age,
                drift.reference().isCollecting(), drift.reference().collectedCount(), samplesSeen, windowsTested, alarms);
    }

    /** Returns the compact binary form, the value of the monitor state store. */
    public byte[] toBytes() {
        return CompactEncoding.encode(TAG, out -> {
            out.writeUTF(modelVersion.model());
            out.writeUTF(modelVersion.version());
            out.writeLong(samplesSeen);
            out.writeLong(windowsTested);
            out.writeLong(alarms);
            CompactEncoding.writeBlock(out, drift.reference().toBytes());
            windows.write(out);
            Optional<WindowAggregate> lastWindow = drift.lastWindow();
            out.writeBoolean(lastWindow.isPresent());
            if (lastWindow.isPresent()) {
                CompactEncoding.writeBlock(out, lastWindow.get().toBytes());
            }
            out.writeBoolean(latest != null);
            if (latest != null) {
                CompactEncoding.writeBlock(out, latest.toJsonBytes());
            }
        });
    }

    /**
     * Restores a monitor written by {@link #toBytes()} under the current configuration.
     *
     * <p>The reference keeps the size it was collecting to (a new reference size applies from the
     * next reset); when the window size or advance changed, the open panes are dropped and windows
     * start afresh; reports name the current engine device.
     *
     * @throws IllegalArgumentException when the bytes are not a monitor state, or were written for
     *     another model version or feature schema
     */
    public static ModelMonitor fromBytes(byte[] bytes, FeatureSchema schema, DriftSettings settings, String engineDevice) {
        return CompactEncoding.decode(bytes, TAG, "model monitor state", in -> {
            ModelVersion mv = new ModelVersion(in.readUTF(), in.readUTF());
            long seen = in.readLong();
            long tested = in.readLong();
            long flagged = in.readLong();
            ReferenceState reference = ReferenceState.fromBytes(CompactEncoding.readBlock(in));
            Optional<FeatureSchema> stored = reference.profile().map(ReferenceProfile::schema);
            if (stored.isPresent() && !stored.get().equals(schema)) {
                throw new IllegalArgumentException("monitor state of " + mv.model() + ":" + mv.version() + " has features "
                        + stored.get().names() + ", expected " + schema.names() + " (same model version, same watched blocks)");
            }
            SampleWindows windows = SampleWindows.read(in, schema, settings.windowSize(), settings.windowAdvance());
            WindowAggregate last = in.readBoolean() ? WindowAggregate.fromBytes(CompactEncoding.readBlock(in)) : null;
            AlignmentReport report = in.readBoolean()
                    ? AlignmentReport.fromJson(new String(CompactEncoding.readBlock(in), StandardCharsets.UTF_8))
                    : null;
            ModelMonitor monitor = new ModelMonitor(mv, schema, settings, engineDevice, reference, windows, last);
            monitor.samplesSeen = seen;
            monitor.windowsTested = tested;
            monitor.alarms = flagged;
            monitor.latest = report;
            return monitor;
        });
    }
}
