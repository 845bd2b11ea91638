package io.resalign.engine.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Lists the torchvision model functions a manifest may name as its {@code variant}, with the
 * hyper-parameters each stands for (docs/models.md). One table for the loaders, which fill in
 * what a variant implies, and for the recogniser, which names the variant a file equals.
 */
public final class TorchvisionVariants {

    /**
     * A torchvision ResNet function's defaults (the widths are 64 doubling per stage).
     *
     * @param layers blocks per stage
     * @param block {@code basic} or {@code bottleneck}
     * @param groups groups of the 3x3 convolutions
     * @param widthPerGroup channels per group at 64 planes
     * @param stem {@code imagenet} (7x7, max pool) or {@code cifar} (3x3)
     */
    public record Resnet(int[] layers, String block, int groups, int widthPerGroup, String stem) {}

    /**
     * A torchvision VisionTransformer function's sizes; its image size is only the function's default.
     */
    public record Vit(int imageSize, int patchSize, int numLayers, int numHeads, int hiddenDim, int mlpDim) {}

    /** The ResNet variants, in the order docs/models.md lists them. */
    public static final Map<String, Resnet> RESNETS;
    /** The VisionTransformer variants. */
    public static final Map<String, Vit> VITS;

    static {
        Map<String, Resnet> r = new LinkedHashMap<>();
        r.put("resnet18", new Resnet(new int[] {2, 2, 2, 2}, "basic", 1, 64, "imagenet"));
        r.put("resnet34", new Resnet(new int[] {3, 4, 6, 3}, "basic", 1, 64, "imagenet"));
        r.put("resnet18-cifar", new Resnet(new int[] {2, 2, 2, 2}, "basic", 1, 64, "cifar"));
        r.put("resnet50", new Resnet(new int[] {3, 4, 6, 3}, "bottleneck", 1, 64, "imagenet"));
        r.put("resnet101", new Resnet(new int[] {3, 4, 23, 3}, "bottleneck", 1, 64, "imagenet"));
        r.put("resnet152", new Resnet(new int[] {3, 8, 36, 3}, "bottleneck", 1, 64, "imagenet"));
        r.put("resnext50_32x4d", new Resnet(new int[] {3, 4, 6, 3}, "bottleneck", 32, 4, "imagenet"));
        r.put("wide_resnet50_2", new Resnet(new int[] {3, 4, 6, 3}, "bottleneck", 1, 128, "imagenet"));
        RESNETS = Collections.unmodifiableMap(r);
        Map<String, Vit> v = new LinkedHashMap<>();
        v.put("vit_b_16", new Vit(224, 16, 12, 12, 768, 3072));
        v.put("vit_b_32", new Vit(224, 32, 12, 12, 768, 3072));
        v.put("vit_l_16", new Vit(224, 16, 24, 16, 1024, 4096));
        VITS = Collections.unmodifiableMap(v);
    }

    private TorchvisionVariants() {}
}
