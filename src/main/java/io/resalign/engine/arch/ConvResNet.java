package io.resalign.engine.arch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import io.resalign.engine.model.ModelManifest;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.nn.BatchNorm;
import io.resalign.engine.nn.Conv;
import io.resalign.engine.nn.Linear;
import io.resalign.engine.nn.Preprocessing;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Holds a torchvision-style ResNet of BasicBlocks ({@code resnet-conv}, docs/models.md), loading
 * torchvision's {@code state_dict} names unchanged.
 */
public final class ConvResNet implements ResidualNetwork {
    static final Set<String> HYPERPARAMETERS = Set.of("variant", "layers", "widths", "stem", "skip", "bn_eps");
    private static final Map<String, int[]> VARIANT_LAYERS = Map.of(
            "resnet18", new int[] {2, 2, 2, 2}, "resnet34", new int[] {3, 4, 6, 3}, "resnet18-cifar", new int[] {2, 2, 2, 2});

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
        String variant = hp.has("variant") ? hp.getChoice("variant", null, VARIANT_LAYERS.keySet()) : null;
        int[] layers = hp.getInts("layers", variant == null ? null : VARIANT_LAYERS.get(variant));
        if (layers == null) {
            throw new IOException(manifest.name() + ": resnet-conv needs 'layers' (e.g. [2,2,2,2]) or 'variant' "
                    + VARIANT_LAYERS.keySet());
        }
        int[] widths = hp.getInts("widths", defaultWidths(layers.length));
        if (widths.length != layers.length) {
            throw new IOException(manifest.name() + ": 'widths' has " + widths.length + " entries but 'layers' has " + layers.length);
        }
        String stem = hp.getChoice("stem", "resnet18-cifar".equals(variant) ? "cifar" : "imagenet", Set.of("imagenet", "cifar"));
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
        long channels = widths[0];
        for (int s = 0; s < layers.length; s++) {
            for (int i = 0; i < layers[s]; i++) {
                int stride = (s > 0 && i == 0) ? 2 : 1;
                String p = "layer" + (s + 1) + "." + i;
                long out = widths[s];
                Shape bcast = new Shape(out, 1, 1);
                Conv c1 = Conv.load(tensors, p + ".conv1.weight", out, channels, 3, stride, 1);
                BatchNorm b1 = BatchNorm.load(tensors, p + ".bn1", out, eps, bcast);
                Conv c2 = Conv.load(tensors, p + ".conv2.weight", out, out, 3, 1, 1);
                BatchNorm b2 = BatchNorm.load(tensors, p + ".bn2", out, eps, bcast);
                Conv ds = null;
                BatchNorm dsBn = null;
                if (skip && (stride != 1 || out != channels)) {
                    ds = Conv.load(tensors, p + ".downsample.0.weight", out, channels, 1, stride, 0);
                    dsBn = BatchNorm.load(tensors, p + ".downsample.1", out, eps, bcast);
                }
                BasicBlock block = new BasicBlock(p, "layer" + (s + 1), new Shape(channels, h, w), c1, b1, c2, b2, ds, dsBn, skip);
                blocks.add(block);
                channels = out;
                h = block.outShape().get(1);
                w = block.outShape().get(2);
            }
        }
        Linear fc = Linear.load(tensors, "fc", manifest.numClasses(), channels);
        tensors.finish();
        return new ConvResNet(manifest, manager, stemConv, stemBn, imagenet, blocks, fc);
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
