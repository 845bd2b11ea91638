package io.resalign.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.metrics.RaFormulas;
import io.resalign.engine.svd.TopSingular;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The cross-alignment of the watched blocks of a batch (RA2 between blocks, docs/metrics-definitions.md), for {@link AlignmentEngine}. */
final class CrossAlignment {
    private CrossAlignment() {}

    /**
     * cross_alignment[sample][i][j] over watched blocks; NaN on the diagonal and for incomparable
     * pairs. Within each group of comparable blocks, the partners' right vectors are stacked as
     * tangents so that one product per target block j gives u_{i,m}^T J_j v_{i,m} for every i != j.
     */
    static double[][][] compute(JacobianOperator[] ops, TopSingular[] svd, int batch, List<ResidualBlock> blocks, int[] watched,
            double rankTau, NDManager scope) {
        int n = ops.length;
        double[][][] out = new double[batch][n][n];
        for (double[][] m : out) {
            for (double[] row : m) {
                Arrays.fill(row, Double.NaN);
            }
        }
        int kk = svd.length == 0 ? 0 : svd[0].values()[0].length;
        for (List<Integer> group : comparableGroups(blocks, watched)) {
            if (group.size() < 2) {
                continue;
            }
            int g = group.size();
            NDList projections = new NDList();
            for (int j : group) {
                // the partners' vectors only: stacking j's own would waste 1/g of the products
                NDList rights = new NDList();
                NDList lefts = new NDList();
                for (int i : group) {
                    if (i != j) {
                        rights.add(svd[i].right());
                        lefts.add(svd[i].left());
                    }
                }
                NDArray v = rights.size() == 1 ? rights.get(0) : NDArrays.concat(rights, 1);
                NDArray u = lefts.size() == 1 ? lefts.get(0) : NDArrays.concat(lefts, 1);
                // the product's intermediates in their own scope (v returns to the batch's when it closes)
                try (NDManager product = scope.newSubManager()) {
                    v.tempAttach(product);
                    NDArray projection = ops[j].apply(v).mul(u).sum(new int[] {2});
                    projection.attach(scope);
                    projections.add(projection);
                }
            }
            // (targets j, B, partners i != j in group order, k): one transfer per group
            float[] all = NDArrays.stack(projections).toFloatArray();
            for (int jj = 0; jj < g; jj++) {
                int j = group.get(jj);
                int slot = 0;
                for (int ii = 0; ii < g; ii++) {
                    int i = group.get(ii);
                    if (i == j) {
                        continue;
                    }
                    for (int b = 0; b < batch; b++) {
                        double[] proj = new double[kk];
                        for (int m = 0; m < kk; m++) {
                            proj[m] = all[((jj * batch + b) * (g - 1) + slot) * kk + m];
                        }
                        int rankI = RaFormulas.effectiveRank(svd[i].values()[b], rankTau);
                        out[b][i][j] = RaFormulas.crossAlignment(proj, svd[j].values()[b], rankI);
                    }
                    slot++;
                }
            }
        }
        return out;
    }

    /** Watched-block indices grouped into classes of mutually comparable blocks (square, one shape). */
    private static List<List<Integer>> comparableGroups(List<ResidualBlock> blocks, int[] watched) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < watched.length; i++) {
            ResidualBlock block = blocks.get(watched[i]);
            if (block.isSquare()) {
                groups.computeIfAbsent(block.inShape().toString(), key -> new ArrayList<>()).add(i);
            }
        }
        return new ArrayList<>(groups.values());
    }
}
