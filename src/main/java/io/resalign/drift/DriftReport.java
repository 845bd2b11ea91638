package io.resalign.drift;

import java.util.List;

/**
 * Holds the outcome of testing one closed window against its reference: the alignment decision
 * (statistic, its calibrated threshold and 0/1 decision, and which features and blocks moved most,
 * over the alignment features only) and, apart, the output-side decision ({@link #output()}).
 *
 * @param modelVersion model and version tested
 * @param windowStart earliest sample timestamp of the window (epoch ms)
 * @param windowEnd latest sample timestamp of the window (epoch ms)
 * @param windowCount samples in the window
 * @param statistic combined statistic of the alignment features (see {@link #combiner()})
 * @param threshold (1 - falseAlarmRate) bootstrap quantile of the statistic under no drift
 * @param pValue bootstrap p-value, (1 + #{replicates >= statistic}) / (replicates + 1)
 * @param drift whether statistic exceeds threshold
 * @param falseAlarmRate configured per-window false-alarm rate (alpha)
 * @param combiner how per-feature statistics were combined
 * @param testedFeatures number of alignment features with enough defined values to test
 * @param referenceSource how the reference was made
 * @param referenceCreatedAt reference creation time (epoch ms)
 * @param referenceSampleCount samples in the reference
 * @param features every alignment feature, largest |z| first (untested features last)
 * @param blocks every block, largest score first
 * @param output the decision of the output features ({@link FeatureGroup#OUTPUT}), {@link GroupDecision#NONE}
 *     for a schema without them
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
        List<BlockShift> blocks,
        GroupDecision output) {

    /** Copies the lists and requires the output decision. */
    public DriftReport {
        features = List.copyOf(features);
        blocks = List.copyOf(blocks);
        java.util.Objects.requireNonNull(output, "output");
    }

    /** Returns the alignment decision as the 0/1 gauge value. */
    public int decision() {
        return drift ? 1 : 0;
    }

    /** Returns the block that moved most, or null for a model without block features. */
    public String topBlock() {
        return blocks.isEmpty() ? null : blocks.get(0).block();
    }

    /** Returns the alignment feature that moved most, or null for a schema without alignment features. */
    public String topFeature() {
        return features.isEmpty() ? null : features.get(0).feature();
    }
}
