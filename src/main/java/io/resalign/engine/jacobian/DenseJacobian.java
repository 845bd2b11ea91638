package io.resalign.engine.jacobian;

import ai.djl.ndarray.NDArray;
import java.util.Optional;

/** Holds explicit Jacobian matrices J of shape (B, outSize, inSize). */
public final class DenseJacobian implements JacobianOperator {
    private final NDArray jacobians;
    private final NDArray transposed;

    /** Wraps explicit matrices (B, outSize, inSize); the caller keeps ownership. */
    public DenseJacobian(NDArray jacobians) {
        this.jacobians = jacobians;
        this.transposed = jacobians.transpose(0, 2, 1);
    }

    /** Returns the matrices (B, outSize, inSize). */
    public NDArray matrices() {
        return jacobians;
    }

    @Override
    public long batchSize() {
        return jacobians.getShape().get(0);
    }

    @Override
    public long outSize() {
        return jacobians.getShape().get(1);
    }

    @Override
    public long inSize() {
        return jacobians.getShape().get(2);
    }

    @Override
    public NDArray apply(NDArray v) {
        return v.matMul(transposed);
    }

    @Override
    public NDArray applyTranspose(NDArray u) {
        return u.matMul(jacobians);
    }

    @Override
    public Optional<NDArray> exactFrobeniusSquared(NDArray like) {
        return Optional.of(jacobians.square().sum(new int[] {1, 2}));
    }
}
