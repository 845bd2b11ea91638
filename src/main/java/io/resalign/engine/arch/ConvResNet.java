package io.resalign.engine.arch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import io.resalign.engine.model.ModelManifest;
import io.resalign.engine.model.TorchvisionVariants;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.nn.BatchNorm;
import io.resalign.engine.nn.Conv;
import io.resalign.engine.nn.Linear;
import io.resalign.engine.nn.Preprocessing;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Holds a torchvision-style ResNet of BasicBlocks or Bottlenecks ({@code resnet-conv},
 * docs/models.md: ResNet-18 to 152, ResNeXt, Wide ResNet), loading torchvision's
 * {@code state_dict} names unchanged.
 */
public final class ConvResNet implements ResidualNetwork {
    static final Set<String> HYPERPARAMETERS = Set.of("variant", "layers", "widths", "block", "groups", "width_per_group", "stem",
            "skip", "bn_eps");

    private final ModelManifest manifest;
    private final NDManager manager;
    private final Preprocessing preprocessing;
    private final Conv stemConv;
    private final BatchNorm stemBn;
    private final boolean maxPool;
    private final List<ResidualBlock> blocks;
    private final Linear fc;

    private ConvResNet(ModelManifest manifest, NDManager manager, Conv stemConv, BatchNorm stemBn, boolean maxPool,
            List<ResidualBlock> blocks, Linear fc) {
        this.manifest = manifest;
        this.manager = manager;
        this.preprocessing = new Preprocessing(manifest.input(), manager);
        this.stemConv = stemConv;
        this.stemBn = stemBn;
        this.maxPool = maxPool;
        this.blocks = List.copyOf(blocks);
        this.fc = fc;
    }

    static ConvResNet build(ModelManifest manifest, NamedTensors tensors, NDManager manager) throws IOException {
        ModelManifest.Hyperparameters hp = manifest.hyperparameters();
        hp.requireOnly(HYPERPARAMETERS, "resnet-conv");
        // a variant gives defaults; hyper-parameters the manifest names explicitly override them
        TorchvisionVariants.Resnet variant = hp.has("variant") ? TorchvisionVariants.RESNETS.get(hp.getChoice("variant", null, TorchvisionVariants.RESNETS.keySet())) : null;
        int[] layers = hp.getInts("layers", variant == null ? null : variant.layers());
        if (layers == null) {
            throw new IOException(manifest.name() + ": resnet-conv needs 'layers' (e.g. [2,2,2,2]) or 'variant' " + TorchvisionVariants.RESNETS.keySet());
        }
        int[] widths = hp.getInts("widths", defaultWidths(layers.length));
        if (widths.length != layers.length) {
            throw new IOException(manifest.name() + ": 'widths' has " + widths.length + " entries but 'layers' has " + layers.length);
        }
        boolean bottleneck = hp.getChoice("block", variant == null ? "basic" : variant.block(), Set.of("basic", "bottleneck"))
                .equals("bottleneck");
        int groups = hp.getInt("groups", variant == null ? 1 : variant.groups());
        int widthPerGroup = hp.getInt("width_per_group", variant == null ? 64 : variant.widthPerGroup());
        checkBlockShape(manifest, bottleneck, groups, widthPerGroup, widths);
        String stem = hp.getChoice("stem", variant == null ? "imagenet" : variant.stem(), Set.of("imagenet", "cifar"));
        boolean skip = hp.getBoolean("skip", true);
        double eps = hp.getDouble("bn_eps", 1e-5);
        long[] input = manifest.input().shape();
        if (input.length != 3) {
            throw new IOException(manifest.name() + ": resnet-conv needs input.shape [channels, height, width], got "
                    + java.util.Arrays.toString(input));
        }
        boolean imagenet = stem.equals("imagenet");
        Conv stemConv = imagenet ? Conv.load(tensors, "conv1.weight", widths[0], input[0], 7, 2, 3)
                : Conv.load(tensors, "conv1.weight", widths[0], input[0], 3, 1, 1);
        BatchNorm stemBn = BatchNorm.load(tensors, "bn1", widths[0], eps, new Shape(widths[0], 1, 1));
        long h = stemConv.outputSize(input[1]);
        long w = stemConv.outputSize(input[2]);
        if (imagenet) {
            h = (h + 2 - 3) / 2 + 1;
            w = (w + 2 - 3) / 2 + 1;
        }
        List<ResidualBlock> blocks = new ArrayList<>();
        Shape in = new Shape(widths[0], h, w);
        for (int s = 0; s < layers.length; s++) {
            String stage = "layer" + (s + 1);
            for (int i = 0; i < layers[s]; i++) {
                int stride = (s > 0 && i == 0) ? 2 : 1;
                String p = stage + "." + i;
                ConvBlock block = bottleneck
                        ? Bottleneck.load(tensors, p, stage, in, widths[s], stride, groups, widthPerGroup, eps, skip)
                        : BasicBlock.load(tensors, p, stage, in, widths[s], stride, eps, skip);
                blocks.add(block);
                in = block.outShape();
            }
        }
        Linear fc = Linear.load(tensors, "fc", manifest.numClasses(), in.get(0));
        tensors.finish();
        return new ConvResNet(manifest, manager, stemConv, stemBn, imagenet, blocks, fc);
    }

    /** Refuses what torchvision refuses: a grouped or widened BasicBlock, a Bottleneck of inner width 0. */
    private static void checkBlockShape(ModelManifest manifest, boolean bottleneck, int groups, int widthPerGroup, int[] widths)
            throws IOException {
        if (groups < 1 || widthPerGroup < 1) {
            throw new IOException(manifest.name() + ": 'groups' and 'width_per_group' must be positive, got " + groups + " and "
                    + widthPerGroup);
        }
        if (!bottleneck && (groups != 1 || widthPerGroup != 64)) {
            throw new IOException(manifest.name() + ": block 'basic' supports only groups 1 and width_per_group 64 (as torchvision's"
                    + " BasicBlock), got " + groups + " and " + widthPerGroup + "; use block 'bottleneck'");
        }
        for (int planes : widths) {
            if (bottleneck && Bottleneck.width(planes, groups, widthPerGroup) < 1) {
                throw new IOException(manifest.name() + ": a Bottleneck of planes " + planes + " and width_per_group " + widthPerGroup
                        + " has inner width 0 (int(planes * width_per_group / 64) * groups)");
            }
        }
    }

    private static int[] defaultWidths(int stages) {
        int[] widths = new int[stages];
        for (int s = 0; s < stages; s++) {
            widths[s] = 64 << s;
        }
        return widths;
    }

    @Override
    public ModelManifest manifest() {
        return manifest;
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    @Override
    public NDArray stem(NDArray input) {
        NDArray x = Activation.relu(stemBn.forward(stemConv.forward(preprocessing.apply(input))));
        return maxPool ? Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false) : x;
    }

    @Override
    public List<ResidualBlock> blocks() {
        return blocks;
    }

    @Override
    public NDArray head(NDArray last) {
        return fc.forward(Pool.globalAvgPool2d(last));
    }

    @Override
    public void close() {
        manager.close();
    }
}
