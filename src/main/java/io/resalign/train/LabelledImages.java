package io.resalign.train;

import java.util.Arrays;

/**
 * Holds raw samples (as the model server sends them, e.g. bytes 0..255 as floats), row-major, with
 * one integer label per sample.
 */
public record LabelledImages(float[] data, int[] labels, long[] sampleShape) {

    public LabelledImages {
        long length = sampleLength(sampleShape);
        if (data.length != length * labels.length) {
            throw new IllegalArgumentException(data.length + " values for " + labels.length + " samples of shape "
                    + Arrays.toString(sampleShape));
        }
    }

    private static long sampleLength(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Returns the number of samples. */
    public int size() {
        return labels.length;
    }

    /** Returns the number of values in one sample. */
    public int sampleLength() {
        return (int) sampleLength(sampleShape);
    }

    /** Returns the first {@code n} samples (all of them when n is at least the size). */
    public LabelledImages head(int n) {
        if (n >= size()) {
            return this;
        }
        return new LabelledImages(Arrays.copyOf(data, n * sampleLength()), Arrays.copyOf(labels, n), sampleShape);
    }

    /** Copies the samples {@code order[from..from+count)} into {@code x} and their labels into {@code y}. */
    void gather(int[] order, int from, int count, float[] x, float[] y) {
        int len = sampleLength();
        for (int i = 0; i < count; i++) {
            int s = order[from + i];
            System.arraycopy(data, s * len, x, i * len, len);
            y[i] = labels[s];
        }
    }
}
