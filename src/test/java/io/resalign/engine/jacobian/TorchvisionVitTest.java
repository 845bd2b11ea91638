package io.resalign.engine.jacobian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.metrics.StageMetrics;
import io.resalign.engine.testing.Python;
import io.resalign.engine.testing.TorchReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the {@code vit} architecture against torchvision itself: the script
 * src/test/python/torchvision_vit_reference.py builds
 * {@code VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
 * mlp_dim=64, num_classes=10)} with random weights and LayerNorm affine parameters, writes its
 * state_dict, and computes in float64 with torch autograd the logits of two samples and, for all
 * four branches, the class-token Jacobian's J v (jvp), J^T u (vjp) and full singular values. The
 * engine loads the same file through its normal loader and must agree.
 */
class TorchvisionVitTest {
    private static final List<String> BLOCKS = List.of("encoder_layer_0.attention", "encoder_layer_0.mlp", "encoder_layer_1.attention",
            "encoder_layer_1.mlp");
    private static final int CLASSES = 10;
    private static final int SVD_K = 10;

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeModelWithTorchvision() throws IOException, InterruptedException {
        System.out.print(Python.torchvisionVit(dir.toString(), "--batch", "2", "--tangents", "3", "--svd"));
        TorchReference.writeVitManifest(dir, "{\"image_size\": 32, \"patch_size\": 8, \"num_layers\": 2, \"num_heads\": 2,"
                + " \"hidden_dim\": 32, \"mlp_dim\": 64}", 3, 32, CLASSES);
        Path gray = Files.createDirectories(dir.resolve("one-channel"));
        System.out.print(Python.torchvisionVit(gray.toString(), "--channels", "1", "--image-size", "28", "--patch-size", "7",
                "--batch", "2", "--tangents", "2"));
        TorchReference.writeVitManifest(gray, "{\"patch_size\": 7, \"num_layers\": 2, \"num_heads\": 2, \"hidden_dim\": 32,"
                + " \"mlp_dim\": 64}", 1, 28, CLASSES);
    }

