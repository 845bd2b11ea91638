package io.resalign.train;

import java.util.Arrays;
import java.util.Locale;

/**
 * The hyper-parameters of a {@code resnet-conv} (docs/models.md): the stem ({@code cifar}: 3x3/1
 * conv, BN, ReLU; {@code imagenet}: 7x7/2 conv, BN, ReLU, 3x3/2 max-pool), channels and
 * BasicBlocks per stage, BatchNorm on or off, skips on or off and BatchNorm's epsilon, plus the
 * input shape (channels, height, width) and the number of classes.
 *
 * <p>Without BatchNorm the network is trained with no normalisation at all and exported with
 * identity BatchNorm tensors (the engine's {@code resnet-conv}, like torchvision, always has them).
 */
public record ConvSpec(String stem, int[] widths, int[] layers, boolean batchNorm, boolean skip, float bnEps, long[] inputShape,
        int classes) {

    public ConvSpec {
        stem = stem.toLowerCase(Locale.ROOT);
        if (!stem.equals("cifar") && !stem.equals("imagenet")) {
            throw new IllegalArgumentException("stem must be cifar or imagenet, not " + stem);
        }
        if (widths.length == 0 || widths.length != layers.length) {
            throw new IllegalArgumentException("widths " + Arrays.toString(widths) + " and layers " + Arrays.toString(layers)
                    + " need one entry per stage each");
        }
        for (int s = 0; s < widths.length; s++) {
            if (widths[s] <= 0 || layers[s] <= 0) {
                throw new IllegalArgumentException("stage " + (s + 1) + ": need width > 0 and at least one block, got width " + widths[s]
                        + ", blocks " + layers[s]);
            }
        }
        if (inputShape.length != 3 || classes < 2) {
            throw new IllegalArgumentException("resnet-conv needs an input shape [channels, height, width] and >= 2 classes, got "
                    + Arrays.toString(inputShape) + ", " + classes + " classes");
        }
        widths = widths.clone();
        layers = layers.clone();
        inputShape = inputShape.clone();
    }

    /** Returns whether the stem is ImageNet's (7x7 stride 2 and a max-pool) rather than the CIFAR one (3x3 stride 1). */
    public boolean imagenetStem() {
        return stem.equals("imagenet");
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConvSpec s && stem.equals(s.stem) && Arrays.equals(widths, s.widths) && Arrays.equals(layers, s.layers)
                && batchNorm == s.batchNorm && skip == s.skip && bnEps == s.bnEps && Arrays.equals(inputShape, s.inputShape)
                && classes == s.classes;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(widths) * 31 + Arrays.hashCode(layers) * 17 + stem.hashCode() + classes;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "resnet-conv(stem %s, widths %s, layers %s, batch_norm %s, skip %s, input %s, classes %d)",
                stem, Arrays.toString(widths), Arrays.toString(layers), batchNorm, skip, Arrays.toString(inputShape), classes);
    }
}
