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

    /** Rows of the explicit Jacobian built by one transpose product in {@link #dense}. */
    int DENSE_ROWS_PER_PRODUCT = 128;

    /**
     * Returns the explicit Jacobians (B, outSize, inSize): row i of J is {@code J^T e_i}, so batched
     * transpose products with rows of the identity build them exactly. The rows go
     * {@link #DENSE_ROWS_PER_PRODUCT} at a time, each product in a scope of its own: a product's
     * intermediates grow with its rows times the block's own activations (a ViT attention branch
     * carries every token's), and 768 rows of ViT-B/16 at once held about 2 GB per sample.
     *
     * @param manager the scope that owns the result
     */
    default NDArray dense(NDManager manager) {
        long b = batchSize();
        int rows = Math.toIntExact(outSize());
        NDArray identity = manager.eye(rows).expandDims(0).repeat(0, b);
        if (rows <= DENSE_ROWS_PER_PRODUCT) {
            return applyTranspose(identity);
        }
        ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
        for (int start = 0; start < rows; start += DENSE_ROWS_PER_PRODUCT) {
            try (NDManager product = manager.newSubManager()) {
                NDArray e = identity.get(":, " + start + ":" + Math.min(rows, start + DENSE_ROWS_PER_PRODUCT) + ", :");
                e.attach(product);
                NDArray part = applyTranspose(e);
                part.attach(manager);
                parts.add(part);
            }
        }
        return ai.djl.ndarray.NDArrays.concat(parts, 1);
    }
}
