package io.resalign.sample.file;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/** Writes the input files that the reader tests read. */
final class Fixtures {

    private Fixtures() {
    }

    /** Writes an IDX file of the given type code, dimensions and values. */
    static Path idx(Path dir, String name, int type, int[] dims, double[] values) throws IOException {
        return write(dir, name, idxBytes(type, dims, values));
    }

    static byte[] idxBytes(int type, int[] dims, double[] values) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {0, 0, (byte) type, (byte) dims.length});
        for (int d : dims) {
            out.writeInt(d);
        }
        for (double v : values) {
            switch (type) {
                case 0x08: case 0x09: out.writeByte((int) v); break;
                case 0x0B: out.writeShort((int) v); break;
                case 0x0C: out.writeInt((int) v); break;
                case 0x0D: out.writeFloat((float) v); break;
                case 0x0E: out.writeDouble(v); break;
                default: throw new IllegalArgumentException("type " + type);
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    static Path write(Path dir, String name, byte[] content) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content);
        return file;
    }

    static Path write(Path dir, String name, String content) throws IOException {
        return write(dir, name, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes the gzip compression of {@code content}. */
    static Path gzip(Path dir, String name, byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(content);
        }
        return write(dir, name, bytes.toByteArray());
    }

    /** Returns the first {@code n} bytes of a file, as a truncated copy would hold. */
    static byte[] head(Path file, int n) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return java.util.Arrays.copyOf(all, n);
    }

    /**
     * Runs a Python script with numpy, passing {@code dir} as its first argument. A missing
     * python3 or numpy fails the test: the cross-checks are never skipped.
     */
    static void python(String script, Path dir) throws IOException, InterruptedException {
        io.resalign.engine.testing.Python.script(script, dir);
    }

    static float[] floats(double... values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }
}
