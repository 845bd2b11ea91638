package io.resalign.service;

import io.resalign.drift.CompactEncoding;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.List;

/**
 * Lays out one monitor's state as records of the monitor store, each bounded whatever the
 * reference size (docs/kafka.md, "Monitor state records"):
 *
 * <p>{@code model} and {@code version} are escaped ({@link #headKey}): {@code %}, {@code :}, {@code /}
 * and {@code !} become {@code %25}, {@code %3A}, {@code %2F} and {@code %21}, so that no two model
 * versions share a key ({@code a:b}/{@code 1} and {@code a}/{@code b:1} did before) and no monitor key
 * starts with {@code !}, the prefix of the processor's own records. Names without those characters
 * keep the keys of earlier builds; {@link #migrateKeys} moves the state of the others.
 *
 * <ul>
 *   <li>{@code model:version}: the head (counters, the reference's description and its not yet
 *       chunked samples, the open windows, the latest report), rewritten after every batch;
 *   <li>{@code model:version/reference/<generation>/<chunk>}: the reference samples in chunks of at
 *       most {@link #CHUNK_BYTES} of rows, each written once when full (the last one when the
 *       reference completes); a pin or reset starts a new generation and deletes the old chunks;
 *   <li>{@code model:version/last-window}: the last closed window (what a pin takes), written when a
 *       window closes.
 * </ul>
 *
 * <p>The open windows and the last window hold at most one window of rows; {@link #requireBounded}
 * refuses, at start, a window size whose rows would exceed {@link #MAX_WINDOW_BYTES}.
 */
public final class MonitorRecords {
    /**
     * Most bytes of rows in one reference chunk. While the reference is collected, the samples of the
     * chunk not yet full ride in the head, which every batch rewrites: a small chunk keeps that write
     * small, and restoring 2,000 x 104 features from 26 chunks is still 26 reads.
     */
    public static final int CHUNK_BYTES = 32 * 1024;
    /**
     * Most bytes of rows in one window: the head's open panes and the last-window record. With the
     * report and the feature names the head stays below about 0.4 MB, well under Kafka's default
     * 1 MB record limit (producer {@code max.request.size}, broker {@code message.max.bytes}).
     */
    public static final int MAX_WINDOW_BYTES = 256 * 1024;

    private static final byte CHUNK_TAG = 'C';
    private static final String REFERENCE = "/reference/";
    private static final String LAST_WINDOW = "/last-window";

    private MonitorRecords() {}

    /** Returns the key of a model version's head record: {@code model:version}, each part escaped. */
    public static String headKey(ModelVersion mv) {
        return escape(mv.model()) + ":" + escape(mv.version());
    }

    /** Returns the head key of earlier builds, {@code model:version} unescaped (ambiguous when a part holds a colon). */
    static String legacyHeadKey(ModelVersion mv) {
        return mv.model() + ":" + mv.version();
    }

