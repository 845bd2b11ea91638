package io.resalign.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.resalign.engine.model.NamedTensors;

/**
 * Holds a bias-free square 2-D convolution, possibly grouped (torchvision's ResNet and ResNeXt
 * convolutions), and its exact adjoint.
 *
 * <p>The adjoint (a transposed convolution) is computed as a forward convolution: insert
 * {@code stride - 1} zeros between the cotangent's pixels, add the output padding at the end, and
 * convolve with the kernel flipped in space and with input and output channels swapped, padding
 * {@code kernel - 1 - padding}. DJL's PyTorch engine does not implement transposed convolution,
 * and this route also stays clear of oneDNN's backward-data kernels, which returned wrong
 * gradients for small channel counts on AVX-512 CPUs (DJL-FACTS.md).
 *
 * <p>With {@code g} groups the adjoint is grouped too: group j's output channels depend only on
 * its input channels, so its adjoint maps them back with group j's kernel transposed. The weight
 * (O, I/g, k, k) is split into (g, O/g, I/g, k, k), flipped in space, its two channel axes
 * swapped and merged to (I, O/g, k, k), and convolved with {@code g} groups.
 */
public final class Conv {
    private static final Shape ONE = new Shape(1, 1);

    private final NDArray weight;
    private final NDArray adjointWeight;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int groups;

    private Conv(NDArray weight, int kernel, int stride, int padding, int groups) {
        if (padding > kernel - 1) {
            throw new IllegalArgumentException("padding " + padding + " larger than kernel - 1 = " + (kernel - 1));
        }
        this.weight = weight;
        this.adjointWeight = adjointKernel(weight, groups);
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
    }

    /** Loads {@code name} of shape (out, in, kernel, kernel). */
    public static Conv load(NamedTensors tensors, String name, long out, long in, int kernel, int stride, int padding) {
        return load(tensors, name, out, in, kernel, stride, padding, 1);
    }

    /**
     * Loads the grouped convolution {@code name} of shape (out, in / groups, kernel, kernel).
     *
     * @throws IllegalArgumentException when groups does not divide both channel counts
     */
    public static Conv load(NamedTensors tensors, String name, long out, long in, int kernel, int stride, int padding, int groups) {
        if (groups < 1 || out % groups != 0 || in % groups != 0) {
            throw new IllegalArgumentException(name + ": groups " + groups + " must divide both " + in + " input and " + out
                    + " output channels");
        }
        return new Conv(tensors.take(name, out, in / groups, kernel, kernel), kernel, stride, padding, groups);
    }

    /** (O, I/g, k, k) -> (I, O/g, k, k): per group, flipped in space with its channel axes swapped. */
    private static NDArray adjointKernel(NDArray weight, int groups) {
        Shape s = weight.getShape();
        long out = s.get(0);
        long inPerGroup = s.get(1);
        long k = s.get(2);
        return weight.reshape(groups, out / groups, inPerGroup, k, s.get(3))
                .flip(3, 4)
                .transpose(0, 2, 1, 3, 4)
                .reshape(groups * inPerGroup, out / groups, k, s.get(3));
    }

    /** Returns the convolution of x (N, in, H, W). */
    public NDArray forward(NDArray x) {
        return Conv2d.conv2d(x, weight, null, new Shape(stride, stride), new Shape(padding, padding), ONE, groups).singletonOrThrow();
    }

    /**
     * Returns the adjoint applied to y (N, out, H', W'): an array (N, in, inHeight, inWidth).
     *
     * @param inHeight height of the convolution's input
     * @param inWidth width of the convolution's input
     */
    public NDArray adjoint(NDArray y, long inHeight, long inWidth) {
        long h = y.getShape().get(2);
        long w = y.getShape().get(3);
        NDArray z = dilate(dilate(y, 3), 2);
        // rows and columns of the input that the forward pass never reached (output padding)
        long extraH = inHeight - ((h - 1) * stride - 2L * padding + kernel);
        long extraW = inWidth - ((w - 1) * stride - 2L * padding + kernel);
        z = padEnd(padEnd(z, 2, extraH), 3, extraW);
        int p = kernel - 1 - padding;
        return Conv2d.conv2d(z, adjointWeight, null, ONE, new Shape(p, p), ONE, groups).singletonOrThrow();
    }

    /** Inserts stride - 1 zeros between consecutive entries along an axis (2 or 3). */
    private NDArray dilate(NDArray y, int axis) {
        if (stride == 1) {
            return y;
        }
        long n = y.getShape().get(axis);
        Shape zerosShape = y.getShape().slice(0, axis + 1).add(stride - 1).addAll(y.getShape().slice(axis + 1));
        NDArray interleaved = NDArrays.concat(
                new ai.djl.ndarray.NDList(y.expandDims(axis + 1), y.getManager().zeros(zerosShape, y.getDataType())), axis + 1);
        Shape merged = y.getShape().slice(0, axis).add(n * stride).addAll(y.getShape().slice(axis + 1));
        String keep = ":, ".repeat(axis) + ":" + ((n - 1) * stride + 1);
        return interleaved.reshape(merged).get(keep);
    }

    private static NDArray padEnd(NDArray y, int axis, long extra) {
        if (extra <= 0) {
            return y;
        }
        Shape zerosShape = y.getShape().slice(0, axis).add(extra).addAll(y.getShape().slice(axis + 1));
        return NDArrays.concat(new ai.djl.ndarray.NDList(y, y.getManager().zeros(zerosShape, y.getDataType())), axis);
    }

    /** Returns the output spatial size for an input size. */
    public long outputSize(long in) {
        return (in + 2L * padding - kernel) / stride + 1;
    }

    /** Returns the number of output channels. */
    public long outChannels() {
        return weight.getShape().get(0);
    }
}
