package io.resalign.sample.file;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a file, gunzipping it when it starts with the gzip magic, and counts the bytes read so
 * that errors can name their offset. Corrupt or truncated gzip data surface as
 * {@link InputFormatException}.
 */
final class SourceStream extends FilterInputStream {

    private static final int BUFFER = 1 << 16;

    private final Path file;
    private final boolean gzipped;
    private long position;

    private SourceStream(InputStream in, Path file, boolean gzipped) {
        super(in);
        this.file = file;
        this.gzipped = gzipped;
    }

    /** Opens {@code file}, decompressing it when it starts with the gzip magic {@code 1f 8b}. */
    static SourceStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gz = b0 == 0x1f && b1 == 0x8b;
            if (!gz && file.getFileName().toString().endsWith(".gz")) {
                throw new InputFormatException(file, "byte 0",
                        "named .gz but does not start with the gzip magic 1f 8b");
            }
            InputStream in = gz ? new BufferedInputStream(new GZIPInputStream(raw, BUFFER), BUFFER) : raw;
            return new SourceStream(in, file, gz);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** Returns the file being read. */
    Path file() {
        return file;
    }

    /** Returns the number of (decompressed) bytes read so far. */
    long position() {
        return position;
    }

    /** Returns "byte N" or "byte N of the decompressed data" for error messages. */
    String describe(long offset) {
        return "byte " + offset + (gzipped ? " of the decompressed data" : "");
    }

    /** Reads up to {@code n} bytes, the first ones of the stream, without consuming them. */
    byte[] peek(int n) throws IOException {
        in.mark(n);
        byte[] head = in.readNBytes(n);
        in.reset();
        return head;
    }

    /**
     * Reads exactly {@code buffer.length} bytes, or fails naming what was being read.
     *
     * @param what what the bytes are, for the message ("the header", "sample data")
     */
    void readFully(byte[] buffer, int length, String what) throws IOException {
        long start = position;
        int n = readNBytes(buffer, 0, length);
        if (n < length) {
            throw new InputFormatException(file, describe(start + n),
                    "truncated: file ends while reading " + what + " (" + length + " bytes wanted from "
                            + describe(start) + ", " + n + " available)");
        }
    }

    /** Fails if anything follows the expected end of the data. */
    void requireEnd(String what) throws IOException {
        long end = position;
        if (read() != -1) {
            throw new InputFormatException(file, describe(end),
                    "unexpected trailing bytes after " + what + "; the file is longer than its header says");
        }
    }

    @Override
    public int read() throws IOException {
        try {
            int b = in.read();
            if (b >= 0) {
                position++;
            }
            return b;
        } catch (EOFException | ZipException e) {
            throw gzipError(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            int n = in.read(b, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        } catch (EOFException | ZipException e) {
            throw gzipError(e);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        position += skipped;
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private InputFormatException gzipError(IOException e) {
        return new InputFormatException(file, describe(position),
                "corrupt or truncated gzip data: " + e.getMessage(), e);
    }
}
