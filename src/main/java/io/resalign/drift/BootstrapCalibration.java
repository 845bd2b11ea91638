package io.resalign.drift;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Calibrates the drift statistic on the reference itself: it draws windows of the tested size from
 * the reference rows (with replacement, whole rows so that features keep their correlation),
 * computes the statistic of each and keeps the sorted replicates as the no-drift distribution.
 *
 * <p>A replicate standardises by the window's own sampling variance only, sd / sqrt(n), while the
 * tested window standardises by sd sqrt(1/n + 1/N) because its reference is itself a sample: both
 * then have unit variance and the same cross-feature correlation (docs/drift.md). One difference
 * remains and is corrected: a window's values are new observations, whose scores spread more than
 * the reference's own (they fall in any of N + 1 gaps, the reference's values on N mid-ranks), so
 * each replicate z is scaled by {@link ReferenceScores#newObservationScale} to the spread of the
 * tested z; without it the realised false-alarm rate runs a few per cent over alpha. The replicates
 * of each window size are cached; each size has its own seed, so results do not depend on the
 * order in which sizes are asked for.
 *
 * <p>Each {@link FeatureGroup} has its own statistic, combined over the group's features only, and
 * so its own replicates and threshold; one pass of resampled windows serves both groups (the same
 * rows, the same draws), so the alignment group's replicates are exactly those of a schema without
 * output features. A group without features has no replicates and a NaN threshold.
 */
final class BootstrapCalibration {
    private static final int CACHED_SIZES = 8;

    private static final FeatureGroup[] GROUPS = FeatureGroup.values();

    private final ReferenceScores scores;
    private final DriftSettings settings;
    private final int[][] groupIndices;
    /** Sorted replicates by window size, then by group ordinal. */
    private final Map<Integer, double[][]> replicatesBySize =
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Integer, double[][]> eldest) {
                    return size() > CACHED_SIZES;
                }
            };

    /** Thresholds (by group ordinal) of the sizes calibrated so far, readable without waiting for a running calibration. */
    private final Map<Integer, double[]> calibrated = new ConcurrentHashMap<>();

    BootstrapCalibration(ReferenceScores scores, FeatureSchema schema, DriftSettings settings) {
        this.scores = scores;
        this.settings = settings;
        this.groupIndices = new int[GROUPS.length][];
        for (FeatureGroup g : GROUPS) {
            groupIndices[g.ordinal()] = g.indices(schema);
        }
    }

    /** Returns the indices of a group's features in schema order. */
    int[] indices(FeatureGroup group) {
        return groupIndices[group.ordinal()];
    }

    /** Returns the (1 - alpha) quantile of a group's replicates for windows of {@code windowRows} samples (NaN without features). */
    double threshold(FeatureGroup group, int windowRows) {
        return quantile(replicates(windowRows)[group.ordinal()]);
    }

    /** Returns a group's threshold for windows of {@code windowRows} samples if it is calibrated already; never waits. */
    OptionalDouble thresholdIfCalibrated(FeatureGroup group, int windowRows) {
        double[] t = calibrated.get(windowRows);
        return t == null ? OptionalDouble.empty() : OptionalDouble.of(t[group.ordinal()]);
    }

    private double quantile(double[] sorted) {
        int b = sorted.length;
        if (b == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil((1 - settings.falseAlarmRate()) * (b + 1));
        return sorted[Math.min(Math.max(rank, 1), b) - 1];
    }

    /** Returns the bootstrap p-value of a group's {@code statistic} for windows of {@code windowRows} samples (NaN without features). */
    double pValue(FeatureGroup group, int windowRows, double statistic) {
        double[] sorted = replicates(windowRows)[group.ordinal()];
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int below = lowerBound(sorted, statistic);
        return (1.0 + sorted.length - below) / (sorted.length + 1.0);
    }

    /** Returns the sorted replicates of every group (by ordinal) for windows of {@code windowRows} samples, simulating them once. */
    synchronized double[][] replicates(int windowRows) {
        double[][] sorted = replicatesBySize.computeIfAbsent(windowRows, this::simulate);
        double[] thresholds = new double[GROUPS.length];
        for (int g = 0; g < GROUPS.length; g++) {
            thresholds[g] = quantile(sorted[g]);
        }
        calibrated.putIfAbsent(windowRows, thresholds);
        return sorted;
    }

    private double[][] simulate(int windowRows) {
        int features = scores.featureCount();
        int rows = scores.rows();
        int min = settings.minDefinedValues();
        double[] rowScores = scores.rowScores();
        double[] mean = new double[features];
        double[] sd = new double[features];
        double[] scale = new double[features];
        boolean[] testable = new boolean[features];
        for (int f = 0; f < features; f++) {
            testable[f] = scores.definedCount(f) >= min;
            mean[f] = scores.mean(f);
            sd[f] = scores.sd(f);
            scale[f] = scores.newObservationScale(f);
        }
        SplittableRandom random = new SplittableRandom(settings.seed() * 0x9E3779B97F4A7C15L + windowRows);
        double[] sums = new double[features];
        int[] counts = new int[features];
        double[] z = new double[features];
        int replicates = settings.effectiveReplicates();
        double[][] out = new double[GROUPS.length][];
        for (int g = 0; g < GROUPS.length; g++) {
            out[g] = new double[groupIndices[g].length == 0 ? 0 : replicates];
        }
        for (int b = 0; b < replicates; b++) {
            Arrays.fill(sums, 0);
            Arrays.fill(counts, 0);
            for (int i = 0; i < windowRows; i++) {
                int base = random.nextInt(rows) * features;
                for (int f = 0; f < features; f++) {
                    double s = rowScores[base + f];
                    if (!Double.isNaN(s)) {
                        sums[f] += s;
                        counts[f]++;
                    }
                }
            }
            for (int f = 0; f < features; f++) {
                z[f] = testable[f] && counts[f] >= min
                        ? scale[f] * (sums[f] / counts[f] - mean[f]) / (sd[f] / Math.sqrt(counts[f]))
                        : Double.NaN;
            }
            for (int g = 0; g < GROUPS.length; g++) {
                if (out[g].length > 0) {
                    out[g][b] = settings.combiner().combine(z, groupIndices[g]);
                }
            }
        }
        for (double[] group : out) {
            Arrays.sort(group);
        }
        return out;
    }

    private static int lowerBound(double[] a, double key) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
