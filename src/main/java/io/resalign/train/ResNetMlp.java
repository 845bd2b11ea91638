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
import java.util.ArrayList;
import java.util.List;

/**
 * The fully-connected ResNet {@code resnet-mlp} of docs/models.md as a trainable DJL block. Input:
 * preprocessed samples (N, in) (or (N, *shape), flattened row-major); output: logits (N, C).
 *
 * <pre>
 *   h_0     = relu([stem_bn](stem(x)))
 *   h_{l+1} = phi(s h_l + F_l(h_l))
 *   logits  = head(h_L)
 * </pre>
 *
 * BatchNorm is DJL's ({@code momentum} 0.9 = torch's 0.1, {@code eps} from the spec); with
 * {@code training = false} it uses the running statistics, as the engine does.
 */
public final class ResNetMlp extends AbstractBlock {
    private final MlpSpec spec;
    private final Linear stem;
    private final BatchNorm stemBn;
    private final List<ResidualMlpBlock> blocks = new ArrayList<>();
    private final Linear head;

    /** Builds the (uninitialised) network of a spec. */
    public ResNetMlp(MlpSpec spec) {
        this.spec = spec;
        this.stem = addChildBlock("stem", Linear.builder().setUnits(spec.width()).build());
        this.stemBn = spec.batchNorm() ? addChildBlock("stem_bn", batchNorm(spec)) : null;
        for (int l = 0; l < spec.depth(); l++) {
            blocks.add(addChildBlock("blocks." + l, new ResidualMlpBlock(spec)));
        }
        this.head = addChildBlock("head", Linear.builder().setUnits(spec.classes()).build());
    }

    static BatchNorm batchNorm(MlpSpec spec) {
        // DJL momentum 0.9 = torch momentum 0.1 (the weight of the old running value).
        return BatchNorm.builder().optEpsilon(spec.bnEps()).optMomentum(0.9f).build();
    }

    /** Returns the spec. */
    public MlpSpec spec() {
        return spec;
    }

    Linear stem() {
        return stem;
    }

    BatchNorm stemBn() {
        return stemBn;
    }

    List<ResidualMlpBlock> residualBlocks() {
        return blocks;
    }

    Linear head() {
        return head;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        x = x.reshape(x.getShape().get(0), spec.inFeatures());
        NDList h = stem.forward(ps, new NDList(x), training);
        if (stemBn != null) {
            h = stemBn.forward(ps, h, training);
        }
        h = new NDList(Activation.relu(h.singletonOrThrow()));
        for (ResidualMlpBlock block : blocks) {
            h = block.forward(ps, h, training);
        }
        return head.forward(ps, h, training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), spec.classes())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long batch = inputShapes[0].get(0);
        Shape hidden = new Shape(batch, spec.width());
        stem.initialize(manager, dataType, new Shape(batch, spec.inFeatures()));
        if (stemBn != null) {
            stemBn.initialize(manager, dataType, hidden);
        }
        for (ResidualMlpBlock block : blocks) {
            block.initialize(manager, dataType, hidden);
        }
        head.initialize(manager, dataType, hidden);
    }
}
