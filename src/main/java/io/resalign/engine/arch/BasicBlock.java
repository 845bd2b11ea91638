package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.nn.BatchNorm;
import io.resalign.engine.nn.Conv;

/**
 * Holds torchvision's post-activation BasicBlock: {@code relu(shortcut(h) + bn2(conv2(relu(bn1(conv1(h))))))}.
 *
 * <p>The branch is piecewise linear, so its Jacobian at a sample is the branch with biases
 * dropped, BatchNorm reduced to its per-channel scale and the ReLU replaced by the sample's fixed
 * 0/1 mask. {@code J v} runs that linear map forward; {@code J^T u} runs it backwards through
 * transposed convolutions. Both are exact, use no autograd (no leak, no global gradient state)
 * and cost about one forward pass per tangent.
 */
final class BasicBlock extends ConvBlock {
    /** Output channels per {@code planes} (torchvision's {@code BasicBlock.expansion}). */
    static final int EXPANSION = 1;

    private final Conv conv1;
    private final BatchNorm bn1;
    private final Conv conv2;
    private final BatchNorm bn2;

    private BasicBlock(String name, String stage, Shape in, Conv conv1, BatchNorm bn1, Conv conv2, BatchNorm bn2,
            Downsample downsample, boolean skip) {
        super(name, stage, in, new Shape(conv2.outChannels(), conv1.outputSize(in.get(1)), conv1.outputSize(in.get(2))),
                downsample, skip);
        this.conv1 = conv1;
        this.bn1 = bn1;
        this.conv2 = conv2;
        this.bn2 = bn2;
    }

    /**
     * Loads torchvision's {@code BasicBlock(inplanes, planes, stride)} under {@code prefix}
     * ({@code layer2.0}): conv1 3x3 with the stride, conv2 3x3.
     */
    static BasicBlock load(NamedTensors tensors, String prefix, String stage, Shape in, long planes, int stride, double eps,
            boolean skip) {
        long inplanes = in.get(0);
        Shape bcast = new Shape(planes, 1, 1);
        Conv c1 = Conv.load(tensors, prefix + ".conv1.weight", planes, inplanes, 3, stride, 1);
        BatchNorm b1 = BatchNorm.load(tensors, prefix + ".bn1", planes, eps, bcast);
        Conv c2 = Conv.load(tensors, prefix + ".conv2.weight", planes, planes, 3, 1, 1);
        BatchNorm b2 = BatchNorm.load(tensors, prefix + ".bn2", planes, eps, bcast);
        Downsample ds = loadDownsample(tensors, prefix, inplanes, planes * EXPANSION, stride, eps, skip);
        return new BasicBlock(prefix, stage, in, c1, b1, c2, b2, ds, skip);
    }

    private NDArray preActivation(NDArray h) {
        return bn1.forward(conv1.forward(h));
    }

    @Override
    public NDArray branch(NDArray h) {
        return bn2.forward(conv2.forward(Activation.relu(preActivation(h))));
    }

    @Override
    public JacobianOperator linearize(NDArray h) {
        return new Linearised(new NDList(MaskedLinearisation.reluMask(preActivation(h))));
    }

    /** The exact linearisation at a batch: {@code J = diag(g2) C2 diag(mask) diag(g1) C1}. */
    private final class Linearised extends MaskedLinearisation {
        private final Shape mid = new Shape(conv1.outChannels(), outShape().get(1), outShape().get(2));

        Linearised(NDList masks) {
            super(masks, inShape(), outShape());
        }

        @Override
        NDArray applyToImages(NDArray v, NDList m) {
            NDArray z = masked(conv1.forward(v).mul(bn1.scale()), m.get(0));
            return conv2.forward(z).mul(bn2.scale());
        }

        @Override
        NDArray applyTransposeToImages(NDArray u, NDList m) {
            NDArray z = conv2.adjoint(u.mul(bn2.scale()), mid.get(1), mid.get(2));
            z = masked(z, m.get(0)).mul(bn1.scale());
            return conv1.adjoint(z, inShape().get(1), inShape().get(2));
        }
    }
}
