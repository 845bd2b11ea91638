package io.resalign.engine.model.proposal;

import io.resalign.engine.model.TorchvisionVariants;
import java.util.Arrays;
import java.util.Map;

/**
 * Names the torchvision model function whose hyper-parameters a recognised file has, as the
 * manifests' {@code variant}, from the one table the loaders also use ({@link TorchvisionVariants}).
 */
final class KnownVariants {

    private KnownVariants() {}

    /** Returns the variant a ResNet equals in every hyper-parameter, or null. */
    static String resnet(int[] layers, long[] widths, boolean bottleneck, long groups, long widthPerGroup, String stem, boolean skip) {
        boolean standardWidths = Arrays.equals(widths, new long[] {64, 128, 256, 512});
        for (Map.Entry<String, TorchvisionVariants.Resnet> e : TorchvisionVariants.RESNETS.entrySet()) {
            TorchvisionVariants.Resnet r = e.getValue();
            if (skip && standardWidths && Arrays.equals(r.layers(), layers)
                    && r.block().equals(bottleneck ? "bottleneck" : "basic") && r.groups() == groups
                    && r.widthPerGroup() == widthPerGroup && r.stem().equals(stem)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Returns the ViT variant of these sizes (heads aside, which no shape shows), or null. */
    static Map.Entry<String, TorchvisionVariants.Vit> vit(long patchSize, int numLayers, long hiddenDim, long mlpDim) {
        for (Map.Entry<String, TorchvisionVariants.Vit> e : TorchvisionVariants.VITS.entrySet()) {
            TorchvisionVariants.Vit v = e.getValue();
            if (v.patchSize() == patchSize && v.numLayers() == numLayers && v.hiddenDim() == hiddenDim && v.mlpDim() == mlpDim) {
                return e;
            }
        }
        return null;
    }
}
