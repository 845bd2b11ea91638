package io.resalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.testing.RandomModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ojalgo.matrix.decomposition.SingularValue;
import org.ojalgo.matrix.store.R064Store;

/**
 * Checks the matrix-free path (products only, randomized SVD with fixed power steps) of a small
 * convolutional ResNet against full SVDs of its explicit Jacobians computed by ojAlgo, and that
 * the engine keeps no array alive between batches.
 */
class MatrixFreePathTest {
    @TempDir
    Path dir;

    private Path conv() throws IOException {
        ObjectNode m = RandomModels.manifest("conv", "resnet-conv", 4, 3, 8, 8);
        return RandomModels.conv(m, 3, new int[] {2, 2}, new int[] {4, 8}, "cifar", 4, true, 31).write(dir.resolve("conv"), m);
    }

    @Test
    void shouldMatchFullSvdsOfTheExplicitJacobiansWhenMatrixFree() throws IOException {
        Path model = conv();
        int samples = 2;
        float[] x = RandomModels.gaussian(new Random(2), samples * 3 * 8 * 8, 1.0);
        EngineOptions matrixFree = EngineOptions.defaults().withDenseLimit(0).withMatrixFree(12, 12);
        try (ResidualNetwork network = Architectures.load(model, Device.cpu());
                AlignmentEngine engine = new AlignmentEngine(network, matrixFree);
                NDManager m = NDManager.newBaseManager()) {
            List<SampleMetrics> results = engine.analyse(x, samples, 0);
            Trajectory t = Trajectory.trace(network, m.create(x, new Shape(samples, 3, 8, 8)));
            for (int l = 0; l < network.blocks().size(); l++) {
                ResidualBlock block = network.blocks().get(l);
                float[] dense = block.linearize(t.states().get(l)).dense(m).toFloatArray();
                int rows = (int) block.outShape().size();
                int cols = (int) block.inShape().size();
                for (int b = 0; b < samples; b++) {
                    SingularValue<Double> ref = svd(dense, b, rows, cols);
                    BlockMetrics got = results.get(b).blocks().get(l);
                    double frob = 0;
                    for (int i = b * rows * cols; i < (b + 1) * rows * cols; i++) {
                        frob += dense[i] * (double) dense[i];
                    }
                    for (int i = 0; i < got.singularValues().length; i++) {
                        double want = ref.getSingularValues().doubleValue(i);
                        assertEquals(want, got.singularValues()[i], 1e-3 * want,
                                block.name() + " sample " + b + " sigma_" + (i + 1) + " (matrix-free vs full SVD)");
                    }
                    // the conv operator has no closed-form norm: the Hutchinson estimate from the sketch
                    assertEquals(false, got.frobeniusExact());
                    assertEquals(frob, got.frobeniusSquared(), 0.35 * frob, block.name() + " Frobenius estimate");
                }
            }
            assertEquals(List.of("layer1.0", "layer1.1", "layer2.0", "layer2.1"),
                    results.get(0).blocks().stream().map(BlockMetrics::name).toList());
            assertTrue(Double.isNaN(results.get(0).blocks().get(2).selfAlignment()), "a down-sampling block has no self-alignment");
        }
    }

    private static SingularValue<Double> svd(float[] dense, int b, int rows, int cols) {
        R064Store x = R064Store.FACTORY.make(rows, cols);
        int off = b * rows * cols;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                x.set(i, j, dense[off + i * cols + j]);
            }
        }
        SingularValue<Double> svd = SingularValue.R064.make(x);
        assertTrue(svd.decompose(x));
        return svd;
    }

    @Test
    void shouldKeepNoArrayAliveBetweenBatches() throws IOException {
        Path model = conv();
        try (ResidualNetwork network = Architectures.load(model, Device.cpu());
                AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults())) {
            for (int batch = 0; batch < 5; batch++) {
                engine.analyse(RandomModels.gaussian(new Random(batch), 2 * 3 * 8 * 8, 1.0), 2, 2 * batch);
                assertEquals(0, engine.openArrays(), "arrays left open after batch " + batch);
            }
        }
    }
}
