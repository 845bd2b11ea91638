package io.resalign.service;

import io.resalign.drift.CompactEncoding;
import io.resalign.drift.DriftMonitor;
import io.resalign.drift.DriftReport;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.DriftDetector;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureShift;
import io.resalign.drift.FeatureSummary;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.GroupDecision;
import io.resalign.drift.HoppingCountWindows;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceBand;
import io.resalign.drift.ReferenceProfile;
import io.resalign.drift.ReferenceSource;
import io.resalign.drift.ReferenceState;
import io.resalign.drift.WindowAggregate;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.sample.SampleRecord;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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
 * <p>The state lives in a Kafka state store as bounded records ({@link #save}, {@link #load},
 * layout in {@link MonitorRecords}): the reference in immutable chunks, the last closed window (for
 * a pin), and a small head with the sample ordinal, the counters, the open windows with their
 * output counts and the latest report. The drift test itself is not stored: it is rebuilt from the
 * reference and the settings and gives the same thresholds, so a restored monitor continues exactly
 * as the original. Not thread-safe: one per stream task.
 */
public final class ModelMonitor {
    /** Type tag of the head record. */
    private static final byte HEAD_TAG = 'H';
    /** Type tag of the single-value state of earlier versions, read for migration. */
    private static final byte LEGACY_TAG = 'M';

    /**
     * What the last save (or the load) left in the store: the reference generation and its chunks,
     * the last window (by identity), whether that is known, and whether stray chunks were swept.
     */
    private record Saved(long generation, int chunks, WindowAggregate lastWindow, boolean lastWindowKnown, boolean swept) {
        static final Saved NOTHING = new Saved(-1, 0, null, false, false);
    }

    private final ModelVersion modelVersion;
    private final FeatureSchema schema;
    private final DriftSettings settings;
    private final String engineDevice;
    private final HoppingCountWindows<PaneContext> windows;
    private final DriftMonitor drift;
    private long samplesSeen;
    private long windowsTested;
    private long alarms;
    private long outputAlarms;
    private AlignmentReport latest;
    private int chunkRows;
    private Saved saved = Saved.NOTHING;
    private boolean migrated;

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
                new HoppingCountWindows<>(schema, settings.windowSize(), settings.windowAdvance(), PaneContext.PAYLOAD), null);
    }

    private ModelMonitor(ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings, String engineDevice,
            ReferenceState reference, HoppingCountWindows<PaneContext> windows, WindowAggregate lastWindow) {
        this.modelVersion = modelVersion;
        this.schema = schema;
        this.settings = settings;
        this.engineDevice = engineDevice;
        this.windows = windows;
        this.drift = new DriftMonitor(modelVersion, settings, reference, lastWindow, windows);
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
        Optional<HoppingCountWindows.Window<PaneContext>> closed = windows.add(features, timestamp,
                pane -> pane.add(ordinal, metrics.predicted(), servedClass, label));
        if (closed.isEmpty()) {
            return Optional.empty();
        }
        DriftReport tested = drift.test(closed.get().samples());
        windowsTested++;
        alarms += tested.decision();
        outputAlarms += tested.output().decision();
        latest = report(closed.get(), ordinal, tested);
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

    private AlignmentReport report(HoppingCountWindows.Window<PaneContext> closed, long lastSample, DriftReport result) {
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
        AlignmentReport.Window window = new AlignmentReport.Window(w.firstTimestamp(), w.lastTimestamp(), closed.payload().firstSample(),
                lastSample, w.count(), windows.size(), windows.advance());
        return new AlignmentReport(AlignmentReport.SCHEMA_VERSION, modelVersion.model(), modelVersion.version(), window, features,
                ref, decision, engineDevice, closed.payload().counts().toContext(), outputDrift(result));
    }

    private static AlignmentReport.OutputDrift outputDrift(DriftReport result) {
        GroupDecision output = result.output();
        List<AlignmentReport.OutputFeatureScore> features = output.features().stream()
                .map(s -> new AlignmentReport.OutputFeatureScore(s.feature(), AlignmentReport.finite(s.z()),
                        AlignmentReport.finite(s.windowMean()), AlignmentReport.finite(s.referenceMean()),
                        AlignmentReport.finite(s.shiftInReferenceSd())))
                .toList();
        return new AlignmentReport.OutputDrift(AlignmentReport.finite(output.statistic()), AlignmentReport.finite(output.threshold()),
                AlignmentReport.finite(output.pValue()), output.decision(), result.falseAlarmRate(), output.testedFeatures(), features);
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
        double outputStatistic = Double.NaN;
        double outputThreshold = Double.NaN;
        int outputDecision = 0;
        if (latest != null && latest.outputDrift() != null) {
            AlignmentReport.OutputDrift output = latest.outputDrift();
            outputStatistic = output.statistic() == null ? Double.NaN : output.statistic();
            outputThreshold = output.threshold() == null ? Double.NaN : output.threshold();
            outputDecision = output.alarm();
        }
        if (latest != null) {
            for (AlignmentReport.FeatureStatistics s : latest.features()) {
                means.put(s.feature(), s.mean() == null ? Double.NaN : s.mean());
            }
            statistic = latest.drift().statistic() == null ? Double.NaN : latest.drift().statistic();
            threshold = latest.drift().threshold() == null ? Double.NaN : latest.drift().threshold();
            decision = latest.drift().alarm();
        }
        double age = drift.reference().profile().map(p -> p.ageSeconds(nowMillis)).orElse(Double.NaN);
        Map<String, ReferenceBand> bands = new LinkedHashMap<>();
        Optional<DriftDetector> test = drift.currentTest();
        for (int f = 0; f < schema.size(); f++) {
            bands.put(schema.name(f), test.isPresent() ? test.get().band(f, settings.windowSize()) : ReferenceBand.UNKNOWN);
        }
        return new MonitorGauges(modelVersion.model(), modelVersion.version(), means, bands, statistic, threshold, decision, age,
                drift.reference().isCollecting(), drift.reference().collectedCount(), samplesSeen, windowsTested, alarms,
                outputStatistic, outputThreshold, outputDecision, outputAlarms);
    }

    /**
     * Writes what changed since the last save to the monitor store, in the layout of
     * {@link MonitorRecords}: the reference chunks that filled (all chunks of a new reference), the
     * last closed window when another one closed, then the head; then it deletes the chunks of a
     * replaced reference. New records go before the head that names them, so a store that holds a
     * prefix of these writes (at-least-once, after a crash) never has a head without its chunks.
     * The first save of a monitor also deletes reference chunks and a last window no head names
     * (left by an interrupted save, or by a state that was refused).
     */
    public void save(StateRecords records) {
        ReferenceState reference = drift.reference();
        long generation = reference.generation();
        boolean newGeneration = generation != saved.generation;
        if (newGeneration) {
            chunkRows = MonitorRecords.rowsPerChunk(schema);
        }
        int chunks = MonitorRecords.chunkCount(reference.collectedCount(), chunkRows, !reference.isCollecting());
        for (int i = newGeneration ? 0 : saved.chunks; i < chunks; i++) {
            int to = Math.min(reference.collectedCount(), (i + 1) * chunkRows);
            records.put(MonitorRecords.chunkKey(modelVersion, generation, i), MonitorRecords.chunk(reference.rows(i * chunkRows, to)));
        }
        WindowAggregate lastWindow = drift.lastWindow().orElse(null);
        if (lastWindow != saved.lastWindow || !saved.lastWindowKnown) {
            if (lastWindow != null) {
                records.put(MonitorRecords.lastWindowKey(modelVersion), lastWindow.toBytes());
            } else {
                records.delete(MonitorRecords.lastWindowKey(modelVersion));
            }
        }
        records.put(MonitorRecords.headKey(modelVersion), head(chunks));
        if (newGeneration && saved.generation >= 0) {
            for (int i = 0; i < saved.chunks; i++) {
                records.delete(MonitorRecords.chunkKey(modelVersion, saved.generation, i));
            }
        }
        if (!saved.swept) {
            for (String key : records.keysWithPrefix(MonitorRecords.referencePrefix(modelVersion))) {
                long[] chunk = MonitorRecords.parseChunkKey(modelVersion, key);
                if (chunk != null && (chunk[0] != generation || chunk[1] >= chunks)) {
                    records.delete(key);
                }
            }
        }
        saved = new Saved(generation, chunks, lastWindow, true, true);
    }

    private byte[] head(int chunks) {
        ReferenceState reference = drift.reference();
        return CompactEncoding.encode(HEAD_TAG, out -> {
            out.writeUTF(modelVersion.model());
            out.writeUTF(modelVersion.version());
            out.writeLong(samplesSeen);
            out.writeLong(windowsTested);
            out.writeLong(alarms);
            // after the schema: a head stored before output drift fails on its schema, with a clear message, before this
            CompactEncoding.writeSchema(out, schema);
            out.writeLong(outputAlarms);
            out.writeInt(reference.targetSize());
            out.writeLong(reference.generation());
            out.writeInt(chunkRows);
            out.writeInt(chunks);
            out.writeInt(reference.collectedCount());
            Optional<ReferenceProfile> profile = reference.profile();
            out.writeBoolean(profile.isPresent());
            if (profile.isPresent()) {
                out.writeByte(profile.get().source().ordinal());
                out.writeLong(profile.get().createdAt());
            } else {
                WindowAggregate collecting = reference.collectingSamples().orElseThrow();
                out.writeLong(collecting.firstTimestamp());
                out.writeLong(collecting.lastTimestamp());
                float[] tail = collecting.rows(chunks * chunkRows, collecting.count());
                CompactEncoding.writeRows(out, tail, tail.length);
            }
            writeWindows(out, windows);
            out.writeBoolean(drift.lastWindow().isPresent());
            out.writeBoolean(latest != null);
            if (latest != null) {
                CompactEncoding.writeBlock(out, latest.toJsonBytes());
            }
        });
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
        byte[] head = records.get(MonitorRecords.headKey(modelVersion));
        if (head == null) {
            return Optional.empty();
        }
        if (head.length > 0 && head[0] == LEGACY_TAG) {
            ModelMonitor monitor = fromLegacyBytes(modelVersion, head, schema, settings, engineDevice);
            monitor.migrated = true;
            return Optional.of(monitor);
        }
        return Optional.of(CompactEncoding.decode(head, HEAD_TAG, "monitor head of " + MonitorRecords.headKey(modelVersion), in -> {
            ModelVersion mv = new ModelVersion(in.readUTF(), in.readUTF());
            requireSame(modelVersion, mv);
            long[] counters = {in.readLong(), in.readLong(), in.readLong(), 0};
            requireSchema(mv, CompactEncoding.readSchema(in), schema);
            counters[3] = in.readLong();
            StoredReference reference = readReference(in, records, mv, schema);
            HoppingCountWindows<PaneContext> windows = readWindows(in, schema, settings, ModelMonitor::readPane);
            WindowAggregate last = null;
            if (in.readBoolean()) {
                String key = MonitorRecords.lastWindowKey(mv);
                byte[] bytes = records.get(key);
                if (bytes == null) {
                    throw new IllegalArgumentException("the head names a last window, but " + key + " is missing");
                }
                last = WindowAggregate.fromBytes(bytes);
                requireSchema(mv, last.schema(), schema);
            }
            ModelMonitor monitor = restored(in, mv, schema, settings, engineDevice, counters, reference.state(), windows, last);
            monitor.chunkRows = reference.chunkRows();
            monitor.saved = new Saved(reference.state().generation(), reference.chunks(), last, true, false);
            return monitor;
        }));
    }

    /** A reference read back from the head and its chunks, with the chunking it was stored in. */
    private record StoredReference(ReferenceState state, int chunkRows, int chunks) {}

    /** Reads the head's reference part and the chunks it names. */
    private static StoredReference readReference(DataInputStream in, StateRecords records, ModelVersion mv, FeatureSchema schema)
            throws IOException {
        int targetSize = in.readInt();
        long generation = in.readLong();
        int chunkRows = in.readInt();
        int chunks = in.readInt();
        int count = in.readInt();
        boolean ready = in.readBoolean();
        float[] rows = new float[count * schema.size()];
        int filled = 0;
        for (int i = 0; i < chunks; i++) {
            String key = MonitorRecords.chunkKey(mv, generation, i);
            float[] chunk = MonitorRecords.readChunk(records.get(key), schema, key);
            if (filled + chunk.length > rows.length) {
                throw new IllegalArgumentException("reference chunks of generation " + generation + " hold more than the "
                        + count + " samples the head names");
            }
            System.arraycopy(chunk, 0, rows, filled, chunk.length);
            filled += chunk.length;
        }
        if (ready) {
            int source = in.readUnsignedByte();
            if (source >= ReferenceSource.values().length) {
                throw new IOException("unknown reference source " + source);
            }
            long createdAt = in.readLong();
            requireFilled(filled, rows.length, count, generation);
            return new StoredReference(ReferenceState.ready(targetSize, generation,
                    ReferenceProfile.ofRows(schema, rows, createdAt, ReferenceSource.values()[source])), chunkRows, chunks);
        }
        long first = in.readLong();
        long last = in.readLong();
        float[] tail = CompactEncoding.readRows(in, schema.size());
        System.arraycopy(tail, 0, rows, filled, Math.min(tail.length, rows.length - filled));
        requireFilled(filled + tail.length, rows.length, count, generation);
        return new StoredReference(ReferenceState.collecting(targetSize, generation, WindowAggregate.ofRows(schema, rows, first, last)),
                chunkRows, chunks);
    }

    /** Reads the latest report that ends both state forms and builds the monitor with the counters (seen, tested, alarms, output alarms). */
    private static ModelMonitor restored(DataInputStream in, ModelVersion mv, FeatureSchema schema, DriftSettings settings,
            String engineDevice, long[] counters, ReferenceState reference, HoppingCountWindows<PaneContext> windows, WindowAggregate last)
            throws IOException {
        AlignmentReport report = in.readBoolean()
                ? AlignmentReport.fromJson(new String(CompactEncoding.readBlock(in), StandardCharsets.UTF_8))
                : null;
        ModelMonitor monitor = new ModelMonitor(mv, schema, settings, engineDevice, reference, windows, last);
        monitor.samplesSeen = counters[0];
        monitor.windowsTested = counters[1];
        monitor.alarms = counters[2];
        monitor.outputAlarms = counters[3];
        monitor.latest = report;
        return monitor;
    }

    private static void requireSame(ModelVersion expected, ModelVersion stored) {
        if (!expected.equals(stored)) {
            throw new IllegalArgumentException("the monitor head under " + MonitorRecords.headKey(expected) + " is the state of "
                    + MonitorRecords.headKey(stored));
        }
    }

    private static void requireSchema(ModelVersion mv, FeatureSchema stored, FeatureSchema expected) {
        if (expected.hasOutputFeatures() && !stored.hasOutputFeatures()) {
            throw new IllegalArgumentException("monitor state of " + mv.model() + ":" + mv.version() + " was stored before output drift"
                    + " (its features lack " + FeatureSchema.OUTPUT_FEATURES + "); it cannot be tested for output drift and is refused,"
                    + " and a new reference is collected (docs/kafka.md, \"Upgrading to output drift\")");
        }
        if (!stored.equals(expected)) {
            throw new IllegalArgumentException("monitor state of " + mv.model() + ":" + mv.version() + " has features "
                    + stored.names() + ", expected " + expected.names() + " (same model version, same watched blocks)");
        }
    }

    private static void requireFilled(int values, int expected, int count, long generation) {
        if (values != expected) {
            throw new IllegalArgumentException("reference generation " + generation + " should hold " + count + " samples, its chunks and"
                    + " head hold " + values + " values");
        }
    }

    /** Returns whether this monitor was read from the single-value state of earlier versions (written anew by the next save). */
    public boolean migrated() {
        return migrated;
    }

    /** Reads the single-value state of earlier versions (tag 'M'): the reference, windows and last window in one value. */
    private static ModelMonitor fromLegacyBytes(ModelVersion modelVersion, byte[] bytes, FeatureSchema schema, DriftSettings settings,
            String engineDevice) {
        return CompactEncoding.decode(bytes, LEGACY_TAG, "model monitor state", in -> {
            ModelVersion mv = new ModelVersion(in.readUTF(), in.readUTF());
            requireSame(modelVersion, mv);
            long[] counters = {in.readLong(), in.readLong(), in.readLong(), 0};
            ReferenceState reference = ReferenceState.fromBytes(CompactEncoding.readBlock(in));
            requireSchema(mv, reference.profile().map(ReferenceProfile::schema)
                    .orElseGet(() -> reference.collectingSamples().orElseThrow().schema()), schema);
            HoppingCountWindows<PaneContext> windows = readWindows(in, schema, settings, ModelMonitor::readLegacyPane);
            WindowAggregate last = in.readBoolean() ? WindowAggregate.fromBytes(CompactEncoding.readBlock(in)) : null;
            return restored(in, mv, schema, settings, engineDevice, counters, reference, windows, last);
        });
    }

    /** Writes the open panes: size, advance, the full panes and the current one (the head's window part). */
    private static void writeWindows(DataOutputStream out, HoppingCountWindows<PaneContext> windows) throws IOException {
        out.writeInt(windows.size());
        out.writeInt(windows.advance());
        List<HoppingCountWindows.Pane<PaneContext>> full = windows.fullPanes();
        out.writeInt(full.size());
        for (HoppingCountWindows.Pane<PaneContext> p : full) {
            writePane(out, p);
        }
        writePane(out, windows.currentPane());
    }

    /** Writes a pane without its feature names: the head record names them once for all panes. */
    private static void writePane(DataOutputStream out, HoppingCountWindows.Pane<PaneContext> p) throws IOException {
        out.writeLong(p.payload().firstSample());
        p.payload().counts().write(out);
        WindowAggregate samples = p.samples();
        out.writeLong(samples.firstTimestamp());
        out.writeLong(samples.lastTimestamp());
        CompactEncoding.writeRows(out, samples.rows(0, samples.count()), samples.count() * samples.schema().size());
    }

    /** Reads one pane of either state form. */
    private interface PaneReader {
        HoppingCountWindows.Pane<PaneContext> read(DataInputStream in, FeatureSchema schema) throws IOException;
    }

    /**
     * Reads windows written by {@link #writeWindows} (or by the single-value state, with its own pane
     * reader); when the stored size or advance differ from the configured ones, the open panes cannot
     * form the configured windows and are dropped.
     */
    private static HoppingCountWindows<PaneContext> readWindows(DataInputStream in, FeatureSchema schema, DriftSettings settings,
            PaneReader paneReader) throws IOException {
        int storedSize = in.readInt();
        int storedAdvance = in.readInt();
        int count = in.readInt();
        if (count < 0 || count > storedSize) {
            throw new IOException(count + " closed panes in windows of " + storedSize);
        }
        List<HoppingCountWindows.Pane<PaneContext>> full = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            full.add(paneReader.read(in, schema));
        }
        HoppingCountWindows.Pane<PaneContext> current = paneReader.read(in, schema);
        HoppingCountWindows<PaneContext> windows = HoppingCountWindows.restore(schema, settings.windowSize(), settings.windowAdvance(),
                PaneContext.PAYLOAD, full, current);
        if (storedSize != settings.windowSize() || storedAdvance != settings.windowAdvance()) {
            windows.clear();
        }
        return windows;
    }

    private static HoppingCountWindows.Pane<PaneContext> readPane(DataInputStream in, FeatureSchema schema) throws IOException {
        long first = in.readLong();
        OutputCounts counts = OutputCounts.read(in);
        long firstTimestamp = in.readLong();
        long lastTimestamp = in.readLong();
        WindowAggregate samples = WindowAggregate.ofRows(schema, CompactEncoding.readRows(in, schema.size()), firstTimestamp,
                lastTimestamp);
        return new HoppingCountWindows.Pane<>(samples, new PaneContext(first, counts));
    }

    /** Reads a pane of the single-value state, which carried its own feature names. */
    private static HoppingCountWindows.Pane<PaneContext> readLegacyPane(DataInputStream in, FeatureSchema schema) throws IOException {
        long first = in.readLong();
        OutputCounts counts = OutputCounts.read(in);
        WindowAggregate samples = WindowAggregate.fromBytes(CompactEncoding.readBlock(in));
        if (!samples.schema().equals(schema)) {
            throw new IOException("pane has features " + samples.schema().names() + ", expected " + schema.names());
        }
        return new HoppingCountWindows.Pane<>(samples, new PaneContext(first, counts));
    }
}
