package io.resalign.drift;

/**
 * Holds one feature's reference profile as the metrics export it: the reference mean and the band
 * in which a window's mean of that feature stays unless the feature alone would raise the drift
 * alarm (docs/drift.md, "Reference band"). NaN where not known.
 *
 * @param mean mean of the defined reference values
 * @param low lower edge of the band for the configured window size
 * @param high upper edge
 */
public record ReferenceBand(double mean, double low, double high) {
    /** A band with nothing known (the reference is still being collected). */
    public static final ReferenceBand UNKNOWN = new ReferenceBand(Double.NaN, Double.NaN, Double.NaN);
}
