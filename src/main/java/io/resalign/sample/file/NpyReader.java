package io.resalign.sample.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0), as written by
 * {@code numpy.save}.
 *
 * <p>Supported dtypes are {@code <f4}, {@code <f8}, {@code |u1}, {@code <i4}, {@code <i8} and
 * the big-endian {@code >f4}, {@code >f8}, {@code >i4}, {@code >i8}; arrays must be in C
 * order. The first axis is the number of samples, the others the shape of one sample. Values
 * are converted to float as they are; {@code <i8} values beyond 2^24 lose precision like any
 * int-to-float conversion, and {@code <f8} values beyond the float range are refused.
 */
public final class NpyReader {

    /** The supported dtypes, as listed in error messages. */
    static final String SUPPORTED = "<f4, <f8, |u1, <i4, <i8 (and big-endian >f4, >f8, >i4, >i8)";

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int CHUNK = 1 << 16;
    private static final int MAX_HEADER = 1 << 20;

    private NpyReader() {
    }

    /** Describes how the values of a supported dtype are stored. */
    private enum Kind { F4, F8, U1, I4, I8 }

    /**
     * Reads the samples of an NPY file, gzipped or not.
     *
     * @param file an NPY file whose first axis is the number of samples
     * @return the samples as floats, with sample shape the remaining axes
     * @throws InputFormatException if the file is not a supported NPY array or is truncated
     * @throws IOException if the file cannot be read
     */
    public static SampleBatch read(Path file) throws IOException {
        try (SourceStream in = SourceStream.open(file)) {
            return read(in);
        }
    }

    static SampleBatch read(SourceStream in) throws IOException {
        Path file = in.file();
        byte[] preamble = new byte[8];
        in.readFully(preamble, 8, "the npy magic and version");
        if (!Arrays.equals(Arrays.copyOf(preamble, 6), MAGIC)) {
            throw new InputFormatException(file, "byte 0",
                    "not an npy file: expected magic \\x93NUMPY, found " + printable(preamble, 6));
        }
        int major = preamble[6] & 0xFF;
        int minor = preamble[7] & 0xFF;
        if (major < 1 || major > 3 || minor != 0) {
            throw new InputFormatException(file, "byte 6",
                    "unsupported npy format version " + major + "." + minor + "; supported: 1.0, 2.0, 3.0");
        }
        int lenBytes = major == 1 ? 2 : 4;
        byte[] lenRaw = new byte[lenBytes];
        in.readFully(lenRaw, lenBytes, "the npy header length");
        ByteBuffer lb = ByteBuffer.wrap(lenRaw).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? lb.getShort() & 0xFFFF : Integer.toUnsignedLong(lb.getInt());
        if (headerLength > MAX_HEADER) {
            throw new InputFormatException(file, "byte 8",
                    "npy header length " + headerLength + " is larger than " + MAX_HEADER + " bytes");
        }
        long headerStart = in.position();
        byte[] headerRaw = new byte[(int) headerLength];
        in.readFully(headerRaw, headerRaw.length, "the npy header (" + headerLength + " bytes)");
        String headerText = new String(headerRaw, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        NpyHeader header = NpyHeader.parse(headerText, file, headerStart);

        Kind kind = kind(header.descr);
        if (kind == null) {
            throw new InputFormatException(file, "byte " + headerStart,
                    "unsupported npy dtype '" + header.descr + "'; supported: " + SUPPORTED);
        }
        if (header.fortranOrder) {
            throw new InputFormatException(file, "byte " + headerStart,
                    "npy array is in Fortran order (fortran_order: True), only C order is supported;"
                            + " save it with numpy.save(path, numpy.ascontiguousarray(a))");
        }
        long[] shape = header.shape;
        if (shape.length == 0) {
            throw new InputFormatException(file, "byte " + headerStart,
                    "npy array is 0-dimensional; expected at least 1 axis (the sample axis)");
        }
        if (shape[0] == 0) {
            throw new InputFormatException(file, "byte " + headerStart,
                    "npy array has shape " + Shapes.format(shape) + ": it contains no samples");
        }
        long[] sampleShape = Arrays.copyOfRange(shape, 1, shape.length);
        long total = Shapes.elementCount(shape);
        if (total == 0) {
            throw new InputFormatException(file, "byte " + headerStart,
                    "npy array has shape " + Shapes.format(shape) + ": its samples have no values");
        }
        if (total < 0 || total > Shapes.MAX_ELEMENTS) {
            throw new InputFormatException(file, "byte " + headerStart, "npy array of shape "
                    + Shapes.format(shape) + " holds more than " + Shapes.MAX_ELEMENTS + " values");
        }
        int itemSize = Integer.parseInt(header.descr.substring(2));
        ByteOrder order = header.descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        long sampleLength = total / shape[0];
        long dataStart = in.position();
        float[] data = new float[(int) total];
        byte[] buffer = new byte[CHUNK * itemSize];
        int done = 0;
        while (done < total) {
            int n = (int) Math.min(CHUNK, total - done);
            in.readFully(buffer, n * itemSize, "array data (" + total + " '" + header.descr
                    + "' values of shape " + Shapes.format(shape) + " from byte " + dataStart + ")");
            int bad = decode(kind, ByteBuffer.wrap(buffer).order(order), n, data, done);
            if (bad >= 0) {
                long index = done + bad;
                throw new InputFormatException(file, "sample " + index / sampleLength + ", "
                        + in.describe(dataStart + index * itemSize), "float64 value "
                        + ByteBuffer.wrap(buffer).order(order).getDouble(8 * bad)
                        + " is outside the float32 range (about 3.4e38)");
            }
            done += n;
        }
        in.requireEnd(total + " values of shape " + Shapes.format(shape));
        return new SampleBatch(data, sampleShape, file);
    }

    private static Kind kind(String descr) {
        switch (descr) {
            case "<f4": case ">f4": return Kind.F4;
            case "<f8": case ">f8": return Kind.F8;
            case "|u1": return Kind.U1;
            case "<i4": case ">i4": return Kind.I4;
            case "<i8": case ">i8": return Kind.I8;
            default: return null;
        }
    }

    /** Decodes {@code n} values; returns the index of a float64 too large for a float, or -1. */
    private static int decode(Kind kind, ByteBuffer bb, int n, float[] dst, int offset) {
        switch (kind) {
            case F4:
                bb.asFloatBuffer().get(dst, offset, n);
                return -1;
            case F8:
                return Shapes.narrowDoubles(bb, dst, offset, n);
            case U1:
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = bb.get(i) & 0xFF;
                }
                return -1;
            case I4:
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = bb.getInt(4 * i);
                }
                return -1;
            case I8:
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = bb.getLong(8 * i);
                }
                return -1;
            default:
                throw new IllegalStateException("unhandled " + kind);
        }
    }

    private static String printable(byte[] bytes, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(String.format("%02x ", bytes[i]));
        }
        return sb.toString().strip();
    }
}
