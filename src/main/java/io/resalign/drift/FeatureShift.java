package io.resalign.drift;

/**
 * Describes how far one feature's window moved from its reference.
 *
 * @param feature feature name
 * @param block block of the feature, null for a per-sample feature
 * @param z standardised difference of mean normal scores, window minus reference (NaN: not tested)
 * @param windowMean mean of the window's defined values
 * @param referenceMean mean of the reference's defined values
 * @param shiftInReferenceSd (windowMean - referenceMean) / reference standard deviation, raw units
 * @param windowCount defined values in the window
 * @param windowNanCount NaN values in the window
 */
public record FeatureShift(
        String feature, String block, double z, double windowMean, double referenceMean,
        double shiftInReferenceSd, int windowCount, int windowNanCount) {}
