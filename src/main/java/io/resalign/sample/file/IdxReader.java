package io.resalign.sample.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST ({@code t10k-images-idx3-ubyte},
 * optionally gzipped).
 *
 * <p>An IDX file starts with the magic {@code 00 00 TT DD}, where {@code TT} is the element
 * type ({@code 08} unsigned byte, {@code 09} signed byte, {@code 0B} short, {@code 0C} int,
 * {@code 0D} float, {@code 0E} double) and {@code DD} the number of dimensions, followed by
 * the dimensions as big-endian 32-bit integers and then the big-endian values in row-major
 * order. The first dimension is the number of samples. Values are converted to float as they
 * are: unsigned bytes become 0..255, not 0..1.
 */
public final class IdxReader {

    private static final int CHUNK = 1 << 16;

    private IdxReader() {
    }

    /** Describes the header of an IDX file. */
    private record Header(int type, int elementSize, long[] dims, long headerBytes) {

        long count() {
            return dims[0];
        }

        long[] sampleShape() {
            return Arrays.copyOfRange(dims, 1, dims.length);
        }

        String typeName() {
            return typeName(type);
        }

        static String typeName(int type) {
            switch (type) {
                case 0x08: return "unsigned byte";
                case 0x09: return "signed byte";
                case 0x0B: return "short";
                case 0x0C: return "int";
                case 0x0D: return "float";
                case 0x0E: return "double";
                default: return "unknown";
            }
        }
    }

    /**
     * Reads the samples of an IDX file, gzipped or not.
     *
     * @param file an IDX file whose first dimension is the number of samples
     * @return the samples as floats, with sample shape the remaining dimensions
     * @throws InputFormatException if the magic, the dimensions or the length are wrong
     * @throws IOException if the file cannot be read
     */
    public static SampleBatch read(Path file) throws IOException {
        try (SourceStream in = SourceStream.open(file)) {
            return read(in);
        }
    }

    /**
     * Reads a 1-D IDX label file, such as {@code t10k-labels-idx1-ubyte}, gzipped or not.
     *
     * @param file an IDX file with one dimension (or trailing dimensions of size 1)
     * @return the labels; float and double values must be whole numbers in the int range
     * @throws InputFormatException if the file is not a valid IDX label file
     * @throws IOException if the file cannot be read
     */
    public static int[] readLabels(Path file) throws IOException {
        try (SourceStream in = SourceStream.open(file)) {
            return readLabels(in);
        }
    }

    static SampleBatch read(SourceStream in) throws IOException {
        Header h = readHeader(in);
        long length = Shapes.elementCount(h.sampleShape());
        int total = checkedTotal(in, h, length);
        float[] data = new float[total];
        byte[] buffer = new byte[CHUNK * h.elementSize()];
        int done = 0;
        while (done < total) {
            int n = Math.min(CHUNK, total - done);
            in.readFully(buffer, n * h.elementSize(), "sample data (" + total + " " + h.typeName()
                    + " values after the " + h.headerBytes() + "-byte header)");
            int bad = decode(h.type(), buffer, n, data, done);
            if (bad >= 0) {
                long index = done + bad;
                throw new InputFormatException(in.file(), "sample " + index / length + ", "
                        + in.describe(h.headerBytes() + index * h.elementSize()),
                        "double value " + ByteBuffer.wrap(buffer).getDouble(8 * bad)
                                + " is outside the float range (about 3.4e38)");
            }
            done += n;
        }
        in.requireEnd(total + " values of shape " + Shapes.format(h.dims()));
        return new SampleBatch(data, h.sampleShape(), in.file());
    }

