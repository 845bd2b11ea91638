package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.jacobian.JacobianOperator;

/**
 * Represents the exact linearisation of a convolutional branch at a batch: the branch with biases
 * dropped, BatchNorm as its per-channel scale and every ReLU as the sample's fixed 0/1 mask.
 * Subclasses run that linear map forward ({@code J v}) and backwards ({@code J^T u}) on a chunk
 * of samples; this class cuts the batch into chunks and holds the masks.
 *
 * <p>Tangents travel as images: the r tangents of b samples are a batch of b * r images, and a
 * mask of shape (B, 1, C, H, W) broadcasts over each sample's r tangents.
 */
abstract class MaskedLinearisation implements JacobianOperator {
    /** Images (samples x tangents) one convolution call takes at most in the Jacobian products. */
    static final long CHUNK_IMAGES = 40;

    private final NDList masks;
    private final Shape in;
    private final Shape out;

    /**
     * Creates the linearisation.
     *
     * @param masks the ReLU masks, each (B, 1, C, H, W), in the order the branch applies them
     */
    MaskedLinearisation(NDList masks, Shape in, Shape out) {
        this.masks = masks;
        this.in = in;
        this.out = out;
    }

    /** Returns the 0/1 mask of {@code preActivation > 0} (B, C, H, W) as (B, 1, C, H, W). */
    static NDArray reluMask(NDArray preActivation) {
        return preActivation.gt(0).toType(preActivation.getDataType(), false).expandDims(1);
    }

    /** Returns images z (b * r, C, H, W) multiplied by their sample's mask m (b, 1, C, H, W). */
    static NDArray masked(NDArray z, NDArray m) {
        Shape images = z.getShape();
        long b = m.getShape().get(0);
        return z.reshape(new Shape(b, images.get(0) / b).addAll(images.slice(1))).mul(m).reshape(images);
    }

    @Override
    public final long batchSize() {
        return masks.get(0).getShape().get(0);
    }

    @Override
    public final long inSize() {
        return in.size();
    }

    @Override
    public final long outSize() {
        return out.size();
    }

    @Override
    public final NDArray apply(NDArray v) {
        return bySampleChunks(v, (x, m) -> asTangents(applyToImages(asImages(x, in), m), x, out));
    }

    @Override
    public final NDArray applyTranspose(NDArray u) {
        return bySampleChunks(u, (x, m) -> asTangents(applyTransposeToImages(asImages(x, out), m), x, in));
    }

    /**
     * Returns {@code J v} for the tangents of one chunk of samples, as images.
     *
     * @param v the b samples' r tangents as b * r images of the input shape
     * @param m the chunk's masks, each (b, 1, C, H, W)
     * @return b * r images of the output shape
     */
    abstract NDArray applyToImages(NDArray v, NDList m);

    /**
     * Returns {@code J^T u} for the cotangents of one chunk of samples, as images.
     *
     * @param u the b samples' r cotangents as b * r images of the output shape
     * @param m the chunk's masks, each (b, 1, C, H, W)
     * @return b * r images of the input shape
     */
    abstract NDArray applyTransposeToImages(NDArray u, NDList m);

    /** (b, r, size) -> (b * r, *shape). */
    private static NDArray asImages(NDArray x, Shape shape) {
        return x.reshape(new Shape(x.getShape().get(0) * x.getShape().get(1)).addAll(shape));
    }

    /** (b * r, *shape) -> (b, r, size), b and r taken from the chunk's argument. */
    private static NDArray asTangents(NDArray images, NDArray like, Shape shape) {
        return images.reshape(like.getShape().get(0), like.getShape().get(1), shape.size());
    }

    /**
     * Runs the products a few samples at a time: convolutions over more than about
     * {@link #CHUNK_IMAGES} images at once were slower per image (W-conv: 6.4 s per sample at
     * batch 8, 2.4 s at batch 2; DJL-FACTS measured the same for chunks of 20 vs 160 tangents).
     */
    private NDArray bySampleChunks(NDArray x, java.util.function.BiFunction<NDArray, NDList, NDArray> product) {
        long b = x.getShape().get(0);
        long r = x.getShape().get(1);
        long step = Math.max(1, CHUNK_IMAGES / Math.max(1, r));
        if (step >= b) {
            return product.apply(x, masks);
        }
        NDList parts = new NDList();
        for (long s = 0; s < b; s += step) {
            String rows = s + ":" + Math.min(b, s + step);
            NDList chunk = new NDList();
            masks.forEach(mask -> chunk.add(mask.get(rows)));
            parts.add(product.apply(x.get(rows), chunk));
        }
        return NDArrays.concat(parts, 0);
    }
}
