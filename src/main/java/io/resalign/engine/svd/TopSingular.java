package io.resalign.engine.svd;

import ai.djl.ndarray.NDArray;

/**
 * Holds the top-k singular triplets of a batch of Jacobians: J_b ~ U_b diag(s_b) V_b^T.
 *
 * @param left left singular vectors as rows, (B, k, outSize), on the device
 * @param values singular values, descending, [B][k], on the CPU
 * @param right right singular vectors as rows, (B, k, inSize), on the device
 * @param frobeniusSquared squared Frobenius norms [B], exact or estimated
 * @param frobeniusExact whether {@code frobeniusSquared} is exact
 * @param iterations power steps taken
 */
public record TopSingular(NDArray left, double[][] values, NDArray right, double[] frobeniusSquared, boolean frobeniusExact,
        int iterations) {}
