package io.resalign.repro;

/**
 * Least-squares fit of log sigma_1 = a + b log L (RA4 predicts b = -1).
 *
 * @param slope b
 * @param intercept a
 * @param r2 coefficient of determination of the fit in log-log space
 * @param points number of depths
 */
record DepthFit(double slope, double intercept, double r2, int points) {

    static DepthFit fit(double[] depths, double[] sigma1) {
        int n = depths.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += Math.log(depths[i]) / n;
            my += Math.log(sigma1[i]) / n;
        }
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double x = Math.log(depths[i]) - mx;
            double y = Math.log(sigma1[i]) - my;
            sxx += x * x;
            sxy += x * y;
            syy += y * y;
        }
        double b = sxx > 0 ? sxy / sxx : Double.NaN;
        double r2 = syy > 0 && sxx > 0 ? sxy * sxy / (sxx * syy) : Double.NaN;
        return new DepthFit(b, my - b * mx, r2, n);
    }
}
