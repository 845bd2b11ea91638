package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.jacobian.JacobianOperator;

/**
 * Represents one residual block {@code h' = phi(shortcut(h) + F(h))} of a network: its residual
 * branch F, the whole block, and F's exact linearisation at a batch of representations.
 */
public interface ResidualBlock {

    /** Returns the block's name, a bounded metric label ({@code 3}, {@code layer2.0}). */
    String name();

    /** Returns the stage the block belongs to ({@code blocks}, {@code layer2}). */
    String stage();

    /** Returns the shape of one sample's input representation. */
    Shape inShape();

    /** Returns the shape of one sample's output representation. */
    Shape outShape();

    /** Returns F(h) for a batch h of shape (B, *inShape). */
    NDArray branch(NDArray h);

    /** Returns the block's output for a batch h. */
    NDArray forward(NDArray h);

    /**
     * Returns the Residual Jacobians dF/dh at every sample of the batch h, exactly.
     *
     * <p>The operator may hold arrays derived from h (activation masks): it belongs to h's
     * manager scope and must not outlive it.
     */
    JacobianOperator linearize(NDArray h);

    /**
     * Returns what the branch computes, a bounded metric label: {@code attention} or {@code mlp} for
     * a Vision Transformer's two blocks per encoder layer, {@code residual} for the other families.
     */
    default String kind() {
        return "residual";
    }

    /** Returns whether the branch keeps the representation's shape (square Jacobian). */
    default boolean isSquare() {
        return inShape().equals(outShape());
    }
}
