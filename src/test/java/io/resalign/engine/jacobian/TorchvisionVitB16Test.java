package io.resalign.engine.jacobian;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Checks {@code vit} at torchvision's {@code vit_b_16} (224 x 224, 12 layers, D = 768, 197 tokens)
 * against torchvision with random weights, one sample: the logits and the class-token J v and
 * J^T u of the first branch and of the last one, whose input has been through 23 residual blocks.
 */
class TorchvisionVitB16Test {
    private static final List<String> BLOCKS = List.of("encoder_layer_0.attention", "encoder_layer_11.mlp");

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeVitB16WithTorchvision() throws IOException, InterruptedException {
        long started = System.nanoTime();
        List<String> args = new java.util.ArrayList<>(List.of(dir.toString(), "--variant", "vit_b_16", "--batch", "1", "--tangents", "2",
                "--blocks"));
        args.addAll(BLOCKS);
        System.out.print(Python.torchvisionVit(args.toArray(String[]::new)));
        System.out.printf("vit_b_16 reference written in %.1f s%n", (System.nanoTime() - started) / 1e9);
        TorchReference.writeVitManifest(dir, "{\"variant\": \"vit_b_16\"}", 3, 224, 10);
    }

    @Test
    void shouldMatchTorchvisionWhenRunningVitB16AtNativeResolutionInFloat32() throws IOException {
        // measured logits 4.6e-7, products 6.6e-7 to 1.8e-6
        assertMatchesTorch(DataType.FLOAT32, 1e-5);
    }

    @Test
    void shouldMatchTorchvisionWhenRunningVitB16AtNativeResolutionInFloat64() throws IOException {
        // measured logits 2.2e-15, products <= 6.8e-15
        assertMatchesTorch(DataType.FLOAT64, 1e-6);
    }

    /**
     * The engine end to end on one vit_b_16 sample: all 24 class-token Jacobians (768 x 768) on the
     * dense path, every block's metrics finite, and the time it takes printed for docs/engine.md.
     */
    @Test
    void shouldComputeEveryBlockMetricWhenEngineAnalysesOneVitB16Sample() throws IOException {
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu());
                AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] input = TorchReference.read(m, dir).get("input").toType(DataType.FLOAT32, false).toFloatArray();
            long started = System.nanoTime();
            SampleMetrics sample = engine.analyse(input, 1, 0).get(0);
            System.out.printf("vit_b_16 engine, one sample, 24 blocks dense: %.1f s, line_shape %.3f, alignment %.3f%n",
                    (System.nanoTime() - started) / 1e9, sample.lineShape(), sample.alignment());

            assertEquals(24, sample.blocks().size());
            for (BlockMetrics block : sample.blocks()) {
                assertTrue(block.sigma1() > 0 && Double.isFinite(block.alignment()), block.name() + ": " + block);
            }
            assertTrue(sample.lineShape() >= 1, "line_shape of the class token's trajectory " + sample.lineShape());
        }
    }

    private static void assertMatchesTorch(DataType type, double tolerance) throws IOException {
        long started = System.nanoTime();
        try (ResidualNetwork network = Architectures.load(dir, Device.cpu(), type);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            long loaded = System.nanoTime();
            Map<String, NDArray> ref = TorchReference.read(m, dir);
            Trajectory t = Trajectory.trace(network, ref.get("input").toType(type, false));
            long traced = System.nanoTime();
            double logits = TorchReference.relativeError(t.logits(), ref.get("logits"));
            System.out.printf("vit_b_16 %s logits %.3g (load %.1f s, forward %.1f s)%n", type, logits, (loaded - started) / 1e9,
                    (traced - loaded) / 1e9);
            assertEquals(new Shape(1, 10), t.logits().getShape());
            assertTrue(logits <= tolerance, "vit_b_16 " + type + " logits vs torchvision (float64) relative error " + logits);
            for (String name : BLOCKS) {
                long before = System.nanoTime();
                double[] errors = TorchReference.vitProductErrors(network, t, ref, name, type);
                System.out.printf("vit_b_16 %s %s: J v %.3g, J^T u %.3g (%.2f s)%n", type, name, errors[0], errors[1],
                        (System.nanoTime() - before) / 1e9);
                assertTrue(errors[0] <= tolerance, name + " " + type + ": J v vs torch jvp (float64) relative error " + errors[0]);
                assertTrue(errors[1] <= tolerance, name + " " + type + ": J^T u vs torch vjp (float64) relative error " + errors[1]);
            }
        }
    }
}
