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
            if (!Double.isNaN(v)) {
                out = this == MAX_ABS ? Math.max(out, Math.abs(v)) : out + v * v;
            }
        }
        return out;
    }
}
