package io.resalign.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.model.NamedTensors;

/**
 * Holds a BatchNorm layer in inference mode, folded into the per-channel affine map
 * {@code y = x * scale + shift} with {@code scale = weight / sqrt(running_var + eps)} and
 * {@code shift = bias - running_mean * scale}; {@link #scale()} is also the layer's Jacobian.
 */
public final class BatchNorm {
    private final NDArray scale;
    private final NDArray shift;

    private BatchNorm(NDArray scale, NDArray shift) {
        this.scale = scale;
        this.shift = shift;
    }

    /**
     * Loads PyTorch's {@code prefix.{weight,bias,running_mean,running_var}}.
     *
     * @param broadcast the shape the per-channel vectors take to broadcast against one sample,
     *     {@code (C)} for features, {@code (C, 1, 1)} for images
     */
    public static BatchNorm load(NamedTensors tensors, String prefix, long channels, double eps, Shape broadcast) {
        NDArray gamma = tensors.take(prefix + ".weight", channels);
        NDArray beta = tensors.take(prefix + ".bias", channels);
        NDArray mean = tensors.take(prefix + ".running_mean", channels);
        NDArray var = tensors.take(prefix + ".running_var", channels);
        NDArray scale = gamma.div(var.add(eps).sqrt());
        NDArray shift = beta.sub(mean.mul(scale));
        return new BatchNorm(scale.reshape(broadcast), shift.reshape(broadcast));
    }

    /** Returns {@code x * scale + shift}. */
    public NDArray forward(NDArray x) {
        return x.mul(scale).add(shift);
    }

    /** Returns the per-channel scale (the layer's Jacobian is multiplication by it). */
    public NDArray scale() {
        return scale;
    }
}
