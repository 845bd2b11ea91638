package io.resalign.drift;

/** Says how the per-feature z statistics of a window combine into one drift statistic. */
public enum Combiner {
    /** max_f |z_f|: most powerful when few features move (one block, one per-sample metric). */
    MAX_ABS,
    /** sum_f z_f^2: most powerful when many features move a little each. */
    SUM_OF_SQUARES;

    double combine(double[] z) {
        double out = 0;
        for (double v : z) {
            out = add(out, v);
        }
        return out;
    }

    /** Combines the entries {@code indices} of {@code z} only (in that order, so all indices give {@link #combine(double[])}). */
    double combine(double[] z, int[] indices) {
        double out = 0;
        for (int i : indices) {
            out = add(out, z[i]);
        }
        return out;
    }

    private double add(double out, double v) {
        if (Double.isNaN(v)) {
            return out;
        }
        return this == MAX_ABS ? Math.max(out, Math.abs(v)) : out + v * v;
    }
}
