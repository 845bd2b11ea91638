package io.resalign.engine.jacobian;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Optional;

/**
 * Represents the Residual Jacobians of one block at every sample of a batch, as a linear map that
 * can be applied to many tangents at once.
 *
 * <p>Layout is flat and batched: tangents are rows, {@code v} of shape (B, r, inSize) maps to
 * {@code J v} of shape (B, r, outSize), sample b's tangents through sample b's Jacobian. Results
 * belong to the manager of the argument, so callers scope them.
 */
public interface JacobianOperator {

    /** Returns the number of samples B. */
    long batchSize();

    /** Returns the flattened input dimension of one sample's Jacobian (its number of columns). */
    long inSize();

    /** Returns the flattened output dimension of one sample's Jacobian (its number of rows). */
    long outSize();

    /** Returns {@code J v} for v of shape (B, r, inSize). */
    NDArray apply(NDArray v);

    /** Returns {@code J^T u} for u of shape (B, r, outSize). */
    NDArray applyTranspose(NDArray u);

    /**
     * Returns the exact squared Frobenius norms (B), when the block type gives them cheaply.
     *
     * @param like an array whose manager should own the result
     */
    default Optional<NDArray> exactFrobeniusSquared(NDArray like) {
        return Optional.empty();
    }

    /**
     * Returns the explicit Jacobians (B, outSize, inSize): row i of J is {@code J^T e_i}, so one
     * batched transpose product with the identity builds them exactly.
     *
     * @param manager the scope that owns the result
     */
    default NDArray dense(NDManager manager) {
        long b = batchSize();
        NDArray identity = manager.eye(Math.toIntExact(outSize())).expandDims(0).repeat(0, b);
        return applyTranspose(identity);
    }
}
