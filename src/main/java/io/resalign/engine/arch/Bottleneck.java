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
 * Holds torchvision's Bottleneck (ResNet-50/101/152, ResNeXt, Wide ResNet):
 * {@code relu(shortcut(h) + bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(h)))))))))} with conv1 1x1
 * to {@code width}, conv2 3x3 carrying the stride and the groups, conv3 1x1 to
 * {@code planes * 4}.
 *
 * <p>Its exact linearisation at a sample keeps the three convolutions without biases, each
 * BatchNorm as its per-channel scale and both ReLUs as the sample's fixed 0/1 masks:
 * {@code J = diag(g3) C3 diag(m2) diag(g2) C2 diag(m1) diag(g1) C1}; {@code J^T} runs it
 * backwards with every convolution's adjoint computed as a forward convolution (see {@link Conv}).
 */
final class Bottleneck extends ConvBlock {
    /** Output channels per {@code planes} (torchvision's {@code Bottleneck.expansion}). */
    static final int EXPANSION = 4;

    private final Conv conv1;
    private final BatchNorm bn1;
    private final Conv conv2;
    private final BatchNorm bn2;
    private final Conv conv3;
    private final BatchNorm bn3;

    private Bottleneck(String name, String stage, Shape in, Conv[] convs, BatchNorm[] bns, Downsample downsample, boolean skip) {
        super(name, stage, in, new Shape(convs[2].outChannels(), convs[1].outputSize(in.get(1)), convs[1].outputSize(in.get(2))),
                downsample, skip);
        this.conv1 = convs[0];
        this.conv2 = convs[1];
        this.conv3 = convs[2];
        this.bn1 = bns[0];
        this.bn2 = bns[1];
        this.bn3 = bns[2];
    }

    /** Returns torchvision's inner width {@code int(planes * (width_per_group / 64.)) * groups}. */
    static long width(long planes, int groups, int widthPerGroup) {
        return (long) (planes * (widthPerGroup / 64.0)) * groups;
    }

    /**
     * Loads torchvision's {@code Bottleneck(inplanes, planes, stride, groups=groups,
     * base_width=widthPerGroup)} under {@code prefix} ({@code layer2.0}).
     */
    static Bottleneck load(NamedTensors tensors, String prefix, String stage, Shape in, long planes, int stride, int groups,
            int widthPerGroup, double eps, boolean skip) {
        long inplanes = in.get(0);
        long width = width(planes, groups, widthPerGroup);
        long out = planes * EXPANSION;
        Shape mid = new Shape(width, 1, 1);
        Conv[] convs = {
            Conv.load(tensors, prefix + ".conv1.weight", width, inplanes, 1, 1, 0),
            Conv.load(tensors, prefix + ".conv2.weight", width, width, 3, stride, 1, groups),
            Conv.load(tensors, prefix + ".conv3.weight", out, width, 1, 1, 0)};
        BatchNorm[] bns = {
            BatchNorm.load(tensors, prefix + ".bn1", width, eps, mid),
            BatchNorm.load(tensors, prefix + ".bn2", width, eps, mid),
            BatchNorm.load(tensors, prefix + ".bn3", out, eps, new Shape(out, 1, 1))};
        Downsample ds = loadDownsample(tensors, prefix, inplanes, out, stride, eps, skip);
        return new Bottleneck(prefix, stage, in, convs, bns, ds, skip);
    }

    private NDArray firstPreActivation(NDArray h) {
        return bn1.forward(conv1.forward(h));
    }

    private NDArray secondPreActivation(NDArray first) {
        return bn2.forward(conv2.forward(Activation.relu(first)));
    }

    @Override
    public NDArray branch(NDArray h) {
        return bn3.forward(conv3.forward(Activation.relu(secondPreActivation(firstPreActivation(h)))));
    }

    @Override
    public JacobianOperator linearize(NDArray h) {
        NDArray first = firstPreActivation(h);
        NDArray second = secondPreActivation(first);
        return new Linearised(new NDList(MaskedLinearisation.reluMask(first), MaskedLinearisation.reluMask(second)));
    }

    /** The exact linearisation at a batch; masks m1 (B, 1, width, H, W) and m2 (B, 1, width, H', W'). */
    private final class Linearised extends MaskedLinearisation {
        Linearised(NDList masks) {
            super(masks, inShape(), outShape());
        }

        @Override
        NDArray applyToImages(NDArray v, NDList m) {
            NDArray z = masked(conv1.forward(v).mul(bn1.scale()), m.get(0));
            z = masked(conv2.forward(z).mul(bn2.scale()), m.get(1));
            return conv3.forward(z).mul(bn3.scale());
        }

        @Override
        NDArray applyTransposeToImages(NDArray u, NDList m) {
            long h = inShape().get(1);
            long w = inShape().get(2);
            NDArray z = conv3.adjoint(u.mul(bn3.scale()), outShape().get(1), outShape().get(2));
            z = masked(z, m.get(1)).mul(bn2.scale());
            z = masked(conv2.adjoint(z, h, w), m.get(0)).mul(bn1.scale());
            return conv1.adjoint(z, h, w);
        }
    }
}
