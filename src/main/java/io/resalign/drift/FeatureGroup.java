package io.resalign.drift;

/**
 * Names the two groups of features that make separate drift decisions from one window, one
 * reference and one calibration run: the Residual Alignment features (every per-sample and block
 * metric of the engine) and the output-side features (entropy and confidence of the served
 * prediction). docs/drift.md, "Output drift", says why they are not mixed into one statistic.
 */
public enum FeatureGroup {
    /** Every feature that is not output-side: the alignment decision ({@code resalign_drift_*}). */
    ALIGNMENT,
    /** {@link FeatureSchema#OUTPUT_FEATURES}: the output decision ({@code resalign_output_drift_*}). */
    OUTPUT;

    /** Returns the group of a feature by name. */
    public static FeatureGroup of(String feature) {
        return FeatureSchema.isOutputFeature(feature) ? OUTPUT : ALIGNMENT;
    }

    /** Returns the indices of this group's features in {@code schema}, in schema order (empty when it has none). */
    int[] indices(FeatureSchema schema) {
        int[] out = new int[schema.size()];
        int n = 0;
        for (int f = 0; f < schema.size(); f++) {
            if (of(schema.name(f)) == this) {
                out[n++] = f;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
