package io.resalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One residual block of {@code resnet-mlp} as a trainable DJL block:
 * {@code h' = phi(s h + F(h))}, {@code F(h) = [bn2](fc2(relu([bn1](fc1(h)))))}, s = 1 with skips and
 * 0 without, phi identity or ReLU. The torch names of its tensors are {@code blocks.{l}.fc1.*},
 * {@code bn1.*}, {@code fc2.*}, {@code bn2.*} (see {@link TorchExport}).
 */
public final class ResidualMlpBlock extends AbstractBlock {
    private final Linear fc1;
    private final BatchNorm bn1;
    private final Linear fc2;
    private final BatchNorm bn2;
    private final boolean skip;
    private final boolean reluAfter;

    ResidualMlpBlock(MlpSpec spec) {
        this.skip = spec.skip();
        this.reluAfter = spec.reluAfter();
        this.fc1 = addChildBlock("fc1", Linear.builder().setUnits(spec.width()).build());
        this.bn1 = spec.batchNorm() ? addChildBlock("bn1", ResNetMlp.batchNorm(spec)) : null;
        this.fc2 = addChildBlock("fc2", Linear.builder().setUnits(spec.width()).build());
        this.bn2 = spec.batchNorm() ? addChildBlock("bn2", ResNetMlp.batchNorm(spec)) : null;
    }

    Linear fc1() {
        return fc1;
    }

    BatchNorm bn1() {
        return bn1;
    }

    Linear fc2() {
        return fc2;
    }

    BatchNorm bn2() {
        return bn2;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.singletonOrThrow();
        NDList z = fc1.forward(ps, new NDList(h), training);
        if (bn1 != null) {
            z = bn1.forward(ps, z, training);
        }
        z = fc2.forward(ps, new NDList(Activation.relu(z.singletonOrThrow())), training);
        if (bn2 != null) {
            z = bn2.forward(ps, z, training);
        }
        NDArray out = skip ? h.add(z.singletonOrThrow()) : z.singletonOrThrow();
        return new NDList(reluAfter ? Activation.relu(out) : out);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape shape = inputShapes[0];
        fc1.initialize(manager, dataType, shape);
        if (bn1 != null) {
            bn1.initialize(manager, dataType, shape);
        }
        fc2.initialize(manager, dataType, shape);
        if (bn2 != null) {
            bn2.initialize(manager, dataType, shape);
        }
    }
}
