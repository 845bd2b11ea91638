package io.resalign.repro;

import io.resalign.engine.metrics.RaFormulas;
import io.resalign.engine.metrics.SampleMetrics;
import java.util.Arrays;

/**
 * Holds the RA2 grid of one sample recomputed from full float64 SVDs of its explicit Jacobians:
 * the tiles |U_i^T J_j V_i| (top k x k) of every block pair, the cross-alignment they give, the
 * share of each off-diagonal tile's mass on its diagonal, and the largest difference from the
 * engine's own cross-alignment of that sample (the independent check of the engine's randomized
 * top-k route).
 *
 * @param svds the full SVD of each block's Jacobian
 * @param tiles {@code tiles[i][j][a][c]} = |u_{i,a}^T J_j v_{i,c}|
 * @param crossAlignment cross-alignment from the full SVDs, NaN on the diagonal
 * @param diagonalShare mean over pairs i != j of the tile's diagonal mass over its total
 * @param maxEngineDifference largest |full - engine| cross-alignment over pairs i != j
 */
record FullSvdGrid(Dense.Svd[] svds, double[][][][] tiles, double[][] crossAlignment, double diagonalShare,
        double maxEngineDifference) {

    /**
     * Computes the grid from the explicit d x d Jacobians (row-major) of one sample's blocks.
     *
     * @param engine the engine's metrics of the same sample, to compare with
     * @param tau the effective-rank threshold relative to sigma_1
     */
    static FullSvdGrid of(float[][] jacobians, int d, int k, SampleMetrics engine, double tau) {
        int depth = jacobians.length;
        Dense.Svd[] svds = new Dense.Svd[depth];
        for (int l = 0; l < depth; l++) {
            svds[l] = Dense.svd(jacobians[l], 0, d, d);
        }
        double[][][][] tiles = new double[depth][depth][k][k];
        double[][] fullCross = new double[depth][depth];
        double diagShareSum = 0;
        int diagSharePairs = 0;
        double maxDiff = 0;
        for (int i = 0; i < depth; i++) {
            int rankI = RaFormulas.effectiveRank(Arrays.copyOf(svds[i].s(), k), tau);
            for (int j = 0; j < depth; j++) {
                double[] proj = new double[k];
                double diag = 0;
                double total = 0;
                double[][] jv = times(jacobians[j], d, svds[i].v(), k);
                for (int a = 0; a < k; a++) {
                    for (int c = 0; c < k; c++) {
                        double v = 0;
                        for (int r = 0; r < d; r++) {
                            v += svds[i].u()[r][a] * jv[r][c];
                        }
                        tiles[i][j][a][c] = Math.abs(v);
                        total += Math.abs(v);
                        if (a == c) {
                            proj[a] = v;
                            diag += Math.abs(v);
                        }
                    }
                }
                fullCross[i][j] = i == j ? Double.NaN : RaFormulas.crossAlignment(proj, Arrays.copyOf(svds[j].s(), k), rankI);
                if (i != j) {
                    diagShareSum += total > 0 ? diag / total : 0;
                    diagSharePairs++;
                    maxDiff = Math.max(maxDiff, Math.abs(fullCross[i][j] - engine.crossAlignment()[i][j]));
                }
            }
        }
        return new FullSvdGrid(svds, tiles, fullCross, diagShareSum / Math.max(1, diagSharePairs), maxDiff);
    }

    /** J V[:, 0..k) with J row-major d x d: a d x k matrix. */
    private static double[][] times(float[] j, int d, double[][] v, int k) {
        double[][] out = new double[d][k];
        for (int r = 0; r < d; r++) {
            int off = r * d;
            for (int q = 0; q < d; q++) {
                double jrq = j[off + q];
                double[] vq = v[q];
                for (int c = 0; c < k; c++) {
                    out[r][c] += jrq * vq[c];
                }
            }
        }
        return out;
    }

}
