package io.resalign.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv2dTranspose;
import io.resalign.engine.model.NamedTensors;

/**
 * Holds a bias-free square 2-D convolution (torchvision's ResNet convolutions) and its exact
 * adjoint, the transposed convolution with the same weight.
 */
public final class Conv {
    private final NDArray weight;
    private final int kernel;
    private final Shape stride;
    private final Shape padding;
    private static final Shape ONE = new Shape(1, 1);

    private Conv(NDArray weight, int kernel, int stride, int padding) {
        this.weight = weight;
        this.kernel = kernel;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    /** Loads {@code name} of shape (out, in, kernel, kernel). */
    public static Conv load(NamedTensors tensors, String name, long out, long in, int kernel, int stride, int padding) {
        return new Conv(tensors.take(name, out, in, kernel, kernel), kernel, stride, padding);
    }

    /** Returns the convolution of x (N, in, H, W). */
    public NDArray forward(NDArray x) {
        return Conv2d.conv2d(x, weight, null, stride, padding, ONE, 1).singletonOrThrow();
    }

    /**
     * Returns the adjoint applied to y (N, out, H', W'), an array of the input's spatial size.
     *
     * @param inHeight height of the convolution's input
     * @param inWidth width of the convolution's input
     */
    public NDArray adjoint(NDArray y, long inHeight, long inWidth) {
        long oh = inHeight - ((y.getShape().get(2) - 1) * stride.get(0) - 2 * padding.get(0) + kernel);
        long ow = inWidth - ((y.getShape().get(3) - 1) * stride.get(1) - 2 * padding.get(1) + kernel);
        return Conv2dTranspose.conv2dTranspose(y, weight, null, stride, padding, new Shape(oh, ow), ONE, 1).singletonOrThrow();
    }

    /** Returns the output spatial size for an input size. */
    public long outputSize(long in) {
        return (in + 2 * padding.get(0) - kernel) / stride.get(0) + 1;
    }

    /** Returns the number of output channels. */
    public long outChannels() {
        return weight.getShape().get(0);
    }
}
