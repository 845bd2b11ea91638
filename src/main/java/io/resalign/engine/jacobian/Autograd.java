package io.resalign.engine.jacobian;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.function.UnaryOperator;

/**
 * Computes vector-Jacobian products of a batched function with DJL's autograd.
 *
 * <p>The engine itself uses exact linearisations (no autograd, no global gradient state); this
 * class is the independent route the tests and the naive benchmark baseline compare against.
 * Only one GradientCollector may be open per process, so callers must not nest these calls.
 */
public final class Autograd {
    private Autograd() {}

    /**
     * Returns {@code J^T u} for each row of u, where J is the Jacobian of f at h.
     *
     * @param f a batched function (N, *in) to (N, *out) acting on each sample independently
     * @param h points (B, *in)
     * @param u cotangents (B, r, outSize)
     * @return (B, r, inSize)
     */
    public static NDArray vjp(UnaryOperator<NDArray> f, NDArray h, NDArray u) {
        long b = h.getShape().get(0);
        long r = u.getShape().get(1);
        long inSize = h.getShape().size() / b;
        NDArray x = h.expandDims(1).repeat(1, r).reshape(new Shape(b * r).addAll(h.getShape().slice(1)));
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            x.setRequiresGradient(true);
            NDArray y = f.apply(x).reshape(b * r, -1);
            collector.backward(y.mul(u.reshape(b * r, -1)).sum());
            return x.getGradient().reshape(b, r, inSize).duplicate();
        }
    }

    /** Returns the explicit Jacobians (B, outSize, inSize) of f at h by one batched VJP with unit cotangents. */
    public static NDArray dense(UnaryOperator<NDArray> f, NDArray h, long outSize) {
        long b = h.getShape().get(0);
        NDArray identity = h.getManager().eye(Math.toIntExact(outSize)).expandDims(0).repeat(0, b);
        return vjp(f, h, identity);
    }
}
