package io.resalign.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.model.ModelManifest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The committed trained models (models/demo-mlp and its no-skip counterfactual, models/demo-conv,
 * models/demo-vit) load through the engine, classify their bundled test images, carry their
 * training record, and the MLPs show the paper's contrast: Residual Jacobians align across depth
 * with skips and much less without.
 */
class DemoModelTest {

    @Test
    void demoModelsAreTrainedAndClassifyTheirSamples() throws Exception {
        double withSkips = check(Path.of("models/demo-mlp"), true);
        double withoutSkips = check(Path.of("models/demo-mlp-noskip"), false);
        // Random d x d Jacobians give about sqrt(2/pi) / (2 sqrt(128)) = 0.035 (docs/metrics-definitions.md).
        assertTrue(withSkips > 2 * withoutSkips, "alignment with skips " + withSkips + ", without " + withoutSkips);
    }

    @Test
    void demoConvModelIsTrainedAndClassifiesItsSamplesOnTheMatrixFreePath() throws Exception {
        Path dir = Path.of("models/demo-conv");
        ModelManifest manifest = ModelManifest.read(dir);
        assertEquals("resnet-conv", manifest.architecture());
        assertTrue(manifest.raw().at("/training/gradient_check/max_relative_error").asDouble() < 1e-3, "trained on checked gradients");
        SampleBatch samples = SampleReaders.readLabelled(dir.resolve("samples.npy"), dir.resolve("labels.npy"));
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu());
             AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults())) {
            // layer1's Jacobians are 6,272 x 6,272: above the dense limit, so matrix-free.
            assertTrue(network.blocks().get(0).inShape().size() > EngineOptions.defaults().denseLimit());
            int n = 4;
            List<SampleMetrics> metrics = engine.analyse(java.util.Arrays.copyOf(samples.data(), n * 784), n, 0);
            int correct = 0;
            for (SampleMetrics m : metrics) {
                correct += m.predicted() == samples.labels()[m.index()] ? 1 : 0;
                assertTrue(m.alignment() > 0 && m.alignment() <= 1, "alignment " + m.alignment());
            }
            assertTrue(correct >= 3, correct + "/" + n + " bundled samples right");
        }
        assertTrue(manifest.raw().at("/training/test_accuracy").asDouble() >= 0.88);
        assertEquals(60000, manifest.raw().at("/training/train_samples").asInt());
    }

    @Test
    void demoVitModelIsTrainedAndClassifiesItsSamplesThroughItsEightEncoderBlocks() throws Exception {
        Path dir = Path.of("models/demo-vit");
        ModelManifest manifest = ModelManifest.read(dir);
        assertEquals("vit", manifest.architecture());
        assertEquals("fashion-mnist", manifest.raw().at("/training/dataset").asText());
        assertEquals(60000, manifest.raw().at("/training/train_samples").asInt());
        // Torch's accuracy on the 10k test set; the engine's is the same (models/demo-vit/README.md).
        assertTrue(manifest.raw().at("/training/test_accuracy").asDouble() >= 0.85, "test accuracy on the 10k test set");
        SampleBatch samples = SampleReaders.readLabelled(dir.resolve("samples.npy"), dir.resolve("labels.npy"));
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu());
             AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults())) {
            List<String> names = network.blocks().stream().map(b -> b.name()).toList();
            assertEquals(List.of("encoder_layer_0.attention", "encoder_layer_0.mlp", "encoder_layer_1.attention", "encoder_layer_1.mlp",
                    "encoder_layer_2.attention", "encoder_layer_2.mlp", "encoder_layer_3.attention", "encoder_layer_3.mlp"), names);
            int n = samples.labels().length;
            List<SampleMetrics> metrics = engine.analyse(samples.data(), n, 0);
            int correct = 0;
            for (SampleMetrics m : metrics) {
                correct += m.predicted() == samples.labels()[m.index()] ? 1 : 0;
                assertEquals(8, m.blocks().size());
                assertTrue(m.alignment() > 0 && m.alignment() <= 1, "alignment " + m.alignment());
            }
            // torch classifies 60 of the 64 right and the engine predicts as torch does on all 10k test images
            assertEquals(60, correct, correct + "/" + n + " bundled samples right");
        }
    }

    private static double check(Path dir, boolean skip) throws Exception {
        ModelManifest manifest = ModelManifest.read(dir);
        assertEquals(skip, manifest.hyperparameters().getBoolean("skip", true));
        assertEquals("fashion-mnist", manifest.raw().at("/training/dataset").asText());
        assertEquals(60000, manifest.raw().at("/training/train_samples").asInt());
        assertTrue(manifest.raw().at("/training/test_accuracy").asDouble() >= 0.88, dir + ": test accuracy on the 10k test set");
        SampleBatch samples = SampleReaders.readLabelled(dir.resolve("samples.npy"), dir.resolve("labels.npy"));
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu());
             AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults())) {
            int n = 32;
            List<SampleMetrics> metrics = engine.analyse(java.util.Arrays.copyOf(samples.data(), n * 784), n, 0);
            int correct = 0;
            double alignment = 0;
            double lineShape = 0;
            for (SampleMetrics m : metrics) {
                correct += m.predicted() == samples.labels()[m.index()] ? 1 : 0;
                alignment += m.alignment() / n;
                lineShape += m.lineShape() / n;
            }
            System.out.printf("%s: %d/%d right, mean alignment %.4f, mean line_shape %.3f%n", dir, correct, n, alignment, lineShape);
            assertTrue(correct >= 0.8 * n, dir + ": " + correct + "/" + n + " bundled samples right");
            return alignment;
        }
    }
}
