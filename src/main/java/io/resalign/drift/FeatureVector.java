package io.resalign.drift;

import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import java.util.Arrays;

/**
 * Holds one sample's feature values in its schema's order; NaN marks a value the engine could
 * not define (for example {@code alignment} without same-shape partners).
 */
public record FeatureVector(FeatureSchema schema, double[] values) {

    /** Checks that there is one value per feature. */
    public FeatureVector {
        if (values.length != schema.size()) {
            throw new IllegalArgumentException("feature vector has " + values.length
                    + " values but its schema names " + schema.size() + " features");
        }
    }

    /** Returns the features of a sample under its own schema. */
    public static FeatureVector of(SampleMetrics sample) {
        return of(sample, FeatureSchema.of(sample));
    }

    /**
     * Returns the features of a sample under {@code schema}; a block the schema names that the
     * sample lacks gives NaN, and a block the sample has that the schema lacks is ignored.
     */
    public static FeatureVector of(SampleMetrics sample, FeatureSchema schema) {
        double[] values = new double[schema.size()];
        Arrays.fill(values, Double.NaN);
        put(schema, values, "line_shape", sample.lineShape());
        put(schema, values, "step_cv", sample.stepCv());
        put(schema, values, "alignment", sample.alignment());
        put(schema, values, "depth_scaled_sigma1", sample.depthScaledSigma1());
        put(schema, values, "output_entropy", sample.entropy());
        put(schema, values, "output_confidence", sample.confidence());
        for (BlockMetrics block : sample.blocks()) {
            put(schema, values, FeatureSchema.blockFeature(block.name(), "sigma1"), block.sigma1());
            put(schema, values, FeatureSchema.blockFeature(block.name(), "stable_rank"), block.stableRank());
            put(schema, values, FeatureSchema.blockFeature(block.name(), "effective_rank"), block.effectiveRank());
            put(schema, values, FeatureSchema.blockFeature(block.name(), "self_alignment"), block.selfAlignment());
            put(schema, values, FeatureSchema.blockFeature(block.name(), "alignment"), block.alignment());
        }
        return new FeatureVector(schema, values);
    }

    private static void put(FeatureSchema schema, double[] values, String feature, double value) {
        int index = schema.indexOf(feature);
        if (index >= 0) {
            // Infinities carry no rank information the test can calibrate; treat them as undefined.
            values[index] = Double.isFinite(value) ? value : Double.NaN;
        }
    }

    /** Returns the value of feature {@code index} (NaN when undefined). */
    public double value(int index) {
        return values[index];
    }

    /** Returns how many values are NaN. */
    public int nanCount() {
        int n = 0;
        for (double v : values) {
            if (Double.isNaN(v)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureVector other && schema.equals(other.schema)
                && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
        return 31 * schema.hashCode() + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "FeatureVector" + Arrays.toString(values);
    }
}
