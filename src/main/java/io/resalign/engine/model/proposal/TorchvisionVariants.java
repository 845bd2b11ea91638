package io.resalign.engine.model.proposal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names the torchvision model functions whose hyper-parameters a recognised file has, as the
 * manifests' {@code variant} (docs/models.md's variant tables). The loaders keep their own copies
 * of these tables in {@code engine.arch}, which this package may not import without a cycle
 * (engine.arch reads manifests from engine.model); docs/models.md is the one definition both follow.
 */
final class TorchvisionVariants {

    /** A torchvision ResNet function's defaults (the widths are always 64 doubling per stage). */
    private record Resnet(int[] layers, boolean bottleneck, long groups, long widthPerGroup, String stem) {}

    /** A torchvision VisionTransformer function's sizes (image_size 224 is only its default). */
    record Vit(long patchSize, int numLayers, int numHeads, long hiddenDim, long mlpDim) {}

    private static final Map<String, Resnet> RESNETS = new LinkedHashMap<>();
    private static final Map<String, Vit> VITS = new LinkedHashMap<>();

    static {
        RESNETS.put("resnet18", new Resnet(new int[] {2, 2, 2, 2}, false, 1, 64, "imagenet"));
        RESNETS.put("resnet34", new Resnet(new int[] {3, 4, 6, 3}, false, 1, 64, "imagenet"));
        RESNETS.put("resnet18-cifar", new Resnet(new int[] {2, 2, 2, 2}, false, 1, 64, "cifar"));
        RESNETS.put("resnet50", new Resnet(new int[] {3, 4, 6, 3}, true, 1, 64, "imagenet"));
        RESNETS.put("resnet101", new Resnet(new int[] {3, 4, 23, 3}, true, 1, 64, "imagenet"));
        RESNETS.put("resnet152", new Resnet(new int[] {3, 8, 36, 3}, true, 1, 64, "imagenet"));
        RESNETS.put("resnext50_32x4d", new Resnet(new int[] {3, 4, 6, 3}, true, 32, 4, "imagenet"));
        RESNETS.put("wide_resnet50_2", new Resnet(new int[] {3, 4, 6, 3}, true, 1, 128, "imagenet"));
        VITS.put("vit_b_16", new Vit(16, 12, 12, 768, 3072));
        VITS.put("vit_b_32", new Vit(32, 12, 12, 768, 3072));
        VITS.put("vit_l_16", new Vit(16, 24, 16, 1024, 4096));
    }

    private TorchvisionVariants() {}

    /** Returns the variant a ResNet equals in every hyper-parameter, or null. */
    static String resnet(int[] layers, long[] widths, boolean bottleneck, long groups, long widthPerGroup, String stem, boolean skip) {
        boolean standardWidths = Arrays.equals(widths, new long[] {64, 128, 256, 512});
        for (Map.Entry<String, Resnet> e : RESNETS.entrySet()) {
            Resnet r = e.getValue();
            if (skip && standardWidths && Arrays.equals(r.layers(), layers) && r.bottleneck() == bottleneck && r.groups() == groups
                    && r.widthPerGroup() == widthPerGroup && r.stem().equals(stem)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Returns the ViT variant of these sizes (heads aside, which no shape shows), or null. */
    static Map.Entry<String, Vit> vit(long patchSize, int numLayers, long hiddenDim, long mlpDim) {
        for (Map.Entry<String, Vit> e : VITS.entrySet()) {
            Vit v = e.getValue();
            if (v.patchSize() == patchSize && v.numLayers() == numLayers && v.hiddenDim() == hiddenDim && v.mlpDim() == mlpDim) {
                return e;
            }
        }
        return null;
    }
}
