package io.resalign.service;

import io.resalign.drift.DriftDetector;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ReferenceBand;
import io.resalign.drift.ReferenceState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Holds the values the metrics layer exports for one model version at one moment: the latest
 * window's feature means, the reference profile per feature (mean and band), the alignment drift
 * statistic, threshold and decision, the output drift statistic, threshold and decision, and the
 * reference's state. Values not known yet (no window tested,
 * reference still collecting, threshold still calibrating) are NaN.
 *
 * <p>Plain data in the service package, made by {@link #of} from a monitor: the metrics layer
 * ({@code io.resalign.metrics.ResalignMetrics}) and the REST view read it, so the service never
 * imports them.
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
        windowMeans = Collections.unmodifiableMap(new LinkedHashMap<>(windowMeans));
        reference = Collections.unmodifiableMap(new LinkedHashMap<>(reference));
    }

    /**
     * Returns the values of {@code monitor} to export at wall-clock time {@code nowMillis}: those of
     * its latest report, its reference's age and bands, and its counters.
     */
    static MonitorGauges of(ModelMonitor monitor, long nowMillis) {
        FeatureSchema schema = monitor.schema();
        AlignmentReport latest = monitor.latestReport().orElse(null);
        Map<String, Double> means = new LinkedHashMap<>();
        for (String feature : schema.names()) {
            means.put(feature, Double.NaN);
        }
        double statistic = Double.NaN;
        double threshold = Double.NaN;
        int decision = 0;
        double outputStatistic = Double.NaN;
        double outputThreshold = Double.NaN;
        int outputDecision = 0;
        if (latest != null && latest.outputDrift() != null) {
            AlignmentReport.OutputDrift output = latest.outputDrift();
            outputStatistic = orNaN(output.statistic());
            outputThreshold = orNaN(output.threshold());
            outputDecision = output.alarm();
        }
        if (latest != null) {
            for (AlignmentReport.FeatureStatistics s : latest.features()) {
                means.put(s.feature(), orNaN(s.mean()));
            }
            statistic = orNaN(latest.drift().statistic());
            threshold = orNaN(latest.drift().threshold());
            decision = latest.drift().alarm();
        }
        ReferenceState reference = monitor.drift().reference();
        double age = reference.profile().map(p -> p.ageSeconds(nowMillis)).orElse(Double.NaN);
        Map<String, ReferenceBand> bands = new LinkedHashMap<>();
        Optional<DriftDetector> test = monitor.drift().currentTest();
        for (int f = 0; f < schema.size(); f++) {
            bands.put(schema.name(f), test.isPresent() ? test.get().band(f, monitor.settings().windowSize()) : ReferenceBand.UNKNOWN);
        }
        MonitorCounters counters = monitor.counters();
        return new MonitorGauges(monitor.modelVersion().model(), monitor.modelVersion().version(), means, bands, statistic, threshold,
                decision, age, reference.isCollecting(), reference.collectedCount(), counters.samplesSeen(), counters.windowsTested(),
                counters.alarms(), outputStatistic, outputThreshold, outputDecision, counters.outputAlarms());
    }

    /** Returns a report's value as a gauge's: null (NaN or not known in the report's JSON) is NaN. */
    private static double orNaN(Double value) {
        return value == null ? Double.NaN : value;
    }
}
