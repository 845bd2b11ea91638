package io.resalign.sample.file;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Holds N samples of one shape as a single row-major float array, with optional integer labels.
 *
 * <p>The values are exactly those of the file converted to float, without any scaling or
 * normalisation: preprocessing is described by the model manifest ({@code input.scale},
 * {@code input.mean}, {@code input.std}) and applied by the engine. NaN and infinite values
 * are kept as read; the engine rejects them before analysis.
 */
public final class SampleBatch {

    private final float[] data;
    private final long[] sampleShape;
    private final int sampleLength;
    private final int size;
    private final int[] labels;
    private final Path source;

    /**
     * Creates a batch without labels.
     *
     * @param data the samples concatenated in row-major order; not copied
     * @param sampleShape the shape of one sample, without the batch axis ({@code []} for scalars)
     * @param source the file the samples came from, used in error messages; may be {@code null}
     * @throws IllegalArgumentException if the data length is not a multiple of the sample length
     */
    public SampleBatch(float[] data, long[] sampleShape, Path source) {
        this(data, sampleShape, null, source);
    }

    /**
     * Creates a batch with labels.
     *
     * @param data the samples concatenated in row-major order; not copied
     * @param sampleShape the shape of one sample, without the batch axis
     * @param labels one label per sample, or {@code null} when absent; not copied
     * @param source the file the samples came from, used in error messages; may be {@code null}
     * @throws IllegalArgumentException if the lengths do not agree
     */
    public SampleBatch(float[] data, long[] sampleShape, int[] labels, Path source) {
        this.data = Objects.requireNonNull(data, "data");
        this.sampleShape = Objects.requireNonNull(sampleShape, "sampleShape").clone();
        long length = Shapes.elementCount(this.sampleShape);
        if (length <= 0 || length > Shapes.MAX_ELEMENTS) {
            throw new IllegalArgumentException("sample shape " + Shapes.format(sampleShape)
                    + " has " + (length < 0 ? "too many" : String.valueOf(length)) + " elements");
        }
        if (data.length % length != 0) {
            throw new IllegalArgumentException(data.length + " values are not a whole number of samples of shape "
                    + Shapes.format(sampleShape) + " (" + length + " values each)");
        }
        this.sampleLength = (int) length;
        this.size = (int) (data.length / length);
        if (labels != null && labels.length != size) {
            throw new IllegalArgumentException(labels.length + " labels for " + size + " samples");
        }
        this.labels = labels;
        this.source = source;
    }

    /** Returns all samples concatenated in row-major order; the array is shared, not copied. */
    public float[] data() {
        return data;
    }

    /** Returns a copy of the shape of one sample, without the batch axis. */
    public long[] sampleShape() {
        return sampleShape.clone();
    }

    /** Returns the number of values in one sample (the product of the sample shape). */
    public int sampleLength() {
        return sampleLength;
    }

    /** Returns the number of samples. */
    public int size() {
        return size;
    }

    /**
     * Returns a copy of the values of sample {@code i}.
     *
     * @throws IndexOutOfBoundsException if {@code i} is not in {@code [0, size())}
     */
    public float[] sample(int i) {
        Objects.checkIndex(i, size);
        int from = i * sampleLength;
        return Arrays.copyOfRange(data, from, from + sampleLength);
    }

    /** Returns the labels, one per sample, or {@code null} when the batch has none; not copied. */
    public int[] labels() {
        return labels;
    }

    /** Returns whether the batch carries labels. */
    public boolean hasLabels() {
        return labels != null;
    }

    /** Returns the file the samples came from, or {@code null}. */
    public Path source() {
        return source;
    }

    /**
     * Returns this batch with the given labels attached.
     *
     * @param newLabels one label per sample, or {@code null} to drop the labels
     * @throws InputFormatException if the number of labels differs from the number of samples
     */
    public SampleBatch withLabels(int[] newLabels) throws InputFormatException {
        if (newLabels != null && newLabels.length != size) {
            throw new InputFormatException(source, null,
                    newLabels.length + " labels for " + size + " samples; expected one label per sample");
        }
        return new SampleBatch(data, sampleShape, newLabels, source);
    }

    /**
     * Returns this batch viewed with the expected sample shape, which must have the same number
     * of elements: {@code [784]} and {@code [1, 28, 28]} are interchangeable, since the data are
     * row-major.
     *
     * @param expected the shape one sample must have, for example a model's {@code input.shape}
     * @return a batch sharing this data, with sample shape {@code expected}
     * @throws InputFormatException if the element counts differ
     */
    public SampleBatch requireSampleShape(long[] expected) throws InputFormatException {
        Objects.requireNonNull(expected, "expected");
        long want = Shapes.elementCount(expected);
        if (want != sampleLength) {
            throw new InputFormatException(source, null, "samples have shape " + Shapes.format(sampleShape)
                    + " (" + sampleLength + " values), expected " + (want < 0 ? "more than 2^63" : want)
                    + " values (shape " + Shapes.format(expected) + ")");
        }
        return Arrays.equals(expected, sampleShape) ? this : new SampleBatch(data, expected, labels, source);
    }

    @Override
    public String toString() {
        return "SampleBatch[" + size + " x " + Shapes.format(sampleShape)
                + (labels != null ? ", labelled" : "") + (source != null ? ", from " + source : "") + "]";
    }
}
