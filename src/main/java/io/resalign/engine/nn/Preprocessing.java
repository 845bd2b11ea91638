package io.resalign.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.model.ModelManifest.InputSpec;

/** Applies a manifest's input preprocessing {@code (x * scale - mean[c]) / std[c]}, c the first sample axis. */
public final class Preprocessing {
    private final float scale;
    private final NDArray mean;
    private final NDArray std;

    /** Creates the preprocessing of an input spec, its constants on the model's manager. */
    public Preprocessing(InputSpec spec, NDManager manager) {
        this.scale = spec.scale();
        long[] broadcast = new long[spec.shape().length];
        java.util.Arrays.fill(broadcast, 1);
        broadcast[0] = spec.mean().length;
        this.mean = manager.create(spec.mean(), new Shape(broadcast));
        broadcast[0] = spec.std().length;
        this.std = manager.create(spec.std(), new Shape(broadcast));
    }

    /** Returns the preprocessed batch x of shape (N, *input.shape). */
    public NDArray apply(NDArray x) {
        return x.mul(scale).sub(mean).div(std);
    }
}
