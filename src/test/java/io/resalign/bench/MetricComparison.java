package io.resalign.bench;

import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares the fast path's metrics with the naive baseline's, sample by sample and block by block:
 * the largest absolute difference per metric family (singular values, Frobenius norm, ranks,
 * alignments, RA1 shape metrics).
 */
final class MetricComparison {
    private MetricComparison() {}

    /**
     * Returns the largest absolute difference per metric, over the samples the baseline computed.
     * {@code effective_rank} counts mismatching blocks instead; NaN on both sides counts as equal.
     */
    static Map<String, Double> compare(List<SampleMetrics> fast, List<SampleMetrics> naive) {
        Map<String, Double> worst = new LinkedHashMap<>();
        for (String key : List.of("singular_values", "sigma1", "frobenius_sq(rel)", "stable_rank", "self_alignment", "block_alignment",
                "cross_alignment", "alignment", "line_shape", "step_cv", "depth_scaled_sigma1", "effective_rank_mismatches")) {
            worst.put(key, 0.0);
        }
        for (int b = 0; b < naive.size(); b++) {
            SampleMetrics f = fast.get(b);
            SampleMetrics n = naive.get(b);
            put(worst, "alignment", f.alignment(), n.alignment());
            put(worst, "line_shape", f.lineShape(), n.lineShape());
            put(worst, "step_cv", f.stepCv(), n.stepCv());
            put(worst, "depth_scaled_sigma1", f.depthScaledSigma1(), n.depthScaledSigma1());
            for (int i = 0; i < n.blocks().size(); i++) {
                BlockMetrics fb = f.blocks().get(i);
                BlockMetrics nb = n.blocks().get(i);
                for (int m = 0; m < nb.singularValues().length; m++) {
                    put(worst, "singular_values", fb.singularValues()[m], nb.singularValues()[m]);
                }
                put(worst, "sigma1", fb.sigma1(), nb.sigma1());
                put(worst, "frobenius_sq(rel)", fb.frobeniusSquared() / nb.frobeniusSquared(), 1.0);
                put(worst, "stable_rank", fb.stableRank(), nb.stableRank());
                put(worst, "self_alignment", fb.selfAlignment(), nb.selfAlignment());
                put(worst, "block_alignment", fb.alignment(), nb.alignment());
                if (fb.effectiveRank() != nb.effectiveRank()) {
                    worst.merge("effective_rank_mismatches", 1.0, Double::sum);
                }
                for (int j = 0; j < n.blocks().size(); j++) {
                    put(worst, "cross_alignment", f.crossAlignment()[i][j], n.crossAlignment()[i][j]);
                }
            }
        }
        return worst;
    }

    /** Returns the largest difference over every metric except the effective-rank mismatch count. */
    static double overall(Map<String, Double> diffs) {
        double max = 0;
        for (var e : diffs.entrySet()) {
            if (!e.getKey().equals("effective_rank_mismatches")) {
                max = Math.max(max, e.getValue());
            }
        }
        return max;
    }

    private static void put(Map<String, Double> worst, String key, double a, double b) {
        double d;
        if (Double.isNaN(a) && Double.isNaN(b)) {
            d = 0;
        } else if (Double.isNaN(a) || Double.isNaN(b)) {
            d = Double.POSITIVE_INFINITY;
        } else {
            d = Math.abs(a - b);
        }
        worst.merge(key, d, Math::max);
    }
}
