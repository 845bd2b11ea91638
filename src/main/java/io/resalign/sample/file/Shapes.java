package io.resalign.sample.file;

import io.resalign.sample.TensorJson;

import java.util.Arrays;

/** Computes and prints tensor shapes. */
final class Shapes {

    /** The largest number of elements a Java float array can hold on common JVMs. */
    static final long MAX_ELEMENTS = TensorJson.MAX_VALUES;

    private Shapes() {
    }

    /** Returns the product of the dimensions, or -1 when it exceeds {@link Long#MAX_VALUE}. */
    static long elementCount(long[] shape) {
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        return TensorJson.elementCount(shape);
    }

    /** Formats a shape as {@code [1, 28, 28]}. */
    static String format(long[] shape) {
        return Arrays.toString(shape);
    }

    /**
     * Narrows n float64 values of a little- or big-endian buffer (its order as set) to float32.
     *
     * @return the index of the first finite value beyond float32's range, or -1 when all fit
     */
    static int narrowDoubles(java.nio.ByteBuffer bb, float[] dst, int offset, int n) {
        for (int i = 0; i < n; i++) {
            double v = bb.getDouble(8 * i);
            float f = (float) v;
            if (Float.isInfinite(f) && !Double.isInfinite(v)) {
                return i;
            }
            dst[offset + i] = f;
        }
        return -1;
    }
}