    @Test
    void shouldMatchTorchvisionLogitsWhenLoadingVitInFloat64() throws IOException {
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu(), DataType.FLOAT64);
                ResidualNetwork network32 = Architectures.load(dir, Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> ref = TorchReference.read(m, dir);
            NDArray logits = Trajectory.trace(network, ref.get("input")).logits();
            NDArray logits32 = Trajectory.trace(network32, ref.get("input").toType(DataType.FLOAT32, false)).logits();

            double err = TorchReference.relativeError(logits, ref.get("logits"));
            double err32 = TorchReference.relativeError(logits32, ref.get("logits"));
            System.out.printf("vit logits: float64 %.3g, float32 %.3g%n", err, err32);
            assertEquals(new Shape(2, CLASSES), logits.getShape());
            // measured 3.9e-16 (float64) and 2.0e-7 (float32)
            assertTrue(err <= 1e-6, "float64 logits vs torchvision relative error " + err);
            assertTrue(err32 <= 1e-5, "float32 logits vs torchvision (float64) relative error " + err32);
        }
    }

    @Test
    void shouldMatchTorchAutogradWhenApplyingClassTokenJacobiansInFloat64() throws IOException {
        // measured <= 2.3e-15
        TorchReference.assertVitProducts(dir, BLOCKS, "", DataType.FLOAT64, 1e-6);
    }

    /** The engine's production precision: float32 weights, h_l and tangents, against torch's float64. */
    @Test
    void shouldStayWithinFloat32RoundingOfTorchAutogradWhenClassTokenProductsRunInFloat32() throws IOException {
        // measured 1.8e-7 to 1.3e-6 (the second attention branch, after three residual blocks of float32 rounding)
        TorchReference.assertVitProducts(dir, BLOCKS, "", DataType.FLOAT32, 1e-5);
    }

    /**
     * The engine end to end: D = 32 is within the dense limit, so it builds every class-token
     * Jacobian from 32 J^T products and iterates its SVD to the dense tolerance, in float32; torch's
     * full float64 svdvals of the autograd Jacobian are the reference. RA1 runs on the class token's
     * trajectory: one stage of 2L = 4 steps.
     */
    @Test
    void shouldMatchTorchSvdWhenEngineComputesClassTokenSingularValues() throws IOException {
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu());
                AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults().withK(SVD_K));
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> ref = TorchReference.read(m, dir);
            float[] input = ref.get("input").toType(DataType.FLOAT32, false).toFloatArray();
            List<SampleMetrics> samples = engine.analyse(input, 2, 0);

            double worst = 0;
            for (int b = 0; b < 2; b++) {
                SampleMetrics sample = samples.get(b);
                assertEquals(List.of("encoder"), sample.stages().stream().map(StageMetrics::name).toList());
                assertEquals(BLOCKS.size(), sample.stages().get(0).steps());
                for (BlockMetrics block : sample.blocks()) {
                    double[] expected = ref.get(block.name() + ".singular_values").get(b).toDoubleArray();
                    for (int i = 0; i < SVD_K; i++) {
                        worst = Math.max(worst, Math.abs(block.singularValues()[i] - expected[i]) / expected[i]);
                    }
                }
                assertTrue(Double.isFinite(sample.alignment()), "cross alignment over the 4 comparable encoder blocks");
            }
            System.out.printf("vit top-%d class-token singular values (engine dense path, float32) vs torch svdvals: %.3g%n", SVD_K,
                    worst);
            // measured 5.6e-7; the dense path stops at a 1e-6 change
            assertTrue(worst <= 1e-5, "top singular values vs torch svdvals, worst relative error " + worst);
        }
    }

    /** A Fashion-MNIST-shaped ViT: conv_proj's in-channels come from input.shape, image_size from its side. */
    @Test
    void shouldMatchTorchvisionWhenInputHasOneChannel() throws IOException {
        Path gray = dir.resolve("one-channel");
        try (ResidualNetwork network = Architectures.load(gray, Device.cpu(), DataType.FLOAT64);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> ref = TorchReference.read(m, gray);
            double logits = TorchReference.relativeError(Trajectory.trace(network, ref.get("input")).logits(), ref.get("logits"));
            System.out.printf("vit 1 x 28 x 28 float64 logits %.3g%n", logits);
            assertTrue(logits <= 1e-6, "one-channel logits vs torchvision relative error " + logits);
        }
        TorchReference.assertVitProducts(gray, BLOCKS, "", DataType.FLOAT64, 1e-6);
    }

    @Test
    void shouldFailNamingTensorAndBothShapesWhenCheckpointDoesNotMatchManifest() throws IOException {
        Path wrong = dir.resolve("wrong");
        Files.createDirectories(wrong);
        Files.copy(dir.resolve("model.safetensors"), wrong.resolve("model.safetensors"));
        TorchReference.writeVitManifest(wrong, "{\"image_size\": 32, \"patch_size\": 8, \"num_layers\": 2, \"num_heads\": 2,"
                + " \"hidden_dim\": 32, \"mlp_dim\": 128}", 3, 32, CLASSES);

        IOException e = assertThrows(IOException.class, () -> Architectures.load(wrong, Device.cpu()).close());
        assertTrue(e.getMessage().contains("tensor 'encoder.layers.encoder_layer_0.mlp.0.weight' has shape [64, 32], expected [128, 32]"),
                e.getMessage());
    }

    @Test
    void shouldExposeTwoBlocksPerEncoderLayerWhenLoadingVit() throws IOException {
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu())) {
            assertEquals(BLOCKS, network.blocks().stream().map(ResidualBlock::name).toList());
            assertEquals(List.of("attention", "mlp", "attention", "mlp"), network.blocks().stream().map(ResidualBlock::kind).toList());
            assertEquals(new Shape(17, 32), network.blocks().get(0).inShape());
        }
    }
}
