package io.resalign.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.testing.RandomModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks that loading a model directory is strict and that every refusal says what is wrong:
 * the tensor with both shapes, the manifest field, the expected values, the file.
 */
class ModelLoadingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The small resnet-mlp of most tests: input 1x4x4, width 8, depth 2, 3 classes, BatchNorm. */
    private static final int IN = 16;
    private static final int WIDTH = 8;
    private static final int DEPTH = 2;
    private static final int CLASSES = 3;

    @TempDir
    Path dir;

    private ObjectNode manifest;
    private ModelWriter weights;

    private void mlp() {
        manifest = RandomModels.manifest("mlp", "resnet-mlp", CLASSES, 1, 4, 4);
        weights = RandomModels.mlp(manifest, IN, WIDTH, DEPTH, CLASSES, true, true, 7);
    }

    private Path write(String name) throws IOException {
        return weights.write(dir.resolve(name), manifest);
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "message does not mention '" + part + "':\n" + message);
        }
    }

    private static IOException loadFails(Path model) {
        return assertThrows(IOException.class, () -> {
            try (ResidualNetwork ignored = Architectures.load(model, Device.cpu())) {
                // loading must fail before this
            }
        });
    }

    private static List<String> blockNames(ResidualNetwork network) {
        return network.blocks().stream().map(ResidualBlock::name).toList();
    }

    // ---- tensors -------------------------------------------------------------------------------

    @Test
    void shouldLoadEveryBlockWhenModelIsComplete() throws IOException {
        mlp();
        try (ResidualNetwork network = Architectures.load(write("ok"), Device.cpu())) {
            assertEquals(List.of("0", "1"), blockNames(network));
            assertEquals(CLASSES, network.manifest().numClasses());
        }
    }

    @Test
    void shouldNameTensorAndExpectedShapeWhenTensorIsMissing() throws IOException {
        mlp();
        weights.remove("blocks.1.fc2.weight");
        Path model = write("missing");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), model.resolve("model.safetensors").toString(), "missing tensor 'blocks.1.fc2.weight'",
                "expected shape [8, 8]");
    }

    @Test
    void shouldNameTensorAndItsShapeWhenTensorIsUnexpected() throws IOException {
        mlp();
        weights.put("blocks.2.fc1.weight", new float[WIDTH * 3], WIDTH, 3);
        Path model = write("unexpected");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "unexpected tensor 'blocks.2.fc1.weight' of shape [8, 3]", "hyper-parameters");
    }

    @Test
    void shouldGiveNameAndBothShapesWhenShapeIsWrong() throws IOException {
        mlp();
        weights.put("head.weight", new float[4 * WIDTH], 4, WIDTH);
        Path model = write("wrong-shape");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "tensor 'head.weight' has shape [4, 8], expected [3, 8]");
    }

    @Test
    void shouldReportEveryProblemAtOnceWhenSeveralTensorsAreWrong() throws IOException {
        mlp();
        weights.remove("stem_bn.running_var");
        weights.put("blocks.0.fc1.bias", new float[WIDTH + 1], WIDTH + 1);
        weights.put("blocks.0.extra", new float[2], 2);
        weights.put("head.bias", new float[] {0, 0}, 1, 2);
        Path model = write("several");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "missing tensor 'stem_bn.running_var', expected shape [8]",
                "tensor 'blocks.0.fc1.bias' has shape [9], expected [8]", "tensor 'head.bias' has shape [1, 2], expected [3]",
                "unexpected tensor 'blocks.0.extra' of shape [2]");
        assertEquals(5, e.getMessage().split("\n").length, "a first line and one line per problem:\n" + e.getMessage());
    }

    @Test
    void shouldTolerateNumBatchesTrackedWhenPyTorchBatchNormWroteIt() throws IOException {
        mlp();
        Path model = write("tracked");
        Path file = model.resolve("model.safetensors");
        Map<String, Safetensors.Tensor> f32 = Safetensors.read(file);
        SafetensorsBuilder withTracked = new SafetensorsBuilder().metadata("format", "pt").allAsF32(f32);
        for (String bn : List.of("stem_bn", "blocks.0.bn1", "blocks.0.bn2", "blocks.1.bn1", "blocks.1.bn2")) {
            withTracked.i64(bn + ".num_batches_tracked", new long[] {938L});
        }
        withTracked.write(file);

        try (ResidualNetwork network = Architectures.load(model, Device.cpu())) {
            assertEquals(DEPTH, network.blocks().size());
        }
    }

    @Test
    void shouldNameTensorAndDtypeWhenParameterIsStoredAsInteger() throws IOException {
        mlp();
        Path model = write("integer");
        Path file = model.resolve("model.safetensors");
        Map<String, Safetensors.Tensor> f32 = Safetensors.read(file);
        f32.remove("head.bias");
        new SafetensorsBuilder().allAsF32(f32).i64("head.bias", new long[] {1, 2, 3}, 3).write(file);

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "tensor 'head.bias' has dtype I64", "F32 or F64", "[3]");
    }

    @Test
    void shouldLoadF64WeightsWithTheSameForwardOutputAsF32() throws IOException {
        for (String arch : List.of("resnet-mlp", "resnet-conv")) {
            if (arch.equals("resnet-mlp")) {
                mlp();
            } else {
                manifest = RandomModels.manifest("conv", "resnet-conv", CLASSES, 3, 9, 9);
                weights = RandomModels.conv(manifest, 3, new int[] {1, 1}, new int[] {4, 8}, "cifar", CLASSES, true, 3);
            }
            Path f32 = write(arch + "-f32");
            Path f64 = write(arch + "-f64");
            Map<String, Safetensors.Tensor> tensors = Safetensors.read(f32.resolve("model.safetensors"));
            new SafetensorsBuilder().allAsF64(tensors).write(f64.resolve("model.safetensors"));
            assertTrue(Safetensors.read(f64.resolve("model.safetensors")).values().stream().allMatch(t -> t.dtype().equals("F64")));

            try (ResidualNetwork a = Architectures.load(f32, Device.cpu());
                    ResidualNetwork b = Architectures.load(f64, Device.cpu());
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                NDArray x = m.randomNormal(new Shape(4).addAll(new Shape(a.manifest().input().shape())));
                NDArray la = Trajectory.trace(a, x).logits();
                NDArray lb = Trajectory.trace(b, x).logits();
                assertEquals(new Shape(4, CLASSES), la.getShape(), arch);
                double diff = la.sub(lb).abs().max().getFloat();
                assertTrue(diff <= 1e-6, arch + ": F64 weights change the logits by " + diff);
            }
        }
    }

    // ---- hyper-parameters and architecture -----------------------------------------------------

    @Test
    void shouldListKnownArchitecturesWhenArchitectureIsUnknown() throws IOException {
        mlp();
        manifest.put("architecture", "resnet-transformer");
        Path model = write("unknown-arch");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "unknown architecture 'resnet-transformer'", "resnet-mlp", "resnet-conv");
    }

    @Test
    void shouldNameKeyAndListKnownOnesWhenHyperparameterIsMisspelt() throws IOException {
        mlp();
        ((ObjectNode) manifest.get("hyperparameters")).put("batchnorm", false);
        Path model = write("typo");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "resnet-mlp has no hyper-parameter 'batchnorm'", "batch_norm", "width", "depth");
    }

    @Test
    void shouldNameKeyAndListKnownOnesWhenConvHyperparameterIsMisspelt() throws IOException {
        manifest = RandomModels.manifest("conv", "resnet-conv", CLASSES, 3, 8, 8);
        weights = RandomModels.conv(manifest, 3, new int[] {1}, new int[] {4}, "cifar", CLASSES, true, 1);
        ((ObjectNode) manifest.get("hyperparameters")).put("width", 4);
        Path model = write("conv-typo");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "resnet-conv has no hyper-parameter 'width'", "widths", "layers");
    }

    @Test
    void shouldNameWidthWhenRequiredHyperparameterIsMissing() throws IOException {
        mlp();
        ((ObjectNode) manifest.get("hyperparameters")).remove("width");
        Path model = write("no-width");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "hyper-parameter 'width' is required");
    }

    @Test
    void shouldListAllowedValuesWhenVariantIsUnknown() throws IOException {
        manifest = RandomModels.manifest("conv", "resnet-conv", CLASSES, 3, 8, 8);
        weights = RandomModels.conv(manifest, 3, new int[] {1}, new int[] {4}, "cifar", CLASSES, true, 1);
        manifest.putObject("hyperparameters").put("variant", "resnet200");
        Path model = write("resnet200");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "'variant'", "resnet200", "resnet18", "resnet34", "resnet18-cifar", "resnet50", "resnet101",
                "resnet152", "resnext50_32x4d", "wide_resnet50_2");
    }

    // ---- the manifest itself -------------------------------------------------------------------

    @Test
    void shouldAskForInputShapeWhenManifestHasNoInput() throws IOException {
        mlp();
        manifest.remove("input");
        Path model = write("no-input");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), model.resolve("manifest.json").toString(), "'input.shape' is required");
    }

    @Test
    void shouldAskForInputShapeWhenInputHasNoShape() throws IOException {
        mlp();
        manifest.putObject("input").put("scale", 1.0);
        Path model = write("no-shape");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "'input.shape' is required");
    }

    @Test
    void shouldAskForTwoClassesWhenClassesHaveOneEntry() throws IOException {
        mlp();
        manifest.putArray("classes").add("only");
        Path model = write("one-class");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), model.resolve("manifest.json").toString(), "'classes' must list at least two class names");
    }

    @Test
    void shouldNameFieldAndListKnownOnesWhenTopLevelFieldIsUnknown() throws IOException {
        mlp();
        manifest.put("wieghts", "model.safetensors");
        Path model = write("unknown-field");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "unknown field 'wieghts'", "weights", "architecture", "classes");
    }

    @Test
    void shouldNameFileWhenManifestIsNotValidJson() throws IOException {
        mlp();
        Path model = write("bad-json");
        Files.writeString(model.resolve("manifest.json"), "{\"name\": \"mlp\", \"architecture\": ");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), model.resolve("manifest.json").toString(), "is not valid JSON");
    }

    @Test
    void shouldNameWeightsFileWhenManifestNamesOneThatDoesNotExist() throws IOException {
        mlp();
        Path model = write("no-weights");
        manifest.put("weights", "final.safetensors");
        Files.writeString(model.resolve("manifest.json"), JSON.writeValueAsString(manifest));

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), model.toString(), "weights file 'final.safetensors'", "does not exist");
    }

    @Test
    void shouldLoadWeightsFileNamedByTheManifest() throws IOException {
        mlp();
        manifest.put("weights", "final.safetensors");
        Path model = write("named-weights");
        assertFalse(Files.exists(model.resolve("model.safetensors")));

        try (ResidualNetwork network = Architectures.load(model, Device.cpu())) {
            assertEquals(DEPTH, network.blocks().size());
        }
    }

    @Test
    void shouldSayItIsNotAModelDirectoryWhenManifestIsAbsent() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.write(empty.resolve("model.safetensors"), new byte[0]);

        IOException e = loadFails(empty);

        assertMentions(e.getMessage(), empty.toString(), "is not a model directory", "manifest.json");
    }

    @Test
    void shouldListBlockNamesWhenWatchNamesABlockThatDoesNotExist() throws IOException {
        mlp();
        manifest.putArray("watch").add("1").add("7");
        Path model = write("watch");

        try (ResidualNetwork network = Architectures.load(model, Device.cpu())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new AlignmentEngine(network, EngineOptions.defaults()).close());

            assertMentions(e.getMessage(), "watched block '7' does not exist", "blocks are [0, 1]");
        }
    }

    @Test
    void shouldReleaseTheEngineManagerWhenWatchNamesABlockThatDoesNotExist() throws Exception {
        mlp();
        manifest.putArray("watch").add("7");
        Path model = write("watch-leak");

        try (ResidualNetwork network = Architectures.load(model, Device.cpu())) {
            int before = managersUnderTheSystemManager();
            for (int i = 0; i < 3; i++) {
                assertThrows(IllegalArgumentException.class, () -> new AlignmentEngine(network, EngineOptions.defaults()).close());
            }

            assertEquals(before, managersUnderTheSystemManager(), "a refused engine must not leave its native manager behind");
        }
    }

    /** Counts the managers the engine's system manager holds (DJL keeps them in a protected map). */
    private static int managersUnderTheSystemManager() throws ReflectiveOperationException {
        NDManager system;
        try (NDManager probe = NDManager.newBaseManager(Device.cpu())) {
            system = probe.getParentManager();
        }
        java.lang.reflect.Field resources = ai.djl.ndarray.BaseNDManager.class.getDeclaredField("resources");
        resources.setAccessible(true);
        return ((Map<?, ?>) resources.get(system)).size();
    }

    // ---- resnet-conv shortcuts -----------------------------------------------------------------

    private void conv(boolean skip) {
        manifest = RandomModels.manifest("conv", "resnet-conv", CLASSES, 3, 8, 8);
        weights = RandomModels.conv(manifest, 3, new int[] {1, 1}, new int[] {4, 8}, "cifar", CLASSES, skip, 5);
    }

    @Test
    void shouldNotExpectDownsampleWhenConvModelHasNoSkips() throws IOException {
        conv(false);
        assertEquals(null, weights.get("layer2.0.downsample.0.weight"), "the fixture itself has no downsample");

        try (ResidualNetwork network = Architectures.load(write("no-skip"), Device.cpu())) {
            assertEquals(List.of("layer1.0", "layer2.0"), blockNames(network));
        }
    }

    @Test
    void shouldRefuseDownsampleTensorsWhenConvModelHasNoSkips() throws IOException {
        conv(false);
        weights.put("layer2.0.downsample.0.weight", new float[8 * 4], 8, 4, 1, 1);
        Path model = write("no-skip-downsample");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "unexpected tensor 'layer2.0.downsample.0.weight' of shape [8, 4, 1, 1]");
    }

    @Test
    void shouldExpectDownsampleWhenConvModelHasSkips() throws IOException {
        conv(true);
        weights.remove("layer2.0.downsample.0.weight");
        weights.remove("layer2.0.downsample.1.running_var");
        Path model = write("skip-no-downsample");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "missing tensor 'layer2.0.downsample.0.weight', expected shape [8, 4, 1, 1]",
                "missing tensor 'layer2.0.downsample.1.running_var', expected shape [8]");
    }

    @Test
    void shouldAskForLayersWhenConvModelHasNeitherLayersNorVariant() throws IOException {
        conv(true);
        ((ObjectNode) manifest.get("hyperparameters")).remove("layers");
        Path model = write("no-layers");

        IOException e = loadFails(model);

        assertMentions(e.getMessage(), "resnet-conv needs 'layers'", "'variant'");
    }
}
