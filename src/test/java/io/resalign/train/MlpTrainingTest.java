package io.resalign.train;

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
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.model.ModelManifest;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short DJL training runs on real Fashion-MNIST (Debian package dataset-fashion-mnist) and their
 * export: the engine must load the exported model directory and compute the same logits as the
 * DJL training model in inference mode, which checks every tensor name, layout and BatchNorm's
 * running statistics.
 */
class MlpTrainingTest {
    private static final int PROBE = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LabelledImages train;
    private static LabelledImages test;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readData() throws IOException {
        train = FashionMnistFixture.train(300);
        test = FashionMnistFixture.test(500);
    }

    private static TrainConfig small(boolean batchNorm, boolean skip, String phi) {
        return TrainConfig.defaults().withName("test-mlp").withShape(32, 3, batchNorm, skip, phi).withRun(2, 32, 1e-3f, 7L, 0);
    }

    @Test
    void shortRunLowersTheLossAndLearns() {
        try (TrainedMlp trained = MlpTraining.train(small(true, true, "identity").withRun(3, 32, 3e-3f, 7L, 0), train, test, s -> {})) {
            var loss = trained.trainLoss();
            assertEquals(3, loss.size());
            assertTrue(loss.get(1) < loss.get(0) && loss.get(2) < loss.get(1), "loss per epoch " + loss);
            assertTrue(trained.testAccuracy() > 0.5, "test accuracy " + trained.testAccuracy() + " after 3 short epochs (chance 0.1)");
            assertEquals(trained.testAccuracy(), trained.accuracy(test), 1e-12);
        }
    }

    @Test
    void sameSeedSameModel() {
        float[] a;
        float[] b;
        try (TrainedMlp t = MlpTraining.train(small(true, true, "identity"), train, null, s -> {})) {
            a = t.logits(test.data(), PROBE);
        }
        try (TrainedMlp t = MlpTraining.train(small(true, true, "identity"), train, null, s -> {})) {
            b = t.logits(test.data(), PROBE);
        }
        assertTrue(maxAbsDiff(a, b) < 1e-5, "two runs with one seed differ by " + maxAbsDiff(a, b));
    }

    @Test
    void exportedModelGivesTheTrainingModelsLogits() throws IOException {
        checkExport(small(true, true, "identity"), "bn-skip");
    }

    @Test
    void exportWithoutBatchNormAndWithReluPostActivation() throws IOException {
        checkExport(small(false, true, "relu"), "nobn-relu");
    }

    @Test
    void exportWithoutSkipsIsANoSkipNetworkForTheEngine() throws IOException {
        Path dir = checkExport(small(true, false, "identity"), "noskip");
        ModelManifest manifest = ModelManifest.read(dir);
        assertFalse(manifest.hyperparameters().getBoolean("skip", true), "manifest says skip false");
        // The engine's trajectory has no skip: h_{l+1} = F_l(h_l), not h_l + F_l(h_l).
        try (ResidualNetwork net = Architectures.load(dir, Device.cpu()); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray h = net.stem(raw(m, PROBE));
            for (ResidualBlock block : net.blocks()) {
                NDArray next = block.forward(h);
                NDArray branch = block.branch(h);
                assertTrue(maxAbsDiff(next.toFloatArray(), branch.toFloatArray()) == 0, "block " + block.name() + " adds no skip");
                assertTrue(maxAbsDiff(next.toFloatArray(), h.add(branch).toFloatArray()) > 1e-2, "block " + block.name());
                h = next;
            }
        }
        // Flipping the flag in the manifest changes the engine's logits: the export is not skip-agnostic.
        ObjectNode flipped = (ObjectNode) JSON.readTree(Files.readString(dir.resolve("manifest.json")));
        ((ObjectNode) flipped.get("hyperparameters")).put("skip", true);
        Path other = tmp.resolve("flipped");
        Files.createDirectories(other);
        Files.copy(dir.resolve("model.safetensors"), other.resolve("model.safetensors"));
        Files.writeString(other.resolve("manifest.json"), JSON.writeValueAsString(flipped));
        assertTrue(maxAbsDiff(engineLogits(dir), engineLogits(other)) > 1e-2);
    }