    private static String escape(String part) {
        StringBuilder b = new StringBuilder(part.length());
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            switch (c) {
                case '%' -> b.append("%25");
                case ':' -> b.append("%3A");
                case '/' -> b.append("%2F");
                case '!' -> b.append("%21");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Moves the state an earlier build kept under the unescaped key of {@code mv} to the escaped
     * one: the parts first, the head after them, then the old records are deleted (a crash in
     * between leaves the new head, which the next start keeps, and old records, which nothing reads).
     * Nothing moves when both keys are the same, when the new head exists, or when the old head is
     * another model version's (two names that shared the old key: that state is left where it is).
     *
     * @return whether state was moved
     */
    public static boolean migrateKeys(StateRecords records, ModelVersion mv) {
        String from = legacyHeadKey(mv);
        String to = headKey(mv);
        if (from.equals(to) || records.get(to) != null) {
            return false;
        }
        byte[] head = records.get(from);
        if (head == null || !namesModelVersion(head, mv)) {
            return false;
        }
        List<String> parts = records.keysWithPrefix(from + "/");
        for (String key : parts) {
            records.put(to + key.substring(from.length()), records.get(key));
        }
        records.put(to, head);
        parts.forEach(records::delete);
        records.delete(from);
        return true;
    }

    /**
     * Returns the keys of every record of {@code mv}'s state in {@code records}, its head last (so that
     * a copy written in this order has the head only once the parts it names are there); empty when
     * there is no head.
     */
    public static List<String> keysOf(StateRecords records, ModelVersion mv) {
        String head = headKey(mv);
        if (records.get(head) == null) {
            return List.of();
        }
        List<String> keys = new java.util.ArrayList<>(records.keysWithPrefix(head + "/"));
        keys.add(head);
        return keys;
    }

    /** Says whether a head record (of either form: tag, format version, then model and version) is the state of {@code mv}. */
    private static boolean namesModelVersion(byte[] head, ModelVersion mv) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(head, 2, Math.max(0, head.length - 2)))) {
            return in.readUTF().equals(mv.model()) && in.readUTF().equals(mv.version());
        } catch (IOException e) {
            return false;
        }
    }

    static String referencePrefix(ModelVersion mv) {
        return headKey(mv) + REFERENCE;
    }

    static String chunkKey(ModelVersion mv, long generation, int chunk) {
        return referencePrefix(mv) + generation + "/" + chunk;
    }

    static String lastWindowKey(ModelVersion mv) {
        return headKey(mv) + LAST_WINDOW;
    }

    /** Returns generation and index of a chunk key of {@code mv}, or null when {@code key} is not one. */
    static long[] parseChunkKey(ModelVersion mv, String key) {
        String prefix = referencePrefix(mv);
        if (!key.startsWith(prefix)) {
            return null;
        }
        String[] parts = key.substring(prefix.length()).split("/", -1);
        try {
            return parts.length == 2 ? new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])} : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Returns the samples per reference chunk for a schema. */
    static int rowsPerChunk(FeatureSchema schema) {
        return Math.max(1, CHUNK_BYTES / (Float.BYTES * schema.size()));
    }

    /** Returns the chunks {@code rows} reference samples fill: whole chunks while collecting, every sample once ready. */
    static int chunkCount(int rows, int rowsPerChunk, boolean ready) {
        return ready ? (rows + rowsPerChunk - 1) / rowsPerChunk : rows / rowsPerChunk;
    }

    /** Returns the record of one chunk: tag, format version and the rows. */
    static byte[] chunk(float[] rows) {
        return CompactEncoding.encode(CHUNK_TAG, out -> CompactEncoding.writeRows(out, rows, rows.length));
    }

    /** Reads a chunk record; {@code key} names it in errors. */
    static float[] readChunk(byte[] bytes, FeatureSchema schema, String key) {
        if (bytes == null) {
            throw new IllegalArgumentException("reference chunk " + key + " is missing from the monitor store");
        }
        return CompactEncoding.decode(bytes, CHUNK_TAG, "reference chunk " + key, in -> CompactEncoding.readRows(in, schema.size()));
    }

    /** Returns the bytes of rows of one window of {@code windowSize} samples of {@code schema}. */
    static long windowBytes(FeatureSchema schema, int windowSize) {
        return (long) windowSize * schema.size() * Float.BYTES;
    }

    /**
     * Throws when a window of the configured size would not fit the record bound, naming the model
     * version, its features, the setting and the largest window size that fits.
     */
    public static void requireBounded(ModelVersion mv, FeatureSchema schema, DriftSettings settings) {
        long bytes = windowBytes(schema, settings.windowSize());
        if (bytes > MAX_WINDOW_BYTES) {
            long largest = MAX_WINDOW_BYTES / ((long) schema.size() * Float.BYTES);
            throw new IllegalArgumentException("resalign.drift.window-size=" + settings.windowSize() + " is too large for "
                    + headKey(mv) + ": a window of its " + schema.size() + " features is " + bytes
                    + " bytes, and the monitor store keeps a window in one record of at most " + MAX_WINDOW_BYTES
                    + " bytes of rows (docs/kafka.md, \"Monitor state records\"); use a window size of at most " + largest);
        }
    }
}
