package io.resalign.service;

import io.resalign.drift.CompactEncoding;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.HoppingCountWindows;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceProfile;
import io.resalign.drift.ReferenceSource;
import io.resalign.drift.ReferenceState;
import io.resalign.drift.WindowAggregate;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes a {@link ModelMonitor}'s state as the records {@link MonitorRecords} lays out, and reads it
 * back (docs/kafka.md, "Monitor state records"). Each monitor has one, which knows what the last save
 * (or the load) left in the store, so that a save writes only what changed.
 *
 * <p>The head record is: tag {@code H} and format version ({@link CompactEncoding}); model and
 * version; samples seen, windows tested, alignment alarms; the feature names; output alarms; the
 * reference's target size, generation, rows per chunk, chunk count, sample count and whether it is
 * ready, then its source and creation time, or, while it is collected, its first and last timestamp
 * and the rows not yet in a chunk; the open panes (window size, advance, the full panes, the current
 * pane; each pane its first ordinal, output counts, timestamps and rows); whether a last window is
 * stored; and the latest report as JSON, if any. A monitor fed from a stream also has source
 * positions ({@link SourcePositions}): its head has tag {@code S} and ends with them (count, then
 * partition, offset and sample index each); a head without them keeps tag {@code H} and the bytes of
 * earlier builds. The single-value state of earlier versions is read by {@link LegacyMonitorState}.
 *
 * <p>The drift test is not stored: a restored monitor rebuilds it from the reference and the
 * settings and gets the same thresholds, so it continues exactly as the original.
 */
final class MonitorStateCodec {
    /** Type tag of the head record. */
    private static final byte HEAD_TAG = 'H';
    /** A head that also holds the monitor's source positions (written once it has any; 'H' heads read with none). */
    private static final byte POSITIONED_HEAD_TAG = 'S';

    /**
     * What the last save (or the load) left in the store: the reference generation and its chunks,
     * the last window (by identity), whether that is known, and whether stray chunks were swept.
     */
    private record Saved(long generation, int chunks, WindowAggregate lastWindow, boolean lastWindowKnown, boolean swept) {
        static final Saved NOTHING = new Saved(-1, 0, null, false, false);
    }

    private Saved saved;
    /** Rows per chunk of the stored reference generation (a new generation takes the current bound). */
    private int chunkRows;
    private final boolean migrated;

    private MonitorStateCodec(Saved saved, int chunkRows, boolean migrated) {
        this.saved = saved;
        this.chunkRows = chunkRows;
        this.migrated = migrated;
    }

    /** Returns the codec of a new monitor: the store holds nothing of it (or only parts the first save sweeps). */
    static MonitorStateCodec nothingStored() {
        return new MonitorStateCodec(Saved.NOTHING, 0, false);
    }

    /** Returns the codec of a monitor read from the single-value state: the next save writes every record. */
    static MonitorStateCodec migratedFromSingleValue() {
        return new MonitorStateCodec(Saved.NOTHING, 0, true);
    }

    /** Returns whether the monitor was read from the single-value state of earlier versions. */
    boolean migrated() {
        return migrated;
    }

    /**
     * Writes what changed since the last save: the reference chunks that filled (all chunks of a new
     * reference), the last closed window when another one closed, then the head; then it deletes the
     * chunks of a replaced reference. New records go before the head that names them, so a store that
     * holds a prefix of these writes (at-least-once, after a crash) never has a head without its
     * chunks. The first save also deletes reference chunks and a last window no head names (left by an
     * interrupted save, or by a state that was refused).
     */
    void save(ModelMonitor monitor, StateRecords records) {
        ModelVersion mv = monitor.modelVersion();
        ReferenceState reference = monitor.drift().reference();
        long generation = reference.generation();
        boolean newGeneration = generation != saved.generation;
        if (newGeneration) {
            chunkRows = MonitorRecords.rowsPerChunk(monitor.schema());
        }
        int chunks = MonitorRecords.chunkCount(reference.collectedCount(), chunkRows, !reference.isCollecting());
        for (int i = newGeneration ? 0 : saved.chunks; i < chunks; i++) {
            int to = Math.min(reference.collectedCount(), (i + 1) * chunkRows);
            records.put(MonitorRecords.chunkKey(mv, generation, i), MonitorRecords.chunk(reference.rows(i * chunkRows, to)));
            CrashPoints.reach("reference-chunk-written");
        }
        WindowAggregate lastWindow = monitor.drift().lastWindow().orElse(null);
        if (lastWindow != saved.lastWindow || !saved.lastWindowKnown) {
            if (lastWindow != null) {
                records.put(MonitorRecords.lastWindowKey(mv), lastWindow.toBytes());
            } else {
                records.delete(MonitorRecords.lastWindowKey(mv));
            }
        }
        records.put(MonitorRecords.headKey(mv), head(monitor, chunks));
        if (newGeneration && saved.generation >= 0) {
            for (int i = 0; i < saved.chunks; i++) {
                records.delete(MonitorRecords.chunkKey(mv, saved.generation, i));
            }
        }
        if (!saved.swept) {
            for (String key : records.keysWithPrefix(MonitorRecords.referencePrefix(mv))) {
                long[] chunk = MonitorRecords.parseChunkKey(mv, key);
                if (chunk != null && (chunk[0] != generation || chunk[1] >= chunks)) {
                    records.delete(key);
                }
            }
        }
        saved = new Saved(generation, chunks, lastWindow, true, true);
    }