    @Test
    void manifestCarriesTheTrainingRecord() throws IOException {
        TrainConfig config = small(true, true, "identity");
        Path dir = tmp.resolve("record");
        try (TrainedMlp trained = MlpTraining.train(config, train, test, s -> {})) {
            TorchExport.write(trained, dir);
        }
        JsonNode m = JSON.readTree(Files.readString(dir.resolve("manifest.json")));
        assertEquals("resnet-mlp", m.get("architecture").asText());
        assertEquals("[1,28,28]", m.at("/input/shape").toString());
        assertEquals(1.0 / 255, m.at("/input/scale").asDouble(), 1e-15);
        assertEquals(0.2860, m.at("/input/mean/0").asDouble(), 1e-12);
        assertEquals(0.3530, m.at("/input/std/0").asDouble(), 1e-12);
        assertEquals("T-shirt/top", m.at("/classes/0").asText());
        assertEquals("Ankle boot", m.at("/classes/9").asText());
        JsonNode t = m.get("training");
        assertEquals("fashion-mnist", t.get("dataset").asText());
        assertEquals(2, t.get("epochs").asInt());
        assertEquals(7, t.get("seed").asLong());
        assertEquals("adam", t.get("optimizer").asText());
        assertEquals(1e-3, t.get("learning_rate").asDouble(), 1e-9);
        assertEquals(32, t.get("batch_size").asInt());
        assertEquals(300, t.get("train_samples").asInt());
        assertTrue(t.get("test_accuracy").asDouble() > 0.1);
        assertEquals(2, t.get("train_loss").size());
        assertTrue(t.get("training_seconds").asDouble() > 0);
        assertTrue(t.get("machine").asText().contains("cores"), t.get("machine").asText());
        // The engine's manifest parser accepts the record (unknown top-level fields are refused).
        ModelManifest.read(dir);
    }

    @Test
    void exportNamesAreTheTorchStateDictNames() {
        try (TrainedMlp trained = MlpTraining.train(small(true, true, "identity").withRun(1, 32, 1e-3f, 1L, 64), train.head(64), null,
                s -> {})) {
            var names = TorchExport.tensors(trained.network()).keySet();
            assertEquals(2 + 4 + 3 * 12 + 2, names.size());
            assertTrue(names.containsAll(java.util.List.of("stem.weight", "stem.bias", "stem_bn.weight", "stem_bn.bias",
                    "stem_bn.running_mean", "stem_bn.running_var", "blocks.2.fc1.weight", "blocks.2.bn1.running_var",
                    "blocks.2.fc2.bias", "blocks.2.bn2.weight", "head.weight", "head.bias")), names.toString());
            assertEquals(new Shape(32, 784), TorchExport.tensors(trained.network()).get("stem.weight").getShape());
            assertEquals(new Shape(10, 32), TorchExport.tensors(trained.network()).get("head.weight").getShape());
        }
    }

    /** Trains, exports, loads through the engine and compares logits; returns the model directory. */
    private Path checkExport(TrainConfig config, String name) throws IOException {
        Path dir = tmp.resolve(name);
        float[] djl;
        try (TrainedMlp trained = MlpTraining.train(config, train, null, s -> {})) {
            TorchExport.write(trained, dir);
            djl = trained.logits(test.data(), PROBE);
        }
        float[] engine = engineLogits(dir);
        double diff = maxAbsDiff(djl, engine);
        assertTrue(diff < 1e-4, name + ": engine and DJL logits differ by " + diff);
        assertTrue(Arrays.stream(toDouble(djl)).map(Math::abs).max().orElse(0) > 0.1, "non-trivial logits");
        return dir;
    }

    private static float[] engineLogits(Path dir) throws IOException {
        try (ResidualNetwork net = Architectures.load(dir, Device.cpu()); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray h = net.stem(raw(m, PROBE));
            for (ResidualBlock block : net.blocks()) {
                h = block.forward(h);
            }
            return net.head(h).toFloatArray();
        }
    }

    private static NDArray raw(NDManager m, int n) {
        return m.create(FloatBuffer.wrap(test.data(), 0, n * 784), new Shape(n, 1, 28, 28));
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
