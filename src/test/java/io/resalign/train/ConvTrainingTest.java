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
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.model.ModelManifest;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short DJL training runs of {@code resnet-conv} on real Fashion-MNIST and their export: the
 * engine loads the exported directory through its {@code resnet-conv} loader and computes the DJL
 * training model's logits (inference mode) on real test images, which checks every torchvision
 * name, tensor layout, stride, padding and BatchNorm's running statistics.
 *
 * <p>Training needs correct float32 convolution gradients, which oneDNN gives on this project's
 * machines only under {@code ONEDNN_MAX_CPU_ISA=SSE41} (docs/training.md): Maven runs this class
 * in the surefire execution {@code conv-training-under-onednn-sse41}, and every run here also
 * passes the trainer's float64 gradient check or fails.
 */
class ConvTrainingTest {
    private static final int PROBE = 64;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long[] IMAGE = {1, 28, 28};

    private static LabelledImages train;
    private static LabelledImages test;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readData() throws IOException {
        train = FashionMnistFixture.train(640);
        test = FashionMnistFixture.test(300);
    }

    private static TrainConfig run(int epochs, float lr) {
        return TrainConfig.defaults().withName("test-conv").withRun(epochs, 32, lr, 7L, 0);
    }

    private static ConvSpec spec(String stem, boolean batchNorm, boolean skip) {
        return new ConvSpec(stem, new int[] {4, 8}, new int[] {1, 2}, batchNorm, skip, 1e-5f, IMAGE, 10);
    }

    @Test
    void shouldLowerTheLossWhenTrainingShortly() {
        ConvSpec wider = new ConvSpec("cifar", new int[] {8, 16}, new int[] {1, 1}, true, true, 1e-5f, IMAGE, 10);
        try (TrainedConv trained = ConvTraining.train(run(3, 5e-3f), wider, train, test, s -> {})) {
            List<Double> loss = trained.trainLoss();
            assertEquals(3, loss.size());
            assertTrue(loss.get(1) < loss.get(0) && loss.get(2) < loss.get(1), "loss per epoch " + loss);
            assertTrue(trained.testAccuracy() > 0.3, "test accuracy " + trained.testAccuracy() + " after 3 short epochs (chance 0.1)");
            assertTrue(trained.gradientCheck().passed(), GradientCheck.describe(trained.gradientCheck()));
        }
    }

    @Test
    void shouldGiveTheTrainingModelsLogitsWhenLoadedByTheEngine() throws IOException {
        checkExport(spec("cifar", true, true), "cifar-bn-skip");
    }

    @Test
    void shouldExportImagenetStemWithoutSkips() throws IOException {
        Path dir = checkExport(spec("imagenet", true, false), "imagenet-noskip");
        assertFalse(ModelManifest.read(dir).hyperparameters().getBoolean("skip", true));
        // The engine's loader is strict: the load in checkExport would have refused a downsample
        // tensor, which has no place in a network without skips.
    }

    @Test
    void shouldExportIdentityBatchNormWhenTrainedWithout() throws IOException {
        Path dir = checkExport(spec("cifar", false, true), "cifar-nobn");
        JsonNode m = JSON.readTree(Files.readString(dir.resolve("manifest.json")));
        assertFalse(m.at("/training/batch_norm").asBoolean(true));
    }

    @Test
    void shouldWriteTorchvisionNamesAndTheTrainingRecord() throws IOException {
        Path dir = tmp.resolve("record");
        try (TrainedConv trained = ConvTraining.train(run(1, 1e-3f), spec("cifar", true, true), train, test, s -> {})) {
            var names = ConvExport.tensors(trained.network()).keySet();
            // stem conv + bn (5), layer1.0 (2 convs + 2 bns = 10), layer2.0 (10 + downsample 5), layer2.1 (10), fc (2)
            assertEquals(5 + 10 + 15 + 10 + 2, names.size(), names.toString());
            assertTrue(names.containsAll(List.of("conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer1.0.bn2.bias",
                    "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_mean", "layer2.1.conv2.weight", "fc.weight", "fc.bias")),
                    names.toString());
            assertEquals(new Shape(8, 4, 3, 3), ConvExport.tensors(trained.network()).get("layer2.0.conv1.weight").getShape());
            ConvExport.write(trained, dir);
        }
        JsonNode m = JSON.readTree(Files.readString(dir.resolve("manifest.json")));
        assertEquals("resnet-conv", m.get("architecture").asText());
        assertEquals("[1,2]", m.at("/hyperparameters/layers").toString());
        assertEquals("[4,8]", m.at("/hyperparameters/widths").toString());
        assertEquals("cifar", m.at("/hyperparameters/stem").asText());
        assertEquals("[1,28,28]", m.at("/input/shape").toString());
        JsonNode t = m.get("training");
        assertEquals(640, t.get("train_samples").asInt());
        assertEquals(1, t.get("train_loss").size());
        assertTrue(t.get("training_seconds").asDouble() > 0);
        assertTrue(t.at("/gradient_check/max_relative_error").asDouble() <= GradientCheck.TOLERANCE, t.toString());
        ModelManifest.read(dir);
    }

    @Test
    void shouldTrainAConvModelFromTheCommandLine() throws Exception {
        Path out = tmp.resolve("cli-conv");
        Train.main(new String[] {"--arch", "resnet-conv", "--widths", "4,8", "--layers", "1,1", "--stem", "cifar", "--skip", "true",
                "--epochs", "1", "--batch", "32", "--limit", "128", "--seed", "3", "--out", out.toString()});
        ModelManifest manifest = ModelManifest.read(out);
        assertEquals("resnet-conv", manifest.architecture());
        try (ResidualNetwork network = Architectures.load(out, Device.cpu())) {
            assertEquals(List.of("layer1.0", "layer2.0"), network.blocks().stream().map(ResidualBlock::name).toList());
        }
    }

    /** Trains briefly, exports, loads through the engine and compares logits on real test images; returns the model directory. */
    private Path checkExport(ConvSpec spec, String name) throws IOException {
        Path dir = tmp.resolve(name);
        float[] djl;
        try (TrainedConv trained = ConvTraining.train(run(1, 3e-3f), spec, train, null, s -> {})) {
            ConvExport.write(trained, dir);
            djl = trained.logits(test.data(), PROBE);
        }
        float[] engine = engineLogits(dir);
        double diff = 0;
        double max = 0;
        for (int i = 0; i < djl.length; i++) {
            diff = Math.max(diff, Math.abs(djl[i] - engine[i]));
            max = Math.max(max, Math.abs(djl[i]));
        }
        assertEquals(PROBE * 10, engine.length);
        assertTrue(diff < 1e-5, name + ": engine and DJL logits differ by " + diff);
        assertTrue(max > 0.1, name + ": non-trivial logits, largest " + max);
        return dir;
    }

    private static float[] engineLogits(Path dir) throws IOException {
        try (ResidualNetwork net = Architectures.load(dir, Device.cpu()); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray h = net.stem(m.create(FloatBuffer.wrap(test.data(), 0, PROBE * 784), new Shape(PROBE, 1, 28, 28)));
            for (ResidualBlock block : net.blocks()) {
                h = block.forward(h);
            }
            return net.head(h).toFloatArray();
        }
    }
}
