package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.nn.BatchNorm;
import io.resalign.engine.nn.Conv;

/**
 * Holds what torchvision's post-activation blocks (BasicBlock, Bottleneck) share: names, shapes
 * and {@code out = relu(shortcut(h) + F(h))} with the identity or a 1x1 projection shortcut, or
 * no shortcut at all for the skip-free counterfactual. Subclasses give the branch F and its
 * linearisation.
 */
abstract class ConvBlock implements ResidualBlock {
    private final String name;
    private final String stage;
    private final Shape in;
    private final Shape out;
    private final Downsample downsample;
    private final boolean skip;

    /**
     * The projection shortcut {@code downsample.1(downsample.0(h))}: a 1x1 convolution with the
     * block's stride, then BatchNorm.
     */
    record Downsample(Conv conv, BatchNorm bn) {
        NDArray apply(NDArray h) {
            return bn.forward(conv.forward(h));
        }
    }

    ConvBlock(String name, String stage, Shape in, Shape out, Downsample downsample, boolean skip) {
        this.name = name;
        this.stage = stage;
        this.in = in;
        this.out = out;
        this.downsample = downsample;
        this.skip = skip;
    }

    /**
     * Loads {@code prefix.downsample.*} when torchvision's block has it (with skips, stride != 1 or
     * a change of channels), else returns null (the identity shortcut, or none without skips).
     */
    static Downsample loadDownsample(NamedTensors tensors, String prefix, long in, long out, int stride, double eps, boolean skip) {
        if (!skip || (stride == 1 && in == out)) {
            return null;
        }
        Conv conv = Conv.load(tensors, prefix + ".downsample.0.weight", out, in, 1, stride, 0);
        BatchNorm bn = BatchNorm.load(tensors, prefix + ".downsample.1", out, eps, new Shape(out, 1, 1));
        return new Downsample(conv, bn);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String stage() {
        return stage;
    }

    @Override
    public final Shape inShape() {
        return in;
    }

    @Override
    public final Shape outShape() {
        return out;
    }

    @Override
    public final NDArray forward(NDArray h) {
        NDArray f = branch(h);
        if (!skip) {
            return Activation.relu(f);
        }
        NDArray shortcut = downsample == null ? h : downsample.apply(h);
        return Activation.relu(shortcut.add(f));
    }
}
