package io.resalign.drift;

import java.util.List;

/**
 * Holds the drift decision of one {@link FeatureGroup} for one window: its own combined statistic,
 * threshold calibrated at the configured false-alarm rate, p-value and 0/1 decision, and its
 * features ranked by |z|. A group the schema has no feature of has a NaN statistic, threshold and
 * p-value, decision 0 and no tested feature ({@link #NONE}).
 *
 * @param statistic the group's combined statistic (same {@link Combiner} as the other group); NaN without features
 * @param threshold (1 - falseAlarmRate) bootstrap quantile of that statistic under no drift
 * @param pValue bootstrap p-value of the statistic
 * @param decision 1 when the statistic exceeds the threshold (and a feature was tested), else 0
 * @param testedFeatures the group's features with enough defined values in window and reference
 * @param features the group's features, largest |z| first (untested last)
 */
public record GroupDecision(double statistic, double threshold, double pValue, int decision, int testedFeatures,
        List<FeatureShift> features) {

    /** The decision of a group without features. */
    public static final GroupDecision NONE = new GroupDecision(Double.NaN, Double.NaN, Double.NaN, 0, 0, List.of());

    /** Checks the decision and copies the features. */
    public GroupDecision {
        if (decision != 0 && decision != 1) {
            throw new IllegalArgumentException("decision must be 0 or 1, was " + decision);
        }
        features = List.copyOf(features);
    }

    /** Returns whether the window was flagged for this group. */
    public boolean drift() {
        return decision == 1;
    }
}
