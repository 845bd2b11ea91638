package io.resalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.model.ModelManifest;
import io.resalign.engine.testing.RandomModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proposes manifests from weights files of every family, the bundled trained models and
 * torchvision's own state_dicts among them, and loads what it proposes: the proposed directory of a
 * bundled model gives the logits of the bundled directory; a file that no architecture explains is
 * refused with its first misfitting tensor and what each family expected there.
 */
class ProposeManifestTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode manifest(Path model) throws IOException {
        return JSON.readTree(model.resolve(ModelManifest.FILE).toFile());
    }

    /** Proposes from a sparse file with these names and shapes, into {@code dir/name}, and returns the manifest. */
    private JsonNode proposeHeader(String name, Map<String, long[]> shapes, String... args) throws IOException {
        Path out = dir.resolve(name);
        Files.createDirectories(out);
        Path weights = StateDictHeaders.write(out.resolve("model.safetensors"), shapes);
        List<String> all = new ArrayList<>(List.of("--weights", weights.toString()));
        all.addAll(List.of(args));
        CliFixtures.Run run = CliFixtures.propose(all.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());
        return manifest(out);
    }

    private static String[] preprocessingOf(JsonNode bundled, String classesFile) {
        JsonNode in = bundled.get("input");
        return new String[] {"--scale", in.get("scale").asText(), "--mean", join(in.get("mean")), "--std", join(in.get("std")),
            "--classes", classesFile};
    }

    private static String join(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return String.join(",", values);
    }

    private static float[] logits(Path model, long[] inputShape) throws IOException {
        try (ResidualNetwork network = Architectures.load(model, Device.cpu()); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            m.getEngine().setRandomSeed(7);
            NDArray input = m.randomUniform(0, 255, new Shape(2).addAll(new Shape(inputShape)));
            return Trajectory.trace(network, input).logits().toFloatArray();
        }
    }

    /** Proposes a directory for a bundled model from its weights alone and checks it against the bundled one. */
    private JsonNode assertRoundTrip(String bundledName, String inputShape, long... shape) throws IOException {
        return assertRoundTrip(bundledName, inputShape, shape, new String[0]);
    }

    /** As above, with further options (what the weights cannot show, such as a ViT's heads). */
    private JsonNode assertRoundTrip(String bundledName, String inputShape, long[] shape, String... extra) throws IOException {
        Path bundled = Path.of("models", bundledName);
        JsonNode original = manifest(bundled);
        Path classes = Files.write(dir.resolve(bundledName + "-classes.txt"),
                (Iterable<String>) () -> original.get("classes").valueStream().map(JsonNode::asText).iterator());
        Path out = dir.resolve(bundledName);
        List<String> args = new ArrayList<>(List.of("--weights", bundled.resolve("model.safetensors").toString(), "--input-shape",
                inputShape, "--out", out.toString(), "--name", bundledName));
        args.addAll(List.of(preprocessingOf(original, classes.toString())));
        args.addAll(List.of(extra));

        CliFixtures.Run run = CliFixtures.propose(args.toArray(String[]::new));

        assertEquals(0, run.status(), run.err());
        JsonNode proposed = manifest(out);
        assertEquals(original.get("architecture"), proposed.get("architecture"));
        assertEquals(original.get("classes"), proposed.get("classes"));
        assertArrayEquals(logits(bundled, shape), logits(out, shape), 0f, "the same logits from the proposed directory");
        return proposed;
    }

    @Test
    void shouldGiveBundledLogitsWhenProposingFromDemoMlpWeights() throws IOException {
        JsonNode proposed = assertRoundTrip("demo-mlp", "1,28,28", 1, 28, 28);

        assertEquals(JSON.readTree("{\"width\":128,\"depth\":8,\"batch_norm\":true}"), proposed.get("hyperparameters"));
        assertEquals(JSON.readTree("[\"all\"]"), proposed.get("watch"));
    }

    @Test
    void shouldGiveBundledLogitsWhenProposingFromDemoConvWeights() throws IOException {
        JsonNode proposed = assertRoundTrip("demo-conv", "1,28,28", 1, 28, 28);

        assertEquals(JSON.readTree("{\"layers\":[2,2,2],\"widths\":[8,16,32],\"block\":\"basic\",\"stem\":\"cifar\"}"),
                proposed.get("hyperparameters"));
    }

    @Test
    void shouldGiveBundledLogitsWhenProposingFromDemoVitWeightsWithItsHeads() throws IOException {
        JsonNode proposed = assertRoundTrip("demo-vit", "1,28,28", new long[] {1, 28, 28}, "--num-heads", "4");

        JsonNode bundled = manifest(Path.of("models", "demo-vit")).get("hyperparameters");
        for (String key : List.of("image_size", "patch_size", "num_layers", "num_heads", "hidden_dim", "mlp_dim")) {
            assertEquals(bundled.get(key).asLong(), proposed.get("hyperparameters").get(key).asLong(), key);
        }
    }

    @Test
    void shouldLinkWeightsAndLoadWhenProposingForRandomConvNet() throws IOException {
        Path original = CliFixtures.randomConv(dir.resolve("original"));
        Path out = dir.resolve("proposed");

        CliFixtures.Run run = CliFixtures.propose("--weights", original.resolve("model.safetensors").toString(), "--input-shape",
                "3,8,8", "--num-classes", "3", "--out", out.toString(), "--link", "--watch", "layer2");

        assertEquals(0, run.status(), run.err());
        assertTrue(Files.isSymbolicLink(out.resolve("model.safetensors")));
        assertEquals(JSON.readTree("[\"layer2.0\",\"layer2.1\",\"layer2.2\"]"), manifest(out).get("watch"));
        assertArrayEquals(logits(original, new long[] {3, 8, 8}), logits(out, new long[] {3, 8, 8}), 0f);
    }

    @Test
    void shouldProposeNoSkipWhenConvNetHasNoShortcutsWhereTorchvisionPutsThem() throws IOException {
        ObjectNode m = RandomModels.manifest("noskip", "resnet-conv", 3, 3, 8, 8);
        Path original = RandomModels.conv(m, 3, new int[] {1, 2}, new int[] {4, 8}, "cifar", 3, false, 9)
                .write(dir.resolve("noskip"), m);
        Path out = dir.resolve("proposed-noskip");

        CliFixtures.Run run = CliFixtures.propose("--weights", original.resolve("model.safetensors").toString(), "--input-shape",
                "3,8,8", "--out", out.toString());

        assertEquals(0, run.status(), run.err());
        assertEquals(JSON.readTree("{\"layers\":[1,2],\"widths\":[4,8],\"block\":\"basic\",\"stem\":\"cifar\",\"skip\":false}"),
                manifest(out).get("hyperparameters"));
        assertArrayEquals(logits(original, new long[] {3, 8, 8}), logits(out, new long[] {3, 8, 8}), 0f);
    }

    @Test
    void shouldNameVariantWhenHeaderIsTorchvisionResnet18() throws IOException {
        JsonNode m = proposeHeader("resnet18", StateDictHeaders.fixture("resnet18"), "--input-shape", "3,224,224");

        assertEquals(JSON.readTree("{\"layers\":[2,2,2,2],\"widths\":[64,128,256,512],\"block\":\"basic\",\"stem\":\"imagenet\","
                + "\"variant\":\"resnet18\"}"), m.get("hyperparameters"));
        assertEquals(1000, m.get("classes").size());
        assertEquals("999", m.get("classes").get(999).asText());
    }

    @Test
    void shouldNameBottleneckVariantsAndLoadWhenHeadersAreTorchvisionResnet50AndResnext50() throws IOException {
        JsonNode resnet50 = proposeHeader("resnet50", StateDictHeaders.fixture("resnet50"), "--input-shape", "3,32,32");
        JsonNode resnext = proposeHeader("resnext", StateDictHeaders.fixture("resnext50_32x4d"), "--input-shape", "3,32,32");

        assertEquals(JSON.readTree("{\"layers\":[3,4,6,3],\"widths\":[64,128,256,512],\"block\":\"bottleneck\",\"groups\":1,"
                + "\"width_per_group\":64,\"stem\":\"imagenet\",\"variant\":\"resnet50\"}"), resnet50.get("hyperparameters"));
        assertEquals(JSON.readTree("{\"layers\":[3,4,6,3],\"widths\":[64,128,256,512],\"block\":\"bottleneck\",\"groups\":32,"
                + "\"width_per_group\":4,\"stem\":\"imagenet\",\"variant\":\"resnext50_32x4d\"}"), resnext.get("hyperparameters"));
        // the strict loader binds every tensor under the proposed hyper-parameters
        Architectures.load(dir.resolve("resnext"), Device.cpu()).close();
    }

    @Test
    void shouldNameWideResnetWhenHeaderComesFromTorchvision() throws IOException, InterruptedException {
        JsonNode m = proposeHeader("wide", StateDictHeaders.torchvision("torchvision.models.wide_resnet50_2(num_classes=7)"),
                "--input-shape", "3,64,64");

        assertEquals(JSON.readTree("{\"layers\":[3,4,6,3],\"widths\":[64,128,256,512],\"block\":\"bottleneck\",\"groups\":1,"
                + "\"width_per_group\":128,\"stem\":\"imagenet\",\"variant\":\"wide_resnet50_2\"}"), m.get("hyperparameters"));
        assertEquals(7, m.get("classes").size());
    }

    @Test
    void shouldProposeVitB16WithItsHeadsWhenHeaderComesFromTorchvision() throws IOException, InterruptedException {
        JsonNode m = proposeHeader("vit", StateDictHeaders.torchvision("torchvision.models.vit_b_16(num_classes=10)"),
                "--input-shape", "3,224,224");

        assertEquals("vit", m.get("architecture").asText());
        assertEquals(JSON.readTree("{\"image_size\":224,\"patch_size\":16,\"num_layers\":12,\"num_heads\":12,\"hidden_dim\":768,"
                + "\"mlp_dim\":3072,\"variant\":\"vit_b_16\"}"), m.get("hyperparameters"));
        assertEquals(10, m.get("classes").size());
    }

    @Test
    void shouldAskForNumHeadsWhenVitSizesMatchNoVariant() throws IOException, InterruptedException {
        Map<String, long[]> small = StateDictHeaders.torchvision("torchvision.models.VisionTransformer(image_size=32, patch_size=8,"
                + " num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=64, num_classes=5)");
        Path weights = StateDictHeaders.write(dir.resolve("small-vit.safetensors"), small);

        CliFixtures.Run refused = CliFixtures.propose("--weights", weights.toString(), "--input-shape", "3,32,32");
        JsonNode m = proposeHeader("small-vit", small, "--input-shape", "3,32,32", "--num-heads", "4");

        assertEquals(1, refused.status(), refused.err());
        assertTrue(refused.err().contains("recognised as vit") && refused.err().contains("--num-heads H"), refused.err());
        assertFalse(Files.exists(dir.resolve(ModelManifest.FILE)), "nothing written when refused");
        assertEquals(JSON.readTree("{\"image_size\":32,\"patch_size\":8,\"num_layers\":2,\"num_heads\":4,\"hidden_dim\":32,"
                + "\"mlp_dim\":64}"), m.get("hyperparameters"));
    }

    @Test
    void shouldNameFirstUnfitTensorAndEachFamilysExpectationWhenNoArchitectureFits() throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>(StateDictHeaders.fixture("resnet18"));
        shapes.put("layer1.1.conv2.weight", new long[] {64, 64, 5, 5});
        Path weights = StateDictHeaders.write(dir.resolve("odd.safetensors"), shapes);

        CliFixtures.Run run = CliFixtures.propose("--weights", weights.toString(), "--input-shape", "3,224,224");

        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().contains("tensor 'layer1.1.conv2.weight' of shape [64, 64, 5, 5] fits no supported architecture"),
                run.err());
        assertTrue(run.err().contains("resnet-conv: shape [64, 64, 3, 3]"), run.err());
        assertTrue(run.err().contains("resnet-mlp: no tensor of that name"), run.err());
        assertTrue(run.err().contains("vit: no tensor of that name"), run.err());
        assertFalse(Files.exists(dir.resolve(ModelManifest.FILE)));
    }

    @Test
    void shouldNameMissingTensorWhenEveryTensorFitsButOneIsAbsent() throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>(StateDictHeaders.fixture("resnet18"));
        shapes.remove("fc.bias");
        Path weights = StateDictHeaders.write(dir.resolve("no-bias.safetensors"), shapes);

        CliFixtures.Run run = CliFixtures.propose("--weights", weights.toString(), "--input-shape", "3,224,224");

        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().contains("closest to resnet-conv (121 of 121 tensors fit)") && run.err().contains("missing tensor 'fc.bias', expected shape [1000]"),
                run.err());
    }

    @Test
    void shouldNameHeadWhenClassCountDisagrees() throws IOException {
        Path weights = StateDictHeaders.write(dir.resolve("r18.safetensors"), StateDictHeaders.fixture("resnet18"));

        CliFixtures.Run run = CliFixtures.propose("--weights", weights.toString(), "--input-shape", "3,224,224", "--num-classes", "10");

        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().contains("--num-classes 10, but fc.weight gives 1000 classes"), run.err());
    }

    @Test
    void shouldTellCostAndHowToRestrictWhenWatchingEveryBlockOfResnet50() throws IOException {
        Path out = dir.resolve("r50");
        Files.createDirectories(out);
        Path weights = StateDictHeaders.write(out.resolve("model.safetensors"), StateDictHeaders.fixture("resnet50"));

        CliFixtures.Run run = CliFixtures.propose("--weights", weights.toString(), "--input-shape", "3,224,224");

        assertEquals(0, run.status(), run.err());
        assertTrue(run.err().contains("watching 16 of 16 blocks (all)"), run.err());
        assertTrue(run.err().contains("layer1       3 watched, Jacobian side up to 802,816: matrix-free"), run.err());
        assertTrue(run.err().contains("--watch layer4"), run.err());
    }

    @Test
    void shouldPrintUsageWhenInputShapeIsMissingOrWatchNamesNoBlock() throws IOException {
        Path weights = StateDictHeaders.write(dir.resolve("r18.safetensors"), StateDictHeaders.fixture("resnet18"));

        CliFixtures.Run usage = CliFixtures.propose("--weights", weights.toString());
        CliFixtures.Run watch = CliFixtures.propose("--weights", weights.toString(), "--input-shape", "3,224,224", "--watch", "layer9");

        assertEquals(2, usage.status(), usage.err());
        assertTrue(usage.err().contains("--input-shape is required") && usage.err().contains("Usage: propose-manifest"), usage.err());
        assertEquals(1, watch.status(), watch.err());
        assertTrue(watch.err().contains("--watch 'layer9' is no block or stage"), watch.err());
    }

}
