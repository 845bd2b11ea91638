package io.resalign.engine.metrics;

/**
 * Computes the scalar RA metrics of docs/metrics-definitions.md from small per-sample numbers
 * (step norms, singular values, dot products), in plain Java so each formula is testable alone.
 */
public final class RaFormulas {
    private RaFormulas() {}

    /**
     * Returns Gai &amp; Zhang's line-shape score sum ||Delta_l|| / ||h_end - h_start|| (1 for a
     * straight line); NaN when the path returns to its start.
     */
    public static double lineShape(double[] stepNorms, double endToEnd) {
        double sum = 0;
        for (double s : stepNorms) {
            sum += s;
        }
        return endToEnd > 0 ? sum / endToEnd : Double.NaN;
    }

    /** Returns the coefficient of variation (population std / mean) of the step norms; NaN for a path that never moves. */
    public static double stepCv(double[] stepNorms) {
        double mean = 0;
        for (double s : stepNorms) {
            mean += s;
        }
        mean /= stepNorms.length;
        double var = 0;
        for (double s : stepNorms) {
            var += (s - mean) * (s - mean);
        }
        var /= stepNorms.length;
        return mean > 0 ? Math.sqrt(var) / mean : Double.NaN;
    }

    /** Returns #{m : sigma_m >= tau * sigma_1}; 0 for an all-zero Jacobian. */
    public static int effectiveRank(double[] sigma, double tau) {
        if (sigma.length == 0 || !(sigma[0] > 0)) {
            return 0;
        }
        int n = 0;
        for (double s : sigma) {
            if (s >= tau * sigma[0]) {
                n++;
            }
        }
        return n;
    }

    /** Returns ||J||_F^2 / sigma_1^2; NaN for an all-zero Jacobian. */
    public static double stableRank(double frobeniusSquared, double sigma1) {
        return sigma1 > 0 ? frobeniusSquared / (sigma1 * sigma1) : Double.NaN;
    }

    /**
     * Returns (1/k') sum_{m &lt;= k'} |u_m . v_m| with k' = min(k, effective rank): vectors of
     * numerically zero singular values are arbitrary and left out.
     */
    public static double selfAlignment(double[] dots, int effectiveRank) {
        int n = Math.min(dots.length, effectiveRank);
        if (n == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (int m = 0; m < n; m++) {
            sum += Math.abs(dots[m]);
        }
        return sum / n;
    }

    /**
     * Returns sum_{m &lt;= k'} |u_{i,m}^T J_j v_{i,m}| / sum_{m &lt;= k'} sigma_{j,m}, k' = min(k,
     * effective rank of block i): block i's vectors beyond its rank are arbitrary and left out of
     * both sums. NaN when k' is 0 or block j's Jacobian is zero.
     */
    public static double crossAlignment(double[] projections, double[] sigmaJ, int effectiveRankI) {
        int n = Math.min(Math.min(projections.length, sigmaJ.length), effectiveRankI);
        double num = 0;
        double den = 0;
        for (int m = 0; m < n; m++) {
            num += Math.abs(projections[m]);
            den += sigmaJ[m];
        }
        return den > 0 ? num / den : Double.NaN;
    }

    /** Returns the mean of the finite values, NaN when there are none or any is NaN. */
    public static double mean(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