    private byte[] head(ModelMonitor monitor, int chunks) {
        ReferenceState reference = monitor.drift().reference();
        MonitorCounters counters = monitor.counters();
        Optional<AlignmentReport> latest = monitor.latestReport();
        boolean positioned = !monitor.positions().isEmpty();
        return CompactEncoding.encode(positioned ? POSITIONED_HEAD_TAG : HEAD_TAG, out -> {
            out.writeUTF(monitor.modelVersion().model());
            out.writeUTF(monitor.modelVersion().version());
            out.writeLong(counters.samplesSeen());
            out.writeLong(counters.windowsTested());
            out.writeLong(counters.alarms());
            // after the schema: a head stored before output drift fails on its schema, with a clear message, before this
            CompactEncoding.writeSchema(out, monitor.schema());
            out.writeLong(counters.outputAlarms());
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
            writeWindows(out, monitor.windows());
            out.writeBoolean(monitor.drift().lastWindow().isPresent());
            out.writeBoolean(latest.isPresent());
            if (latest.isPresent()) {
                CompactEncoding.writeBlock(out, latest.get().toJsonBytes());
            }
            if (positioned) {
                monitor.positions().write(out);
            }
        });
    }

    /** Reads the monitor {@link ModelMonitor#load} describes; empty when the store has no head for it. */
    static Optional<ModelMonitor> load(StateRecords records, ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings,
            String engineDevice) {
        byte[] head = records.get(MonitorRecords.headKey(modelVersion));
        if (head == null) {
            return Optional.empty();
        }
        if (LegacyMonitorState.isSingleValue(head)) {
            return Optional.of(LegacyMonitorState.read(head, modelVersion, schema, settings, engineDevice));
        }
        byte tag = head.length > 0 && head[0] == POSITIONED_HEAD_TAG ? POSITIONED_HEAD_TAG : HEAD_TAG;
        return Optional.of(CompactEncoding.decode(head, tag, "monitor head of " + MonitorRecords.headKey(modelVersion), in -> {
            ModelVersion mv = new ModelVersion(in.readUTF(), in.readUTF());
            requireSame(modelVersion, mv);
            long samplesSeen = in.readLong();
            long windowsTested = in.readLong();
            long alarms = in.readLong();
            requireSchema(mv, CompactEncoding.readSchema(in), schema);
            MonitorCounters counters = new MonitorCounters(samplesSeen, windowsTested, alarms, in.readLong());
            StoredReference reference = readReference(in, records, mv, schema);
            HoppingCountWindows<PaneContext> windows = readWindows(in, schema, settings, MonitorStateCodec::readPane);
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
            MonitorStateCodec stored = new MonitorStateCodec(
                    new Saved(reference.state().generation(), reference.chunks(), last, true, false), reference.chunkRows(), false);
            ModelMonitor monitor = restored(in, mv, schema, settings, engineDevice, counters, reference.state(), windows, last, stored);
            if (tag == POSITIONED_HEAD_TAG) {
                monitor.positions().read(in);
            }
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

    /** Reads the latest report that ends both state forms and builds the monitor from the parts read before it. */
    static ModelMonitor restored(DataInputStream in, ModelVersion mv, FeatureSchema schema, DriftSettings settings, String engineDevice,
            MonitorCounters counters, ReferenceState reference, HoppingCountWindows<PaneContext> windows, WindowAggregate last,
            MonitorStateCodec stored) throws IOException {
        AlignmentReport report = in.readBoolean()
                ? AlignmentReport.fromJson(new String(CompactEncoding.readBlock(in), StandardCharsets.UTF_8))
                : null;
        return new ModelMonitor(mv, schema, settings, engineDevice, reference, windows, last, counters, report, stored);
    }

    /** Writes the open panes: size, advance, the full panes and the current one. */
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
    interface PaneReader {
        HoppingCountWindows.Pane<PaneContext> read(DataInputStream in, FeatureSchema schema) throws IOException;
    }

    /**
     * Reads windows written by {@link #writeWindows} (or by the single-value state, with its own pane
     * reader); when the stored size or advance differ from the configured ones, the open panes cannot
     * form the configured windows and are dropped.
     */
    static HoppingCountWindows<PaneContext> readWindows(DataInputStream in, FeatureSchema schema, DriftSettings settings,
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

    static void requireSame(ModelVersion expected, ModelVersion stored) {
        if (!expected.equals(stored)) {
            throw new IllegalArgumentException("the monitor head under " + MonitorRecords.headKey(expected) + " is the state of "
                    + MonitorRecords.headKey(stored));
        }
    }

    static void requireSchema(ModelVersion mv, FeatureSchema stored, FeatureSchema expected) {
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
}
