package io.resalign.engine.nn;

import ai.djl.ndarray.NDArray;
import io.resalign.engine.model.NamedTensors;

/**
 * Holds a fully-connected layer {@code y = x W^T + b} (PyTorch's {@code nn.Linear}), with
 * {@code W^T} kept transposed so that a batch is always the first operand (the result then
 * belongs to the batch's manager, never to the model's).
 */
public final class Linear {
    private final NDArray weight;
    private final NDArray weightT;
    private final NDArray bias;

    private Linear(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.weightT = weight.transpose();
        this.bias = bias;
    }

    /** Loads {@code prefix.weight} (out, in) and {@code prefix.bias} (out). */
    public static Linear load(NamedTensors tensors, String prefix, long out, long in) {
        return new Linear(tensors.take(prefix + ".weight", out, in), tensors.take(prefix + ".bias", out));
    }

    /** Returns {@code x W^T + b} for x of shape (..., in). */
    public NDArray forward(NDArray x) {
        return x.matMul(weightT).add(bias);
    }

    /** Returns W (out, in). */
    public NDArray weight() {
        return weight;
    }
}
