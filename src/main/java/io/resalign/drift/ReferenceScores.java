package io.resalign.drift;

import java.util.Arrays;

/**
 * Maps feature values to normal scores against the reference's empirical distribution,
 * s = Phi^{-1}((#{ref < x} + #{ref = x}/2 + 1/2) / (N + 1)), and holds the reference's own
 * scores with their mean and standard deviation per feature.
 *
 * <p>Scores make every feature, skewed, heavy-tailed or integer-valued, look roughly standard
 * normal and bounded (|s| <= Phi^{-1}(1 - 1/(2N + 2))), so a window mean of scores is close to
 * normal at a few hundred samples and one outlier cannot dominate it (van der Waerden's test).
 */
final class ReferenceScores {
    private final int featureCount;
    private final float[][] sorted;
    private final double[][] scoreTable;
    private final double[] mean;
    private final double[] sd;
    private final double[] newObservationScale;
    private final double[] rowScores;
    private final int rows;

    ReferenceScores(ReferenceProfile profile) {
        featureCount = profile.schema().size();
        rows = profile.sampleCount();
        sorted = new float[featureCount][];
        for (int f = 0; f < featureCount; f++) {
            float[] values = new float[rows];
            int n = 0;
            for (int r = 0; r < rows; r++) {
                float v = profile.value(r, f);
                if (!Float.isNaN(v)) {
                    values[n++] = v;
                }
            }
            sorted[f] = Arrays.copyOf(values, n);
            Arrays.sort(sorted[f]);
        }
        // Scores depend only on 2 #{ref < x} + #{ref = x} + 1 in [1, 2N + 1]: tabulate them once.
        scoreTable = new double[featureCount][];
        for (int f = 0; f < featureCount; f++) {
            int n = sorted[f].length;
            double[] table = new double[2 * n + 2];
            for (int k = 1; k <= 2 * n + 1; k++) {
                table[k] = NormalQuantile.of(k / (2.0 * n + 2.0));
            }
            scoreTable[f] = table;
        }
        rowScores = new double[rows * featureCount];
        mean = new double[featureCount];
        sd = new double[featureCount];
        newObservationScale = new double[featureCount];
        for (int f = 0; f < featureCount; f++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                double s = score(f, profile.value(r, f));
                rowScores[r * featureCount + f] = s;
                if (!Double.isNaN(s)) {
                    sum += s;
                }
            }
            int n = sorted[f].length;
            mean[f] = n > 0 ? sum / n : Double.NaN;
            double ss = 0;
            for (int r = 0; r < rows; r++) {
                double s = rowScores[r * featureCount + f];
                if (!Double.isNaN(s)) {
                    ss += (s - mean[f]) * (s - mean[f]);
                }
            }
            // A feature constant in the reference has sd 0; the floor is the sd one differing value
            // in N would give, so a window that leaves the constant still yields a finite, large z.
            sd[f] = n > 0 ? Math.max(Math.sqrt(ss / n), 1.0 / Math.sqrt(n)) : Double.NaN;
            double leaveOneOutSd = leaveOneOutSd(sorted[f]);
            newObservationScale[f] = ss > 0 ? leaveOneOutSd / Math.sqrt(ss / n) : 1.0;
        }
    }

    /**
     * Returns the population standard deviation of the leave-one-out scores of {@code sorted}: each
     * value scored against the other n - 1, Phi^{-1}((2 #{others < x} + #{others = x} + 1) / (2n)).
     * By exchangeability a leave-one-out score is distributed exactly as the score of a new
     * observation against a reference of n - 1, ties included, so this is the spread a window's
     * scores have; the reference's own scores (mid-ranks 1..n) spread less, as they never reach the
     * outermost gaps (docs/drift.md, "The test", step 4).
     */
    private static double leaveOneOutSd(float[] sorted) {
        int n = sorted.length;
        if (n < 2) {
            return 0;
        }
        double sum = 0;
        double sumOfSquares = 0;
        for (int i = 0; i < n; ) {
            int j = i + 1;
            while (j < n && sorted[j] == sorted[i]) {
                j++;
            }
            int equal = j - i;
            double s = NormalQuantile.of((2.0 * i + equal) / (2.0 * n));
            sum += equal * s;
            sumOfSquares += equal * s * s;
            i = j;
        }
        double m = sum / n;
        return Math.sqrt(Math.max(0, sumOfSquares / n - m * m));
    }

    /** Returns the normal score of {@code value} for feature {@code feature}, NaN for NaN. */
    double score(int feature, float value) {
        if (Float.isNaN(value)) {
            return Double.NaN;
        }
        float[] s = sorted[feature];
        int below = lowerBound(s, value);
        int notAbove = below < s.length && s[below] == value ? upperBound(s, value) : below;
        return scoreTable[feature][below + notAbove + 1];
    }

    /** Returns #{a < key}; branch-free halving, since window values land at random places. */
    private static int lowerBound(float[] a, float key) {
        int base = 0;
        int n = a.length;
        while (n > 1) {
            int half = n >>> 1;
            base = a[base + half - 1] < key ? base + half : base;
            n -= half;
        }
        return n == 1 && a[base] < key ? base + 1 : base;
    }

    /** Returns #{a <= key}. */
    private static int upperBound(float[] a, float key) {
        int base = 0;
        int n = a.length;
        while (n > 1) {
            int half = n >>> 1;
            base = a[base + half - 1] <= key ? base + half : base;
            n -= half;
        }
        return n == 1 && a[base] <= key ? base + 1 : base;
    }

    int featureCount() {
        return featureCount;
    }

    int rows() {
        return rows;
    }

    /** Returns the number of defined reference values of a feature. */
    int definedCount(int feature) {
        return sorted[feature].length;
    }

    double mean(int feature) {
        return mean[feature];
    }

    double sd(int feature) {
        return sd[feature];
    }

    /**
     * Returns sd(new observation's score) / sd(reference's own scores) of a feature (1 for a
     * feature constant in the reference): the factor by which a window mean of new scores varies
     * more than a resampled mean of the reference's scores; about 1.003 for 2,000 distinct values.
     */
    double newObservationScale(int feature) {
        return newObservationScale[feature];
    }

    /** Returns the scores of all reference samples, row-major (NaN where undefined). */
    double[] rowScores() {
        return rowScores;
    }

    /** Returns the score of reference sample {@code row} for {@code feature} (NaN when undefined). */
    double rowScore(int row, int feature) {
        return rowScores[row * featureCount + feature];
    }
}