    static int[] readLabels(SourceStream in) throws IOException {
        Header h = readHeader(in);
        if (Shapes.elementCount(h.sampleShape()) != 1) {
            throw new InputFormatException(in.file(), "header",
                    "expected a 1-D label file, found shape " + Shapes.format(h.dims()));
        }
        int total = checkedTotal(in, h, 1);
        int[] labels = new int[total];
        byte[] buffer = new byte[CHUNK * h.elementSize()];
        float[] floats = h.type() >= 0x0D ? new float[CHUNK] : null;
        ByteBuffer bb = ByteBuffer.wrap(buffer).order(ByteOrder.BIG_ENDIAN);
        int done = 0;
        while (done < total) {
            int n = Math.min(CHUNK, total - done);
            long start = in.position();
            in.readFully(buffer, n * h.elementSize(), "labels (" + total + " " + h.typeName() + " values)");
            for (int i = 0; i < n; i++) {
                int label;
                switch (h.type()) {
                    case 0x08: label = buffer[i] & 0xFF; break;
                    case 0x09: label = buffer[i]; break;
                    case 0x0B: label = bb.getShort(2 * i); break;
                    case 0x0C: label = bb.getInt(4 * i); break;
                    default:
                        double v = h.type() == 0x0D ? bb.getFloat(4 * i) : bb.getDouble(8 * i);
                        if (v != Math.rint(v) || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                            throw new InputFormatException(in.file(),
                                    "label " + (done + i) + ", " + in.describe(start + (long) i * h.elementSize()),
                                    "expected a whole number for a label, found " + v);
                        }
                        label = (int) v;
                }
                labels[done + i] = label;
            }
            done += n;
        }
        in.requireEnd(total + " labels");
        return labels;
    }

    private static Header readHeader(SourceStream in) throws IOException {
        byte[] magic = new byte[4];
        in.readFully(magic, 4, "the 4-byte IDX magic");
        int type = magic[2] & 0xFF;
        int ndims = magic[3] & 0xFF;
        int size = elementSize(type);
        if (magic[0] != 0 || magic[1] != 0 || size == 0) {
            throw new InputFormatException(in.file(), "byte 0", String.format(
                    "not an IDX file: expected magic 00 00 TT DD with TT one of 08, 09, 0B, 0C, 0D, 0E,"
                            + " found %02x %02x %02x %02x", magic[0], magic[1], magic[2], magic[3]));
        }
        if (ndims == 0) {
            throw new InputFormatException(in.file(), "byte 3",
                    "IDX file has 0 dimensions; expected at least 1 (the sample axis)");
        }
        byte[] raw = new byte[4 * ndims];
        in.readFully(raw, raw.length, "the " + ndims + " IDX dimensions");
        ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.BIG_ENDIAN);
        long[] dims = new long[ndims];
        for (int i = 0; i < ndims; i++) {
            dims[i] = Integer.toUnsignedLong(bb.getInt());
            if (dims[i] == 0 || dims[i] > Integer.MAX_VALUE) {
                throw new InputFormatException(in.file(), "byte " + (4 + 4 * i),
                        "dimension " + i + " is " + dims[i] + "; expected 1.." + Integer.MAX_VALUE
                                + (i == 0 && dims[i] == 0 ? " (the file contains no samples)" : ""));
            }
        }
        return new Header(type, size, dims, 4L + 4L * ndims);
    }

    private static int checkedTotal(SourceStream in, Header h, long sampleLength) throws InputFormatException {
        long total = sampleLength < 0 || h.count() > Shapes.MAX_ELEMENTS / Math.max(1, sampleLength)
                ? -1 : h.count() * sampleLength;
        if (total < 0 || total > Shapes.MAX_ELEMENTS) {
            throw new InputFormatException(in.file(), "header", "shape " + Shapes.format(h.dims())
                    + " holds more than " + Shapes.MAX_ELEMENTS + " values, the most one batch can hold");
        }
        return (int) total;
    }

    private static int elementSize(int type) {
        switch (type) {
            case 0x08: case 0x09: return 1;
            case 0x0B: return 2;
            case 0x0C: case 0x0D: return 4;
            case 0x0E: return 8;
            default: return 0;
        }
    }

    /** Decodes {@code n} values; returns the index of a double too large for a float, or -1. */
    private static int decode(int type, byte[] src, int n, float[] dst, int offset) {
        ByteBuffer bb = ByteBuffer.wrap(src).order(ByteOrder.BIG_ENDIAN);
        switch (type) {
            case 0x08:
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = src[i] & 0xFF;
                }
                break;
            case 0x09:
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = src[i];
                }
                break;
            case 0x0B:
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = bb.getShort(2 * i);
                }
                break;
            case 0x0C:
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = bb.getInt(4 * i);
                }
                break;
            case 0x0D:
                bb.asFloatBuffer().get(dst, offset, n);
                break;
            case 0x0E:
                return Shapes.narrowDoubles(bb, dst, offset, n);
            default:
                throw new IllegalStateException("unchecked IDX type " + type);
        }
        return -1;
    }
}
