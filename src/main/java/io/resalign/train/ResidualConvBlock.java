package io.resalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * torchvision's post-activation BasicBlock as a trainable DJL block:
 * {@code relu(shortcut(h) + [bn2](conv2(relu([bn1](conv1(h))))))}, conv1 3x3 stride s, conv2 3x3,
 * no conv biases; shortcut = identity, or {@code downsample} = [bn](conv 1x1 stride s) when the
 * shape changes; with skips off there is no shortcut at all ({@code relu(F(h))}), as the engine's
 * {@code BasicBlock} computes it. torch names: {@code layer{s}.{b}.conv1}, {@code bn1},
 * {@code conv2}, {@code bn2}, {@code downsample.0}, {@code downsample.1}.
 */
public final class ResidualConvBlock extends AbstractBlock {
    private final Conv2d conv1;
    private final BatchNorm bn1;
    private final Conv2d conv2;
    private final BatchNorm bn2;
    private final Conv2d downsample;
    private final BatchNorm downsampleBn;
    private final boolean skip;

    ResidualConvBlock(ConvSpec spec, long inChannels, int outChannels, int stride) {
        this.skip = spec.skip();
        this.conv1 = addChildBlock("conv1", ResNetConv.conv(outChannels, 3, stride, 1));
        this.bn1 = spec.batchNorm() ? addChildBlock("bn1", ResNetConv.batchNorm(spec)) : null;
        this.conv2 = addChildBlock("conv2", ResNetConv.conv(outChannels, 3, 1, 1));
        this.bn2 = spec.batchNorm() ? addChildBlock("bn2", ResNetConv.batchNorm(spec)) : null;
        boolean project = skip && (stride != 1 || outChannels != inChannels);
        this.downsample = project ? addChildBlock("downsample.0", ResNetConv.conv(outChannels, 1, stride, 0)) : null;
        this.downsampleBn = project && spec.batchNorm() ? addChildBlock("downsample.1", ResNetConv.batchNorm(spec)) : null;
    }

    Conv2d conv1() {
        return conv1;
    }

    BatchNorm bn1() {
        return bn1;
    }

    Conv2d conv2() {
        return conv2;
    }

    BatchNorm bn2() {
        return bn2;
    }

    Conv2d downsample() {
        return downsample;
    }

    BatchNorm downsampleBn() {
        return downsampleBn;
    }

    static NDList apply(Block block, ParameterStore ps, NDList x, boolean training) {
        return block == null ? x : block.forward(ps, x, training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList z = apply(bn1, ps, conv1.forward(ps, inputs, training), training);
        z = apply(bn2, ps, conv2.forward(ps, new NDList(Activation.relu(z.singletonOrThrow())), training), training);
        NDArray f = z.singletonOrThrow();
        if (skip) {
            NDArray shortcut = downsample == null ? inputs.singletonOrThrow()
                    : apply(downsampleBn, ps, downsample.forward(ps, inputs, training), training).singletonOrThrow();
            f = shortcut.add(f);
        }
        return new NDList(Activation.relu(f));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return conv2.getOutputShapes(conv1.getOutputShapes(inputShapes));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] mid = initialize(conv1, bn1, manager, dataType, inputShapes);
        initialize(conv2, bn2, manager, dataType, mid);
        if (downsample != null) {
            initialize(downsample, downsampleBn, manager, dataType, inputShapes);
        }
    }

    /** Initialises a convolution and its BatchNorm (null without BatchNorm); returns the convolution's output shapes. */
    static Shape[] initialize(Conv2d conv, BatchNorm bn, NDManager manager, DataType dataType, Shape... inputShapes) {
        conv.initialize(manager, dataType, inputShapes);
        Shape[] out = conv.getOutputShapes(inputShapes);
        if (bn != null) {
            bn.initialize(manager, dataType, out);
        }
        return out;
    }
}
