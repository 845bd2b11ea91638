package io.resalign.sample.file;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads samples and labels from a file, choosing the reader by the file's extension and, when
 * the extension says nothing, by its first bytes.
 *
 * <p>Recognised names, each optionally followed by {@code .gz} (gzip is also recognised by its
 * magic): {@code .npy}; {@code .idx}, {@code *-ubyte} (such as {@code t10k-images-idx3-ubyte});
 * {@code .json}; {@code .jsonl} and {@code .ndjson}. See {@link IdxReader}, {@link NpyReader},
 * {@link JsonReader} and {@link JsonLinesReader} for each format.
 */
public final class SampleReaders {

    private static final String KNOWN = ".npy, .idx, *-ubyte, .json, .jsonl or .ndjson (optionally .gz)";

    private SampleReaders() {
    }

    /**
     * Reads the samples of {@code file} in the format its name or content shows.
     *
     * @throws InputFormatException if the format cannot be told or the content is invalid
     * @throws IOException if the file cannot be read
     */
    public static SampleBatch read(Path file) throws IOException {
        try (SourceStream in = SourceStream.open(file)) {
            return read(in, detect(in));
        }
    }

    /**
     * Reads the samples of {@code file} in the given format, whatever its name.
     *
     * @throws InputFormatException if the content is invalid
     * @throws IOException if the file cannot be read
     */
    public static SampleBatch read(Path file, SampleFormat format) throws IOException {
        try (SourceStream in = SourceStream.open(file)) {
            return read(in, format);
        }
    }

    /**
     * Reads samples and their labels from two files and checks that their counts agree.
     *
     * @throws InputFormatException if either file is invalid or the counts differ
     * @throws IOException if a file cannot be read
     */
    public static SampleBatch readLabelled(Path samples, Path labels) throws IOException {
        SampleBatch batch = read(samples);
        int[] l = readLabels(labels);
        if (l.length != batch.size()) {
            throw new InputFormatException(labels, null, l.length + " labels for the " + batch.size()
                    + " samples of " + samples + "; expected one label per sample");
        }
        return batch.withLabels(l);
    }

    /**
     * Reads a 1-D file of integer labels: an IDX label file, an NPY vector or a JSON array.
     *
     * @return the labels, one per entry of the file's first axis
     * @throws InputFormatException if the file is not 1-D or holds a value that is not a whole
     *     number in the int range
     * @throws IOException if the file cannot be read
     */
    public static int[] readLabels(Path file) throws IOException {
        SampleBatch batch;
        try (SourceStream in = SourceStream.open(file)) {
            SampleFormat format = detect(in);
            if (format == SampleFormat.IDX) {
                return IdxReader.readLabels(in);
            }
            batch = read(in, format);
        }
        if (batch.sampleLength() != 1) {
            throw new InputFormatException(file, null, "expected a 1-D array of labels, found "
                    + batch.size() + " entries of shape " + Shapes.format(batch.sampleShape()));
        }
        float[] values = batch.data();
        int[] labels = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (v != Math.rint(v) || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new InputFormatException(file, "label " + i, "expected a whole number, found " + v);
            }
            labels[i] = (int) v;
        }
        return labels;
    }

    /**
     * Tells the format of {@code file} from its name, or from its first bytes when the name
     * does not say.
     *
     * @throws InputFormatException if neither the name nor the content is recognised
     * @throws IOException if the file cannot be read
     */
    public static SampleFormat detect(Path file) throws IOException {
        try (SourceStream in = SourceStream.open(file)) {
            return detect(in);
        }
    }

    static SampleFormat detect(SourceStream in) throws IOException {
        SampleFormat byName = byName(in.file());
        if (byName != null) {
            return byName;
        }
        byte[] head = in.peek(64);
        if (head.length >= 6 && (head[0] & 0xFF) == 0x93 && head[1] == 'N' && head[2] == 'U'
                && head[3] == 'M' && head[4] == 'P' && head[5] == 'Y') {
            return SampleFormat.NPY;
        }
        if (head.length >= 4 && head[0] == 0 && head[1] == 0) {
            int type = head[2] & 0xFF;
            if (type == 0x08 || type == 0x09 || (type >= 0x0B && type <= 0x0E)) {
                return SampleFormat.IDX;
            }
        }
        for (byte b : head) {
            if (b == '[') {
                return SampleFormat.JSON;
            }
            if (b == '{') {
                return SampleFormat.JSON_LINES;
            }
            if (!Character.isWhitespace(b)) {
                break;
            }
        }
        throw new InputFormatException(in.file(), "byte 0", "cannot tell the format: expected a name ending in "
                + KNOWN + ", or content starting with the npy magic, an IDX magic, '[' or '{'");
    }

    private static SampleFormat byName(Path file) {
        Path name = file.getFileName();
        if (name == null) {
            return null;
        }
        String n = name.toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz")) {
            n = n.substring(0, n.length() - 3);
        }
        if (n.endsWith(".npy")) {
            return SampleFormat.NPY;
        }
        if (n.endsWith(".idx") || n.endsWith("-ubyte") || n.matches(".*\\.idx\\d+")) {
            return SampleFormat.IDX;
        }
        if (n.endsWith(".json")) {
            return SampleFormat.JSON;
        }
        if (n.endsWith(".jsonl") || n.endsWith(".ndjson")) {
            return SampleFormat.JSON_LINES;
        }
        return null;
    }

    private static SampleBatch read(SourceStream in, SampleFormat format) throws IOException {
        switch (format) {
            case IDX: return IdxReader.read(in);
            case NPY: return NpyReader.read(in);
            case JSON: return JsonReader.read(in);
            case JSON_LINES: return JsonLinesReader.read(in);
            default: throw new IllegalStateException("unhandled " + format);
        }
    }
}
