package io.resalign.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads files named exactly as torchvision's {@code resnet18()}, {@code resnet34()},
 * {@code resnet50()} and {@code resnext50_32x4d()} {@code state_dict()} (1000 classes, 3 input
 * channels), so a checkpoint saved with {@code safetensors.torch.save_file(model.state_dict(), ...)}
 * loads as is, and a BasicBlock checkpoint given to a Bottleneck manifest (or the reverse) fails
 * with the tensor's name and both shapes.
 *
 * <p>The fixtures {@code src/test/resources/torchvision/<variant>.keys} hold one
 * {@code name shape} per line in torchvision's order, the shape comma-separated and absent for
 * the 0-d {@code num_batches_tracked} buffers.
 */
class TorchvisionNamesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private record Key(String name, long[] shape) {
        long size() {
            return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        }

        boolean isBuffer() {
            return name.endsWith(".running_mean") || name.endsWith(".running_var") || name.endsWith(".num_batches_tracked");
        }
    }

    private static List<Key> keys(String variant) throws IOException {
        String resource = "/torchvision/" + variant + ".keys";
        List<Key> keys = new ArrayList<>();
        try (InputStream in = TorchvisionNamesTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, resource);
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.strip().split(" ", -1);
                assertTrue(parts.length <= 2, "one 'name shape' per line: '" + line + "'");
                long[] shape = parts.length == 1 || parts[1].isEmpty() ? new long[0]
                        : Arrays.stream(parts[1].split(",")).mapToLong(Long::parseLong).toArray();
                keys.add(new Key(parts[0], shape));
            }
        }
        return keys;
    }

    /** Writes a model directory with random but sane values under exactly the fixture's names and shapes. */
    private Path model(String variant, List<Key> keys, long... inputShape) throws IOException {
        SplittableRandom random = new SplittableRandom(18);
        SafetensorsBuilder file = new SafetensorsBuilder().metadata("format", "pt");
        for (Key k : keys) {
            if (k.name().endsWith(".num_batches_tracked")) {
                file.i64(k.name(), new long[] {12345}, k.shape());
                continue;
            }
            float[] v = new float[(int) k.size()];
            // He-scaled weights, BatchNorm near identity with a positive variance
            double std = k.shape().length > 1 ? Math.sqrt(2.0 / (k.size() / k.shape()[0])) : 0.1;
            double base = k.name().endsWith(".running_var") || (k.name().endsWith(".weight") && k.shape().length == 1) ? 1 : 0;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (base == 1 ? 0.5 + random.nextDouble() : random.nextGaussian() * std);
            }
            file.f32(k.name(), v, k.shape());
        }
        Path model = dir.resolve(variant);
        file.write(model.resolve("model.safetensors"));
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("name", "torchvision-" + variant).put("architecture", "resnet-conv");
        manifest.putObject("hyperparameters").put("variant", variant);
        ArrayNode shape = manifest.putObject("input").putArray("shape");
        Arrays.stream(inputShape).forEach(shape::add);
        ArrayNode classes = manifest.putArray("classes");
        for (int c = 0; c < 1000; c++) {
            classes.add("imagenet-" + c);
        }
        Files.writeString(model.resolve(ModelManifest.FILE), JSON.writeValueAsString(manifest));
        return model;
    }

    private static List<String> blockNames(int[] layers) {
        List<String> names = new ArrayList<>();
        for (int s = 0; s < layers.length; s++) {
            for (int b = 0; b < layers[s]; b++) {
                names.add("layer" + (s + 1) + "." + b);
            }
        }
        return names;
    }

    private static void assertFixture(List<Key> keys, int total, int parameters, int blocks) {
        assertEquals(total, keys.size(), "state_dict keys");
        assertEquals(parameters, keys.stream().filter(k -> !k.isBuffer()).count(), "parameters");
        assertEquals(total - parameters, keys.stream().filter(Key::isBuffer).count(), "buffers");
        long batchNorms = keys.stream().filter(k -> k.name().endsWith(".num_batches_tracked")).count();
        // one BatchNorm in the stem, two per block, one per down-sampling shortcut (3 of them)
        assertEquals(1 + 2 * blocks + 3, batchNorms, "BatchNorm layers");
        assertEquals(keys.size(), new HashSet<>(keys.stream().map(Key::name).toList()).size(), "no duplicate names");
        assertEquals("conv1.weight", keys.get(0).name());
        assertEquals(List.of("fc.weight", "fc.bias"), keys.subList(keys.size() - 2, keys.size()).stream().map(Key::name).toList());
        keys.stream().filter(k -> k.name().endsWith(".num_batches_tracked"))
                .forEach(k -> assertEquals(0, k.shape().length, k.name() + " is a 0-d buffer"));
        assertTrue(keys.stream().anyMatch(k -> k.name().equals("layer2.0.downsample.0.weight")
                && Arrays.equals(k.shape(), new long[] {128, 64, 1, 1})), "layer2.0.downsample.0.weight 128,64,1,1");
    }

    private static void assertLoadsAndRuns(Path model, int[] layers, long[] inputShape) throws IOException {
        assertLoadsAndRuns(model, layers, inputShape, List.of("layer2.0", "layer3.0", "layer4.0"));
    }

    private static void assertLoadsAndRuns(Path model, int[] layers, long[] inputShape, List<String> downsampling) throws IOException {
        try (ResidualNetwork network = Architectures.load(model, Device.cpu()); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            List<String> expected = blockNames(layers);
            assertEquals(expected, network.blocks().stream().map(ResidualBlock::name).toList());
            List<String> notSquare = network.blocks().stream().filter(b -> !b.isSquare()).map(ResidualBlock::name).toList();
            assertEquals(downsampling, notSquare, "the blocks that change the shape");
            assertEquals(List.of("layer1", "layer2", "layer3", "layer4"),
                    network.blocks().stream().map(ResidualBlock::stage).distinct().toList());

            NDArray input = m.randomUniform(0, 1, new Shape(1).addAll(new Shape(inputShape)));
            NDArray logits = Trajectory.trace(network, input).logits();

            assertEquals(new Shape(1, 1000), logits.getShape());
            float[] values = logits.toFloatArray();
            for (float v : values) {
                assertTrue(Float.isFinite(v), "finite logits");
            }
        }
    }

    @Test
    void shouldHold122KeysWhenListingResnet18StateDict() throws IOException {
        assertFixture(keys("resnet18"), 122, 62, 8);
    }

    @Test
    void shouldHold218KeysWhenListingResnet34StateDict() throws IOException {
        assertFixture(keys("resnet34"), 218, 110, 16);
    }

    @Test
    void shouldCountTorchvisionParametersWhenSummingFixtureShapes() throws IOException {
        // torchvision's documented sizes: sum(p.numel() for p in resnet18().parameters())
        assertEquals(11_689_512L, keys("resnet18").stream().filter(k -> !k.isBuffer()).mapToLong(Key::size).sum());
        assertEquals(21_797_672L, keys("resnet34").stream().filter(k -> !k.isBuffer()).mapToLong(Key::size).sum());
    }

    @Test
    void shouldLoadAndGive1000LogitsWhenWeightsHaveTorchvisionResnet18Names() throws IOException {
        long[] input = {3, 224, 224};
        Path model = model("resnet18", keys("resnet18"), input);

        assertLoadsAndRuns(model, new int[] {2, 2, 2, 2}, input);
    }

    @Test
    void shouldLoadAndGive1000LogitsWhenWeightsHaveTorchvisionResnet34Names() throws IOException {
        long[] input = {3, 64, 64};
        Path model = model("resnet34", keys("resnet34"), input);

        assertLoadsAndRuns(model, new int[] {3, 4, 6, 3}, input);
    }

    @Test
    void shouldNameResnet34BlocksAsMissingWhenResnet18WeightsAreLoadedAsResnet34() throws IOException {
        Path model = model("resnet18", keys("resnet18"), 3, 32, 32);
        ObjectNode manifest = (ObjectNode) JSON.readTree(model.resolve(ModelManifest.FILE).toFile());
        ((ObjectNode) manifest.get("hyperparameters")).put("variant", "resnet34");
        Files.writeString(model.resolve(ModelManifest.FILE), JSON.writeValueAsString(manifest));

        IOException e = assertThrows(IOException.class, () -> Architectures.load(model, Device.cpu()).close());

        assertTrue(e.getMessage().contains("missing tensor 'layer1.2.conv1.weight', expected shape [64, 64, 3, 3]"), e.getMessage());
        assertTrue(e.getMessage().contains("missing tensor 'layer3.5.bn2.running_var', expected shape [256]"), e.getMessage());
    }

    // ---- Bottleneck ResNets --------------------------------------------------------------------

    private static final int[] RESNET50_LAYERS = {3, 4, 6, 3};

    /** Bottleneck blocks change the shape at layer1.0 too (64 -> 256 channels, stride 1). */
    private static final List<String> BOTTLENECK_DOWNSAMPLING = List.of("layer1.0", "layer2.0", "layer3.0", "layer4.0");

    private static void assertBottleneckFixture(List<Key> keys) {
        // per BatchNorm 5 keys, per conv 1, plus fc: 53 BatchNorms (stem, 3 per block, 4 shortcuts), 53 convs
        assertEquals(53 * 5 + 53 + 2, keys.size(), "state_dict keys");
        assertEquals(53, keys.stream().filter(k -> k.name().endsWith(".num_batches_tracked")).count(), "BatchNorm layers");
        assertTrue(keys.stream().anyMatch(k -> k.name().equals("layer1.0.downsample.0.weight")
                && Arrays.equals(k.shape(), new long[] {256, 64, 1, 1})), "layer1.0 has a stride-1 projection 256,64,1,1");
        assertTrue(keys.stream().anyMatch(k -> k.name().equals("layer4.2.conv3.weight")), "layer4.2.conv3.weight");
    }

    @Test
    void shouldHold320KeysWhenListingResnet50AndResnext50StateDicts() throws IOException {
        assertBottleneckFixture(keys("resnet50"));
        assertBottleneckFixture(keys("resnext50_32x4d"));
        // torchvision's documented sizes
        assertEquals(25_557_032L, keys("resnet50").stream().filter(k -> !k.isBuffer()).mapToLong(Key::size).sum());
        assertEquals(25_028_904L, keys("resnext50_32x4d").stream().filter(k -> !k.isBuffer()).mapToLong(Key::size).sum());
    }

    @Test
    void shouldLoadAndGive1000LogitsWhenWeightsHaveTorchvisionResnet50Names() throws IOException {
        long[] input = {3, 64, 64};
        Path model = model("resnet50", keys("resnet50"), input);

        assertLoadsAndRuns(model, RESNET50_LAYERS, input, BOTTLENECK_DOWNSAMPLING);
    }

    @Test
    void shouldLoadGroupedConvolutionsWhenWeightsHaveTorchvisionResnext50Names() throws IOException {
        long[] input = {3, 32, 32};
        Path model = model("resnext50_32x4d", keys("resnext50_32x4d"), input);

        assertLoadsAndRuns(model, RESNET50_LAYERS, input, BOTTLENECK_DOWNSAMPLING);
    }

    @Test
    void shouldNameTensorAndBothShapesWhenBottleneckWeightsAreLoadedAsBasicBlocks() throws IOException {
        Path model = model("resnet50", keys("resnet50"), 3, 32, 32);
        setVariant(model, "resnet34");

        IOException e = assertThrows(IOException.class, () -> Architectures.load(model, Device.cpu()).close());

        assertTrue(e.getMessage().contains("tensor 'layer1.0.conv1.weight' has shape [64, 64, 1, 1], expected [64, 64, 3, 3]"),
                e.getMessage());
        assertTrue(e.getMessage().contains("unexpected tensor 'layer1.0.conv3.weight' of shape [256, 64, 1, 1]"), e.getMessage());
    }

    @Test
    void shouldNameTensorAndBothShapesWhenBasicBlockWeightsAreLoadedAsBottlenecks() throws IOException {
        Path model = model("resnet34", keys("resnet34"), 3, 32, 32);
        setVariant(model, "resnet50");

        IOException e = assertThrows(IOException.class, () -> Architectures.load(model, Device.cpu()).close());

        assertTrue(e.getMessage().contains("tensor 'layer1.0.conv1.weight' has shape [64, 64, 3, 3], expected [64, 64, 1, 1]"),
                e.getMessage());
        assertTrue(e.getMessage().contains("missing tensor 'layer1.0.conv3.weight', expected shape [256, 64, 1, 1]"), e.getMessage());
    }

    private static void setVariant(Path model, String variant) throws IOException {
        ObjectNode manifest = (ObjectNode) JSON.readTree(model.resolve(ModelManifest.FILE).toFile());
        ((ObjectNode) manifest.get("hyperparameters")).put("variant", variant);
        Files.writeString(model.resolve(ModelManifest.FILE), JSON.writeValueAsString(manifest));
    }
}
