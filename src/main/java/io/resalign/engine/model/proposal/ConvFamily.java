package io.resalign.engine.model.proposal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Recognises torchvision's ResNets ({@code resnet-conv}, docs/models.md) from their anchor
 * tensors: the stem from {@code conv1.weight}'s kernel (7 imagenet, 3 cifar), {@code layers} from
 * the {@code layer{s}.{i}} blocks that exist, Bottlenecks from {@code layer1.0.conv3.weight},
 * {@code widths} (planes) from each stage's first block, {@code groups} and
 * {@code width_per_group} from conv2's (width, width / groups, 3, 3), skips from the down-sampling
 * shortcuts, C from {@code fc.weight}; then every tensor is checked against what those imply.
 */
final class ConvFamily {
    static final String ARCHITECTURE = "resnet-conv";
    private static final String NAMES = "conv1, bn1, layer{s}.{b}.conv1/bn1/conv2/bn2[/conv3/bn3][/downsample.0/1], fc";

    private ConvFamily() {}

    /** The stem's geometry: kernel, stride, padding, and whether a 3x3/2 max-pool follows. */
    private record Stem(String name, int kernel, int stride, int padding, boolean maxPool) {
        long outputSide(long side) {
            long s = (side + 2L * padding - kernel) / stride + 1;
            return maxPool ? (s + 2 - 3) / 2 + 1 : s;
        }
    }

    /** Returns how well the file is a torchvision ResNet, with the proposal when every tensor fits. */
    static Fit fit(TensorShapes file, ProposalRequest request) {
        long[] conv1 = file.shape("conv1.weight");
        String stemExpected = "shape [width, channels, 7, 7] (imagenet stem) or [width, channels, 3, 3] (cifar stem)";
        if (conv1 == null || conv1.length != 4 || conv1[2] != conv1[3] || (conv1[2] != 7 && conv1[2] != 3)) {
            return Fit.misfit(ARCHITECTURE, NAMES, null, new Misfit("conv1.weight", conv1, stemExpected));
        }
        Stem stem = conv1[2] == 7 ? new Stem("imagenet", 7, 2, 3, true) : new Stem("cifar", 3, 1, 1, false);
        long[] input = request.inputShape();
        int stages = 0;
        while (file.shape("layer" + (stages + 1) + ".0.conv1.weight") != null) {
            stages++;
        }
        boolean bottleneck = file.shape("layer1.0.conv3.weight") != null;
        int expansion = bottleneck ? 4 : 1;
        int[] layers = new int[stages];
        long[] planes = new long[stages];
        for (int s = 0; s < stages; s++) {
            String first = "layer" + (s + 1) + ".0.";
            int stage = s + 1;
            layers[s] = file.countFromZero(i -> "layer" + stage + "." + i + ".conv1.weight");
            long out = file.dim(first + (bottleneck ? "conv3.weight" : "conv1.weight"), 0);
            planes[s] = out > 0 ? out / expansion : 64L << s;
        }
        long[] conv2 = file.shape("layer1.0.conv2.weight");
        long groups = 1;
        long widthPerGroup = 64;
        if (bottleneck && conv2 != null && conv2.length == 4 && conv2[1] > 0 && conv2[0] % conv2[1] == 0) {
            groups = conv2[0] / conv2[1];
            // the smallest width_per_group with int(planes * wpg / 64) = width / groups, torchvision's rounding
            widthPerGroup = Math.max(1, (conv2[1] * 64 + planes[0] - 1) / planes[0]);
        }
        boolean anyShortcut = file.names().stream().anyMatch(n -> n.endsWith(".downsample.0.weight"));
        boolean skip = anyShortcut || !needsShortcut(conv1[0], planes, layers, expansion);
        long classes = file.dim("fc.weight", 0);

        ExpectedTensors expected = new ExpectedTensors();
        expected.add("conv1.weight", conv1[0], conv1[1], stem.kernel(), stem.kernel());
        expected.batchNorm("bn1", conv1[0]);
        List<Proposal.Block> blocks = new ArrayList<>();
        long channels = conv1[0];
        long side = input.length == 3 ? stem.outputSide(input[1]) : -1;
        long sideW = input.length == 3 ? stem.outputSide(input[2]) : -1;
        for (int s = 0; s < stages; s++) {
            for (int i = 0; i < layers[s]; i++) {
                int stride = (s > 0 && i == 0) ? 2 : 1;
                String p = "layer" + (s + 1) + "." + i;
                long out = planes[s] * expansion;
                long inSide = channels * side * sideW;
                if (stride == 2) {
                    side = (side + 2 - 3) / 2 + 1;
                    sideW = (sideW + 2 - 3) / 2 + 1;
                }
                block(expected, p, channels, planes[s], bottleneck, groups, widthPerGroup);
                if (skip && (stride != 1 || channels != out)) {
                    expected.add(p + ".downsample.0.weight", out, channels, 1, 1).batchNorm(p + ".downsample.1", out);
                }
                blocks.add(new Proposal.Block(p, "layer" + (s + 1), inSide, out * side * sideW));
                channels = out;
            }
        }
        expected.linear("fc", classes, channels);

        if (input.length != 3 || conv1[1] != input[0]) {
            return Fit.misfit(ARCHITECTURE, NAMES, expected, new Misfit("conv1.weight", conv1, "shape [" + conv1[0] + ", "
                    + (input.length == 3 ? input[0] : "channels") + ", " + stem.kernel() + ", " + stem.kernel() + "] (--input-shape "
                    + request.inputShapeText() + (input.length == 3 ? "" : " is not channels,height,width") + ")"));
        }
        if (stages == 0) {
            return Fit.misfit(ARCHITECTURE, NAMES, expected, new Misfit("layer1.0.conv1.weight", null,
                    "a first stage of residual blocks"));
        }
        ObjectNode hp = JsonNodeFactory.instance.objectNode();
        hp.set("layers", JsonNodeFactory.instance.arrayNode().addAll(Arrays.stream(layers)
                .mapToObj(JsonNodeFactory.instance::numberNode).toList()));
        hp.set("widths", JsonNodeFactory.instance.arrayNode().addAll(Arrays.stream(planes)
                .mapToObj(JsonNodeFactory.instance::numberNode).toList()));
        hp.put("block", bottleneck ? "bottleneck" : "basic");
        if (bottleneck) {
            hp.put("groups", groups).put("width_per_group", widthPerGroup);
        }
        hp.put("stem", stem.name());
        if (!skip) {
            hp.put("skip", false);
        }
        String variant = KnownVariants.resnet(layers, planes, bottleneck, groups, widthPerGroup, stem.name(), skip);
        if (variant != null) {
            hp.put("variant", variant);
        }
        List<String> assumed = new ArrayList<>(List.of("bn_eps 1e-5 (PyTorch's default)"));
        if (!anyShortcut && skip) {
            assumed.add("skip true (no block needs a projection shortcut, so the weights do not tell)");
        }
        return Fit.compare(ARCHITECTURE, NAMES, expected, file, new Proposal(ARCHITECTURE, hp, classes, "fc.weight", blocks, assumed));
    }

