package io.resalign.service;

import io.resalign.drift.ReferenceBand;
import java.util.Map;

/**
 * Holds the values the metrics layer exports for one model version at one moment: the latest
 * window's feature means, the reference profile per feature (mean and band), the alignment drift
 * statistic, threshold and decision, the output drift statistic, threshold and decision, and the
 * reference's state. Values not known yet (no window tested,
 * reference still collecting, threshold still calibrating) are NaN.
 *
 * @param model model name
 * @param version model version
 * @param windowMeans latest window's mean per feature, schema order (NaN: undefined or no window yet)
 * @param reference the reference's mean and band per feature, schema order ({@link ReferenceBand#UNKNOWN} while collecting)
 * @param statistic latest alignment drift statistic
 * @param threshold its threshold
 * @param decision latest alignment decision, 0 or 1 (0 before any window)
 * @param referenceAgeSeconds now minus the reference's creation time, seconds; NaN while collecting
 * @param referenceCollecting whether the reference is still being collected (nothing is tested meanwhile)
 * @param referenceSamples samples in the reference (collected so far while collecting)
 * @param samplesSeen samples the monitor has taken, reference included
 * @param windowsTested windows tested since the monitor's state was created
 * @param alarms windows flagged for alignment drift since the monitor's state was created
 * @param outputStatistic latest output drift statistic (NaN: no window yet, or no output feature tested)
 * @param outputThreshold its threshold
 * @param outputDecision latest output decision, 0 or 1 (0 before any window)
 * @param outputAlarms windows flagged for output drift since the monitor's state was created
 */
public record MonitorGauges(
        String model,
        String version,
        Map<String, Double> windowMeans,
        Map<String, ReferenceBand> reference,
        double statistic,
        double threshold,
        int decision,
        double referenceAgeSeconds,
        boolean referenceCollecting,
        int referenceSamples,
        long samplesSeen,
        long windowsTested,
        long alarms,
        double outputStatistic,
        double outputThreshold,
        int outputDecision,
        long outputAlarms) {

    /** Copies the means and bands. */
    public MonitorGauges {
        windowMeans = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(windowMeans));
        reference = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(reference));
    }
}
