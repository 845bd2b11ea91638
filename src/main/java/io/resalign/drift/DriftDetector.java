package io.resalign.drift;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Tests closed windows of one model version against its reference profile.
 *
 * <p>Per feature f it ranks the window's values against the reference (normal scores, see
 * {@link ReferenceScores}) and standardises the mean score difference,
 * z_f = (mean_window s_f - mean_ref s_f) / (sd_ref s_f * sqrt(1/n_f + 1/N_f)); the features
 * combine by {@link Combiner} (max |z| by default) and the window is flagged when the statistic
 * exceeds the (1 - alpha) quantile of the same statistic over windows resampled from the reference
 * ({@link BootstrapCalibration}). Blocks are ranked by the largest |z| among their features. The
 * method, its assumptions and measured error rates are in docs/drift.md. Thread-safe; a given
 * reference, settings and window size always give the same threshold.
 *
 * <p>The features split into two {@link FeatureGroup}s that decide separately: the alignment
 * features (the report's main statistic, threshold, decision and rankings) and the output features
 * ({@link DriftReport#output()}). Each group has its own combined statistic and its own threshold
 * at the same false-alarm rate, so each decision alone keeps that rate (docs/drift.md, "Output drift").
 */
public final class DriftDetector {
    /** One daemon thread: calibrations are rare (one per reference) and must not hold the JVM open. */
    private static final Executor CALIBRATION = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "resalign-calibration");
        t.setDaemon(true);
        return t;
    });
    private final ModelVersion modelVersion;
    private final ReferenceProfile reference;
    private final DriftSettings settings;
    private final ReferenceScores scores;
    private final BootstrapCalibration calibration;
    private final double[] referenceMean;
    private final double[] referenceSd;

    /** Creates the test of {@code reference}; calibration runs lazily per window size. */
    public DriftDetector(ModelVersion modelVersion, ReferenceProfile reference, DriftSettings settings) {
        this.modelVersion = modelVersion;
        this.reference = reference;
        this.settings = settings;
        this.scores = new ReferenceScores(reference);
        this.calibration = new BootstrapCalibration(scores, reference.schema(), settings);
        WindowAggregate asWindow = reference.asWindow();
        int features = reference.schema().size();
        referenceMean = new double[features];
        referenceSd = new double[features];
        for (int f = 0; f < features; f++) {
            FeatureSummary summary = asWindow.summary(f);
            referenceMean[f] = summary.mean();
            referenceSd[f] = Math.sqrt(summary.variance());
        }
    }

    /** Returns the reference this test compares against. */
    public ReferenceProfile reference() {
        return reference;
    }

    /** Returns the settings. */
    public DriftSettings settings() {
        return settings;
    }

    /**
     * Starts the calibration of both groups for windows of {@code windowCount} samples on a
     * background thread and returns at once. The result is the same as when the caller calibrates (it depends on the
     * reference, the settings and the window size only); a caller that needs it before it is done
     * waits for it instead of computing it again.
     */
    public void calibrateAhead(int windowCount) {
        CALIBRATION.execute(() -> calibration.replicates(windowCount));
    }

    /** Returns the alignment group's calibrated threshold for windows of {@code windowCount} samples. */
    public double threshold(int windowCount) {
        return threshold(FeatureGroup.ALIGNMENT, windowCount);
    }

    /** Returns a group's calibrated threshold for windows of {@code windowCount} samples; NaN for a group without features. */
    public double threshold(FeatureGroup group, int windowCount) {
        return calibration.threshold(group, windowCount);
    }

    /**
     * Returns the reference band of one feature for windows of {@code windowCount} samples: the
     * reference mean m and m -+ T sd sqrt(1/n + 1/N), with T the calibrated threshold of the
     * feature's own {@link FeatureGroup} for that window size, sd the reference's sample standard deviation and N its defined values (docs/drift.md,
     * "Reference band"). The band is NaN while the threshold is still being calibrated (this never
     * waits for it) and for a feature with fewer than {@code minDefinedValues} defined reference values.
     */
    public ReferenceBand band(int feature, int windowCount) {
        double mean = referenceMean[feature];
        OptionalDouble threshold = calibration.thresholdIfCalibrated(FeatureGroup.of(reference.schema().name(feature)), windowCount);
        int defined = scores.definedCount(feature);
        if (threshold.isEmpty() || defined < settings.minDefinedValues()) {
            return new ReferenceBand(mean, Double.NaN, Double.NaN);
        }
        double halfWidth = threshold.getAsDouble() * referenceSd[feature] * Math.sqrt(1.0 / windowCount + 1.0 / defined);
        return new ReferenceBand(mean, mean - halfWidth, mean + halfWidth);
    }

    /** Tests one closed window and returns the full report. */
    public DriftReport test(WindowAggregate window) {
        reference.schema().requireCompatible(window.schema(), "window of " + modelVersion);
        if (window.count() < settings.minDefinedValues()) {
            throw new IllegalArgumentException("window of " + modelVersion + " has " + window.count()
                    + " samples; at least minDefinedValues = " + settings.minDefinedValues() + " are needed");
        }
        FeatureSchema schema = reference.schema();
        int features = schema.size();
        double[] z = new double[features];
        List<FeatureShift> shifts = new ArrayList<>(features);
        for (int f = 0; f < features; f++) {
            double scoreSum = 0;
            double rawSum = 0;
            int n = 0;
            for (int r = 0; r < window.count(); r++) {
                float v = window.value(r, f);
                if (!Float.isNaN(v)) {
                    scoreSum += scores.score(f, v);
                    rawSum += v;
                    n++;
                }
            }
            int referenceN = scores.definedCount(f);
            boolean testable = n >= settings.minDefinedValues() && referenceN >= settings.minDefinedValues();
            z[f] = testable
                    ? (scoreSum / n - scores.mean(f)) / (scores.sd(f) * Math.sqrt(1.0 / n + 1.0 / referenceN))
                    : Double.NaN;
            double windowMean = n > 0 ? rawSum / n : Double.NaN;
            shifts.add(new FeatureShift(schema.name(f), schema.block(f), z[f], windowMean,
                    referenceMean[f], (windowMean - referenceMean[f]) / referenceSd[f], n, window.count() - n));
        }
        GroupDecision alignment = decide(FeatureGroup.ALIGNMENT, z, shifts, window.count());
        GroupDecision output = decide(FeatureGroup.OUTPUT, z, shifts, window.count());
        return new DriftReport(modelVersion, window.firstTimestamp(), window.lastTimestamp(), window.count(),
                alignment.statistic(), alignment.threshold(), alignment.pValue(), alignment.drift(), settings.falseAlarmRate(),
                settings.combiner(), alignment.testedFeatures(), reference.source(), reference.createdAt(), reference.sampleCount(),
                alignment.features(), rankBlocks(alignment.features()), output);
    }

    /** Combines, calibrates and decides one group; its features ranked by |z|. */
    private GroupDecision decide(FeatureGroup group, double[] z, List<FeatureShift> shifts, int windowCount) {
        int[] indices = calibration.indices(group);
        if (indices.length == 0) {
            return GroupDecision.NONE;
        }
        int tested = 0;
        List<FeatureShift> features = new ArrayList<>(indices.length);
        for (int f : indices) {
            if (!Double.isNaN(z[f])) {
                tested++;
            }
            features.add(shifts.get(f));
        }
        features.sort(Comparator.comparingDouble((FeatureShift s) -> Double.isNaN(s.z()) ? -1 : Math.abs(s.z())).reversed());
        double statistic = settings.combiner().combine(z, indices);
        double threshold = calibration.threshold(group, windowCount);
        return new GroupDecision(statistic, threshold, calibration.pValue(group, windowCount, statistic),
                tested > 0 && statistic > threshold ? 1 : 0, tested, features);
    }

    private static List<BlockShift> rankBlocks(List<FeatureShift> shifts) {
        Map<String, List<FeatureShift>> byBlock = new LinkedHashMap<>();
        for (FeatureShift s : shifts) {
            if (s.block() != null) {
                byBlock.computeIfAbsent(s.block(), b -> new ArrayList<>()).add(s);
            }
        }
        List<BlockShift> blocks = new ArrayList<>();
        for (Map.Entry<String, List<FeatureShift>> e : byBlock.entrySet()) {
            double max = -1;
            double sumOfSquares = 0;
            String top = e.getValue().get(0).feature();
            for (FeatureShift s : e.getValue()) {
                if (!Double.isNaN(s.z())) {
                    sumOfSquares += s.z() * s.z();
                    if (Math.abs(s.z()) > max) {
                        max = Math.abs(s.z());
                        top = s.feature();
                    }
                }
            }
            blocks.add(new BlockShift(e.getKey(), max < 0 ? Double.NaN : max, sumOfSquares, top));
        }
        blocks.sort(Comparator.comparingDouble((BlockShift b) -> Double.isNaN(b.score()) ? -1 : b.score())
                .thenComparingDouble(BlockShift::sumOfSquares).reversed());
        return List.copyOf(blocks);
    }
}