    /** Adds one BasicBlock's or Bottleneck's convolutions and BatchNorms (torchvision 0.14 models/resnet.py). */
    private static void block(ExpectedTensors expected, String p, long inplanes, long planes, boolean bottleneck, long groups,
            long widthPerGroup) {
        if (!bottleneck) {
            expected.add(p + ".conv1.weight", planes, inplanes, 3, 3).batchNorm(p + ".bn1", planes);
            expected.add(p + ".conv2.weight", planes, planes, 3, 3).batchNorm(p + ".bn2", planes);
            return;
        }
        long width = (long) (planes * (widthPerGroup / 64.0)) * groups;
        expected.add(p + ".conv1.weight", width, inplanes, 1, 1).batchNorm(p + ".bn1", width);
        expected.add(p + ".conv2.weight", width, width / groups, 3, 3).batchNorm(p + ".bn2", width);
        expected.add(p + ".conv3.weight", planes * 4, width, 1, 1).batchNorm(p + ".bn3", planes * 4);
    }

    /** Returns whether some block changes stride or channels, so that torchvision gives it a projection shortcut. */
    private static boolean needsShortcut(long stemChannels, long[] planes, int[] layers, int expansion) {
        long channels = stemChannels;
        for (int s = 0; s < planes.length; s++) {
            if (layers[s] > 0 && (s > 0 || channels != planes[s] * expansion)) {
                return true;
            }
            channels = planes[s] * expansion;
        }
        return false;
    }
}
