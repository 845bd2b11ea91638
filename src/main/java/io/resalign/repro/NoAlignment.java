package io.resalign.repro;

import io.resalign.engine.metrics.RaFormulas;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The "no alignment" reference levels, simulated: the same formulas as the engine
 * (docs/metrics-definitions.md) applied to independent random d x d matrices, with full float64
 * SVDs. Two null models: i.i.d. Gaussian matrices (full rank), and products of two Gaussian
 * factors of rank C (low-rank like trained Jacobians, but with independent random bases).
 */
final class NoAlignment {
    private NoAlignment() {}

    record Level(double crossAlignment, double crossAlignmentSd, double selfAlignment, double effectiveRank, double stableRank) {}

    static Map<String, Object> simulate(int d, int k, int rank, int trials, long seed) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("d", d);
        out.put("k", k);
        out.put("trials", trials);
        out.put("formula_cross_alignment", Math.sqrt(2 / Math.PI) / (2 * Math.sqrt(d)));
        out.put("formula_self_alignment", Math.sqrt(2 / Math.PI / d));
        out.put("gaussian", Json.record(level(d, k, 0, trials, new Random(seed))));
        out.put("gaussian_rank_C", Json.record(level(d, k, rank, trials, new Random(seed + 1))));
        out.put("rank_C", rank);
        return out;
    }

    static Level level(int d, int k, int rank, int trials, Random random) {
        double cross = 0;
        double cross2 = 0;
        double self = 0;
        double eff = 0;
        double stable = 0;
        for (int t = 0; t < trials; t++) {
            Dense.Svd a = Dense.svd(matrix(d, rank, random));
            double[][] bm = matrix(d, rank, random);
            Dense.Svd b = Dense.svd(bm);
            int rankA = RaFormulas.effectiveRank(java.util.Arrays.copyOf(a.s(), k), ModelAnalysis.TAU);
            double[] proj = new double[k];
            double[] dots = new double[k];
            for (int m = 0; m < k; m++) {
                double s = 0;
                double dot = 0;
                for (int r = 0; r < d; r++) {
                    double row = 0;
                    for (int c = 0; c < d; c++) {
                        row += bm[r][c] * a.v()[c][m];
                    }
                    s += a.u()[r][m] * row;
                    dot += a.u()[r][m] * a.v()[r][m];
                }
                proj[m] = s;
                dots[m] = dot;
            }
            double c = RaFormulas.crossAlignment(proj, java.util.Arrays.copyOf(b.s(), k), rankA);
            cross += c / trials;
            cross2 += c * c / trials;
            self += RaFormulas.selfAlignment(dots, rankA) / trials;
            eff += RaFormulas.effectiveRank(a.s(), ModelAnalysis.TAU) / (double) trials;
            double fro = 0;
            for (double s : a.s()) {
                fro += s * s;
            }
            stable += fro / (a.s()[0] * a.s()[0]) / trials;
        }
        return new Level(cross, Math.sqrt(Math.max(0, cross2 - cross * cross)), self, eff, stable);
    }

    /** A d x d Gaussian matrix, or a product of d x rank and rank x d Gaussian factors when rank > 0. */
    private static double[][] matrix(int d, int rank, Random random) {
        double[][] m = new double[d][d];
        if (rank <= 0) {
            for (double[] row : m) {
                for (int c = 0; c < d; c++) {
                    row[c] = random.nextGaussian();
                }
            }
            return m;
        }
        double[][] f = new double[d][rank];
        double[][] g = new double[rank][d];
        for (double[] row : f) {
            for (int c = 0; c < rank; c++) {
                row[c] = random.nextGaussian();
            }
        }
        for (double[] row : g) {
            for (int c = 0; c < d; c++) {
                row[c] = random.nextGaussian();
            }
        }
        for (int r = 0; r < d; r++) {
            for (int q = 0; q < rank; q++) {
                double frq = f[r][q];
                for (int c = 0; c < d; c++) {
                    m[r][c] += frq * g[q][c];
                }
            }
        }
        return m;
    }
}
