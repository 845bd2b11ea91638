package io.resalign.sample;

import java.util.Arrays;
import java.util.Objects;

/**
 * Describes what a record for one model version must look like: the shape of one sample, the
 * number of classes, and the largest tensor (all batch entries together) a record may carry.
 *
 * @param name the model name
 * @param version the model version
 * @param sampleShape one sample's shape, the manifest's {@code input.shape}
 * @param numClasses C, the bound of labels and class indices and the length of logits
 * @param maxElements the most values one record may carry for this model
 */
public record ModelSpec(String name, String version, long[] sampleShape, int numClasses, long maxElements) {

    /** The batch size a record may carry when nothing else is configured. */
    public static final int DEFAULT_MAX_BATCH = 64;

    /** Checks the parts. */
    public ModelSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        sampleShape = sampleShape.clone();
        if (sampleShape.length == 0 || Arrays.stream(sampleShape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("sample shape must be non-empty and positive: " + Arrays.toString(sampleShape));
        }
        if (numClasses < 2 || maxElements < 1) {
            throw new IllegalArgumentException("need at least 2 classes and a positive element limit");
        }
    }

    /** Returns a spec that allows records of up to {@code maxBatch} samples. */
    public static ModelSpec of(String name, String version, long[] sampleShape, int numClasses, int maxBatch) {
        long size = Arrays.stream(sampleShape).reduce(1, Math::multiplyExact);
        return new ModelSpec(name, version, sampleShape, numClasses, Math.multiplyExact(size, (long) maxBatch));
    }

    /** Returns the number of values in one sample. */
    public long sampleSize() {
        return Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
    }

    @Override
    public long[] sampleShape() {
        return sampleShape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec s && name.equals(s.name) && version.equals(s.version)
                && Arrays.equals(sampleShape, s.sampleShape) && numClasses == s.numClasses && maxElements == s.maxElements;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, version, Arrays.hashCode(sampleShape), numClasses, maxElements);
    }

    @Override
    public String toString() {
        return name + ":" + version + " input " + Arrays.toString(sampleShape) + ", " + numClasses + " classes, max "
                + maxElements + " values per record";
    }
}
