package io.resalign.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * The torchvision-style ResNet {@code resnet-conv} of docs/models.md as a trainable DJL block,
 * computing in inference mode exactly what the engine's {@code ConvResNet} computes. Input:
 * preprocessed images (N, C, H, W); output: logits (N, classes).
 *
 * <pre>
 *   h_0    = [maxpool 3x3/2]( relu( [bn1]( conv1(x) ) ) )     conv1 3x3/1 (cifar) or 7x7/2 (imagenet)
 *   h      = layer{s}.{b}(h)                                  BasicBlocks, stride 2 at the first block of stages 2..
 *   logits = fc( global_avg_pool(h_L) )
 * </pre>
 */
public final class ResNetConv extends AbstractBlock {
    private final ConvSpec spec;
    private final Conv2d stemConv;
    private final BatchNorm stemBn;
    private final List<ResidualConvBlock> blocks = new ArrayList<>();
    private final List<String> blockNames = new ArrayList<>();
    private final Linear fc;

    /** Builds the (uninitialised) network of a spec. */
    public ResNetConv(ConvSpec spec) {
        this.spec = spec;
        this.stemConv = addChildBlock("conv1", spec.imagenetStem() ? conv(spec.widths()[0], 7, 2, 3) : conv(spec.widths()[0], 3, 1, 1));
        this.stemBn = spec.batchNorm() ? addChildBlock("bn1", batchNorm(spec)) : null;
        long channels = spec.widths()[0];
        int[] widths = spec.widths();
        int[] layers = spec.layers();
        for (int s = 0; s < widths.length; s++) {
            for (int b = 0; b < layers[s]; b++) {
                String name = "layer" + (s + 1) + "." + b;
                blocks.add(addChildBlock(name, new ResidualConvBlock(spec, channels, widths[s], s > 0 && b == 0 ? 2 : 1)));
                blockNames.add(name);
                channels = widths[s];
            }
        }
        this.fc = addChildBlock("fc", Linear.builder().setUnits(spec.classes()).build());
    }

    static Conv2d conv(int filters, int kernel, int stride, int padding) {
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel)).optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding)).optBias(false).build();
    }

    static BatchNorm batchNorm(ConvSpec spec) {
        // DJL momentum 0.9 = torch momentum 0.1 (the weight of the old running value); axis 1 = channels.
        return BatchNorm.builder().optAxis(1).optEpsilon(spec.bnEps()).optMomentum(0.9f).build();
    }

    /** Returns the spec. */
    public ConvSpec spec() {
        return spec;
    }

    Conv2d stemConv() {
        return stemConv;
    }

    BatchNorm stemBn() {
        return stemBn;
    }

    List<ResidualConvBlock> residualBlocks() {
        return blocks;
    }

    /** Returns torchvision's module names of the residual blocks ({@code layer2.0}), in order. */
    List<String> blockNames() {
        return blockNames;
    }

    Linear fc() {
        return fc;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList h = ResidualConvBlock.apply(stemBn, ps, stemConv.forward(ps, inputs, training), training);
        h = new NDList(Activation.relu(h.singletonOrThrow()));
        if (spec.imagenetStem()) {
            h = new NDList(Pool.maxPool2d(h.singletonOrThrow(), new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false));
        }
        for (ResidualConvBlock block : blocks) {
            h = block.forward(ps, h, training);
        }
        return fc.forward(ps, new NDList(Pool.globalAvgPool2d(h.singletonOrThrow())), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), spec.classes())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] shape = ResidualConvBlock.initialize(stemConv, stemBn, manager, dataType, inputShapes);
        if (spec.imagenetStem()) {
            Shape s = shape[0];
            shape = new Shape[] {new Shape(s.get(0), s.get(1), (s.get(2) + 2 - 3) / 2 + 1, (s.get(3) + 2 - 3) / 2 + 1)};
        }
        for (ResidualConvBlock block : blocks) {
            block.initialize(manager, dataType, shape);
            shape = block.getOutputShapes(shape);
        }
        fc.initialize(manager, dataType, new Shape(shape[0].get(0), shape[0].get(1)));
    }
}
