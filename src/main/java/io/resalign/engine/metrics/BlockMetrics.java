package io.resalign.engine.metrics;

/**
 * Holds one block's metrics at one sample (definitions in docs/metrics-definitions.md).
 *
 * @param name block name
 * @param stage stage name
 * @param sigma1 largest singular value
 * @param singularValues top-k singular values, descending
 * @param frobeniusSquared squared Frobenius norm of the Jacobian
 * @param frobeniusExact whether {@code frobeniusSquared} is exact (else a Hutchinson estimate)
 * @param stableRank ||J||_F^2 / sigma1^2
 * @param effectiveRank #{m : sigma_m >= tau sigma_1}
 * @param effectiveRankSaturated whether effectiveRank reached k
 * @param selfAlignment mean |u_m . v_m| over the effective rank (NaN for non-square Jacobians)
 * @param alignment mean cross-alignment of this block's bases on its same-shape partners (NaN without partners)
 */
public record BlockMetrics(
        String name,
        String stage,
        double sigma1,
        double[] singularValues,
        double frobeniusSquared,
        boolean frobeniusExact,
        double stableRank,
        int effectiveRank,
        boolean effectiveRankSaturated,
        double selfAlignment,
        double alignment) {}
