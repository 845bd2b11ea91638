package io.resalign.engine.jacobian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.testing.Python;
import io.resalign.engine.testing.TorchReference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the optional full-sequence Jacobian of {@code vit} ({@code jacobian: sequence}) against
 * torchvision: on the 2-layer ViT of TorchvisionVitTest, torch autograd in float64 gives J v, J^T u
 * and the full singular values of {@code d branch(H) / d H} (17 tokens x 32 = 544 per side) for all
 * four branches; the engine's products, and its top singular values on the dense and on the
 * matrix-free path, must agree.
 */
class TorchvisionVitSequenceTest {
    private static final List<String> BLOCKS = List.of("encoder_layer_0.attention", "encoder_layer_0.mlp", "encoder_layer_1.attention",
            "encoder_layer_1.mlp");
    private static final int SVD_K = 10;

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeModelWithTorchvision() throws IOException, InterruptedException {
        System.out.print(Python.torchvisionVit(dir.toString(), "--batch", "2", "--tangents", "3", "--svd", "--sequence"));
        TorchReference.writeVitManifest(dir, "{\"image_size\": 32, \"patch_size\": 8, \"num_layers\": 2, \"num_heads\": 2,"
                + " \"hidden_dim\": 32, \"mlp_dim\": 64, \"jacobian\": \"sequence\"}", 3, 32, 10);
    }

    @Test
    void shouldMatchTorchAutogradWhenApplyingFullSequenceJacobiansInFloat64() throws IOException {
        // measured <= 6.4e-16
        TorchReference.assertVitProducts(dir, BLOCKS, ".seq", DataType.FLOAT64, 1e-6);
    }

    @Test
    void shouldStayWithinFloat32RoundingWhenFullSequenceProductsRunInFloat32() throws IOException {
        // measured 2.5e-7 to 3.8e-7
        TorchReference.assertVitProducts(dir, BLOCKS, ".seq", DataType.FLOAT32, 1e-5);
    }

    @Test
    void shouldMatchTorchSvdWhenEngineComputesFullSequenceSingularValuesDensely() throws IOException {
        // measured 3.0e-7
        double worst = worstSingularValueError(EngineOptions.defaults().withK(SVD_K));
        System.out.printf("vit sequence top-%d singular values, dense path: %.3g%n", SVD_K, worst);
        assertTrue(worst <= 1e-5, "dense path vs torch svdvals, worst relative error " + worst);
    }

    /** The path vit_b_16's 151,296-wide sequence Jacobians would take; random weights make a flat spectrum, hence more steps. */
    @Test
    void shouldMatchTorchSvdWhenEngineComputesFullSequenceSingularValuesMatrixFree() throws IOException {
        double worst = worstSingularValueError(EngineOptions.defaults().withK(SVD_K).withDenseLimit(0).withMatrixFree(20, 8));
        System.out.printf("vit sequence top-%d singular values, matrix-free path (p 20, 8 power steps): %.3g%n", SVD_K, worst);
        // measured 2.1e-5
        assertTrue(worst <= 1e-3, "matrix-free path vs torch svdvals, worst relative error " + worst);
    }

    private static double worstSingularValueError(EngineOptions options) throws IOException {
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu());
                AlignmentEngine engine = new AlignmentEngine(network, options);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> ref = TorchReference.read(m, dir);
            List<SampleMetrics> samples = engine.analyse(ref.get("input").toType(DataType.FLOAT32, false).toFloatArray(), 2, 0);
            double worst = 0;
            for (int b = 0; b < 2; b++) {
                assertEquals(BLOCKS.size(), samples.get(b).stages().get(0).steps());
                for (BlockMetrics block : samples.get(b).blocks()) {
                    double[] expected = ref.get(block.name() + ".seq.singular_values").get(b).toDoubleArray();
                    for (int i = 0; i < SVD_K; i++) {
                        worst = Math.max(worst, Math.abs(block.singularValues()[i] - expected[i]) / expected[i]);
                    }
                }
            }
            return worst;
        }
    }
}
