package io.resalign.drift;

import java.util.List;

/**
 * Holds the outcome of testing one closed window against its reference: the statistic, its
 * calibrated threshold and 0/1 decision, and which features and blocks moved most.
 *
 * @param modelVersion model and version tested
 * @param windowStart earliest sample timestamp of the window (epoch ms)
 * @param windowEnd latest sample timestamp of the window (epoch ms)
 * @param windowCount samples in the window
 * @param statistic combined statistic (see {@link #combiner()})
 * @param threshold (1 - falseAlarmRate) bootstrap quantile of the statistic under no drift
 * @param pValue bootstrap p-value, (1 + #{replicates >= statistic}) / (replicates + 1)
 * @param drift whether statistic exceeds threshold
 * @param falseAlarmRate configured per-window false-alarm rate (alpha)
 * @param combiner how per-feature statistics were combined
 * @param testedFeatures number of features with enough defined values to test
 * @param referenceSource how the reference was made
 * @param referenceCreatedAt reference creation time (epoch ms)
 * @param referenceSampleCount samples in the reference
 * @param features every feature, largest |z| first (untested features last)
 * @param blocks every block, largest score first
 */
public record DriftReport(
        ModelVersion modelVersion,
        long windowStart,
        long windowEnd,
        int windowCount,
        double statistic,
        double threshold,
        double pValue,
        boolean drift,
        double falseAlarmRate,
        Combiner combiner,
        int testedFeatures,
        ReferenceSource referenceSource,
        long referenceCreatedAt,
        int referenceSampleCount,
        List<FeatureShift> features,
        List<BlockShift> blocks) {

    /** Returns the decision as the 0/1 gauge value. */
    public int decision() {
        return drift ? 1 : 0;
    }

    /** Returns the block that moved most, or null for a model without block features. */
    public String topBlock() {
        return blocks.isEmpty() ? null : blocks.get(0).block();
    }

    /** Returns the feature that moved most. */
    public String topFeature() {
        return features.get(0).feature();
    }
}
