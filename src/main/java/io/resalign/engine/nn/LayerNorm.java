package io.resalign.engine.nn;

import ai.djl.ndarray.NDArray;
import io.resalign.engine.model.NamedTensors;

/**
 * Holds a layer normalisation over the last axis (PyTorch's {@code nn.LayerNorm}) and its exact
 * tangent maps.
 *
 * <p>With {@code xhat = (x - mean) / s}, {@code s = sqrt(var + eps)} (biased variance), the
 * Jacobian is {@code diag(gamma) P / s} where {@code P t = t - mean(t) - xhat mean(xhat t)} is
 * symmetric, so the transpose is {@code P (gamma u) / s}: both need only xhat and 1/s of the point.
 */
public final class LayerNorm {
    private final NDArray gamma;
    private final NDArray beta;
    private final double eps;

    private LayerNorm(NDArray gamma, NDArray beta, double eps) {
        this.gamma = gamma;
        this.beta = beta;
        this.eps = eps;
    }

    /** Loads {@code prefix.weight} and {@code prefix.bias} (dim). */
    public static LayerNorm load(NamedTensors tensors, String prefix, long dim, double eps) {
        return new LayerNorm(tensors.take(prefix + ".weight", dim), tensors.take(prefix + ".bias", dim), eps);
    }

    /** The normalised point: xhat (..., D) and 1/s (..., 1). */
    public record Normalised(NDArray xhat, NDArray inverseScale) {}

    /** Returns xhat and 1/s of x (..., D). */
    public Normalised normalise(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDArray centred = x.sub(x.mean(new int[] {last}, true));
        NDArray inverse = centred.square().mean(new int[] {last}, true).add(eps).pow(-0.5);
        return new Normalised(centred.mul(inverse), inverse);
    }

    /** Returns {@code gamma xhat + beta} for a normalised point. */
    public NDArray affine(Normalised n) {
        return n.xhat().mul(gamma).add(beta);
    }

    /** Returns the layer's output for x (..., D). */
    public NDArray forward(NDArray x) {
        return affine(normalise(x));
    }

    /**
     * Returns J t at a point for tangents t (..., r, D), the point's xhat (..., 1, D) and 1/s
     * (..., 1, 1) broadcasting over r.
     */
    public NDArray jvp(NDArray xhat, NDArray inverseScale, NDArray t) {
        return project(xhat, t).mul(inverseScale).mul(gamma);
    }

    /** Returns J^T u at a point, laid out as in {@link #jvp}. */
    public NDArray vjp(NDArray xhat, NDArray inverseScale, NDArray u) {
        return project(xhat, u.mul(gamma)).mul(inverseScale);
    }

    private static NDArray project(NDArray xhat, NDArray t) {
        int last = t.getShape().dimension() - 1;
        // t on the left of every product: the results belong to the tangents' manager (a product's scope), not the point's
        return t.sub(t.mean(new int[] {last}, true)).sub(t.mul(xhat).mean(new int[] {last}, true).mul(xhat));
    }
}
