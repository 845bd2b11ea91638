package io.resalign.service;

import io.resalign.drift.CompactEncoding;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.HoppingCountWindows;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceProfile;
import io.resalign.drift.ReferenceState;
import io.resalign.drift.WindowAggregate;
import java.io.DataInputStream;
import java.io.IOException;

/**
 * Reads the single-value monitor state of earlier versions (type tag {@code M}: the whole monitor,
 * reference included, in the head's place), so that it is migrated once: the monitor read here
 * writes the bounded records of {@link MonitorRecords} at its next save (docs/kafka.md, "State of
 * earlier versions"). Kept apart from {@link MonitorStateCodec} because nothing writes this form
 * any more: it goes when no store can hold it.
 *
 * <p>The value is: tag and format version; model and version; samples seen, windows tested,
 * alignment alarms; the reference ({@link ReferenceState#fromBytes}); the open panes as the head
 * has them, except that each pane's samples are a whole {@link WindowAggregate} with its own feature
 * names; the last window, if any, as a {@link WindowAggregate}; and the latest report, if any. It
 * predates output drift, so it has no output alarms (read as 0).
 */
final class LegacyMonitorState {
    private static final byte TAG = 'M';

    private LegacyMonitorState() {}

    /** Returns whether a value under a head key is in the single-value form. */
    static boolean isSingleValue(byte[] head) {
        return head.length > 0 && head[0] == TAG;
    }

    /** Reads the single-value state of {@code modelVersion}; the monitor says {@link ModelMonitor#migrated()}. */
    static ModelMonitor read(byte[] bytes, ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings,
            String engineDevice) {
        return CompactEncoding.decode(bytes, TAG, "model monitor state", in -> {
            ModelVersion mv = new ModelVersion(in.readUTF(), in.readUTF());
            MonitorStateCodec.requireSame(modelVersion, mv);
            MonitorCounters counters = new MonitorCounters(in.readLong(), in.readLong(), in.readLong(), 0);
            ReferenceState reference = ReferenceState.fromBytes(CompactEncoding.readBlock(in));
            MonitorStateCodec.requireSchema(mv, reference.profile().map(ReferenceProfile::schema)
                    .orElseGet(() -> reference.collectingSamples().orElseThrow().schema()), schema);
            HoppingCountWindows<PaneContext> windows = MonitorStateCodec.readWindows(in, schema, settings, LegacyMonitorState::readPane);
            WindowAggregate last = in.readBoolean() ? WindowAggregate.fromBytes(CompactEncoding.readBlock(in)) : null;
            return MonitorStateCodec.restored(in, mv, schema, settings, engineDevice, counters, reference, windows, last,
                    MonitorStateCodec.migratedFromSingleValue());
        });
    }

    /** Reads a pane, which carried its own feature names. */
    private static HoppingCountWindows.Pane<PaneContext> readPane(DataInputStream in, FeatureSchema schema) throws IOException {
        long first = in.readLong();
        OutputCounts counts = OutputCounts.read(in);
        WindowAggregate samples = WindowAggregate.fromBytes(CompactEncoding.readBlock(in));
        if (!samples.schema().equals(schema)) {
            throw new IOException("pane has features " + samples.schema().names() + ", expected " + schema.names());
        }
        return new HoppingCountWindows.Pane<>(samples, new PaneContext(first, counts));
    }
}
