package io.resalign.engine.arch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.resalign.engine.model.ModelManifest;
import java.util.List;

/**
 * Represents a loaded residual network as stem, residual blocks and head, with its weights on
 * one device and owned by the network until {@link #close()}.
 */
public interface ResidualNetwork extends AutoCloseable {

    /** Returns the manifest the network was loaded from. */
    ModelManifest manifest();

    /** Returns the device the weights live on. */
    Device device();

    /** Returns h_0 for a batch of raw inputs of shape (B, *input.shape), preprocessing included. */
    NDArray stem(NDArray input);

    /** Returns the residual blocks, in order. */
    List<ResidualBlock> blocks();

    /** Returns the logits (B, C) for the last representation h_L. */
    NDArray head(NDArray last);

    /**
     * Returns the point of RA1's trajectory that a representation h_l (B, *shape_l) stands for: h_l
     * itself by default, the class token's residual stream on a Vision Transformer.
     */
    default NDArray trajectoryPoint(NDArray state) {
        return state;
    }

    /** Releases the weights. */
    @Override
    void close();
}
