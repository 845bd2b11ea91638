package io.resalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.RaFormulas;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.model.ModelWriter;
import io.resalign.engine.testing.RandomModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ojalgo.matrix.decomposition.SingularValue;
import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;

/**
 * Runs the whole engine on networks built so that the answer is known: blocks sharing one aligned
 * rank-1 Jacobian, independent random blocks (the no-alignment level, simulated here), an exactly
 * straight and equispaced trajectory, and the same weights with and without skip connections.
 */
class ConstructedCasesTest {
    @TempDir
    Path dir;

    private static List<SampleMetrics> analyse(Path model, int samples, long seed) throws IOException {
        try (ResidualNetwork network = Architectures.load(model, Device.cpu());
                AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults())) {
            float[] x = RandomModels.gaussian(new Random(seed), (int) (samples * network.manifest().input().size()), 1.0);
            return engine.analyse(x, samples, 0);
        }
    }

    @Test
    void shouldReportPerfectAlignmentAndRankOneWhenBlocksShareOneAlignedRankOneJacobian() throws IOException {
        // fc1 row 0 = c_l u, bias 0 = 10 (that unit is always on), fc2 column 0 = u, all else 0:
        // F_l(h) = u (c_l u.h + 10), so J_l = c_l u u^T for every sample: rank 1, u = v, one basis for all blocks.
        int d = 16;
        int depth = 5;
        ObjectNode manifest = RandomModels.manifest("rank1", "resnet-mlp", 4, d);
        ModelWriter w = RandomModels.mlp(manifest, d, d, depth, 4, false, true, 1);
        float[] u = RandomModels.gaussian(new Random(2), d, 1);
        double norm = 0;
        for (float v : u) {
            norm += v * v;
        }
        for (int i = 0; i < d; i++) {
            u[i] /= (float) Math.sqrt(norm);
        }
        for (int l = 0; l < depth; l++) {
            float c = 0.05f * (l + 1);
            float[] fc1 = new float[d * d];
            float[] fc2 = new float[d * d];
            float[] b1 = new float[d];
            java.util.Arrays.fill(b1, -1f);
            b1[0] = 10f;
            for (int i = 0; i < d; i++) {
                fc1[i] = c * u[i];
                fc2[i * d] = u[i];
            }
            w.put("blocks." + l + ".fc1.weight", fc1, d, d).put("blocks." + l + ".fc1.bias", b1, d);
            w.put("blocks." + l + ".fc2.weight", fc2, d, d).put("blocks." + l + ".fc2.bias", new float[d], d);
        }
        for (SampleMetrics s : analyse(w.write(dir.resolve("rank1"), manifest), 6, 3)) {
            assertEquals(1.0, s.alignment(), 1e-5, "sample " + s.index() + " alignment");
            for (int l = 0; l < depth; l++) {
                BlockMetrics b = s.blocks().get(l);
                assertEquals(1, b.effectiveRank(), "block " + l + " effective rank");
                assertEquals(0.05 * (l + 1), b.sigma1(), 1e-6, "block " + l + " sigma1 = c_l");
                assertEquals(1.0, b.selfAlignment(), 1e-5, "block " + l + " self-alignment");
                assertEquals(1.0, b.stableRank(), 1e-4, "block " + l + " stable rank");
                assertEquals(1.0, b.alignment(), 1e-5, "block " + l + " alignment");
            }
        }
    }

    @Test
    void shouldSitAtTheSimulatedNoAlignmentLevelWhenBlocksAreIndependentAndRandom() throws IOException {
        int d = 128;
        int depth = 6;
        int classes = 10;
        ObjectNode manifest = RandomModels.manifest("random", "resnet-mlp", classes, d);
        Path model = RandomModels.mlp(manifest, d, d, depth, classes, false, true, 17).write(dir.resolve("random"), manifest);
        List<SampleMetrics> samples = analyse(model, 16, 4);
        double engineLevel = samples.stream().mapToDouble(SampleMetrics::alignment).average().orElseThrow();

        // Simulation, independent of the engine: Jacobians of the same structure W2 diag(mask) W1
        // (Gaussian weights, Bernoulli(1/2) masks), exact SVDs by ojAlgo, RA.md's cross-alignment.
        Random random = new Random(99);
        int draws = 60;
        double sum = 0;
        for (int t = 0; t < draws; t++) {
            double[][] ji = randomJacobian(random, d);
            double[][] jj = randomJacobian(random, d);
            SingularValue<Double> si = svd(ji);
            SingularValue<Double> sj = svd(jj);
            double[] proj = new double[classes];
            double[] sigmaJ = new double[classes];
            for (int m = 0; m < classes; m++) {
                proj[m] = bilinear(si.getU(), m, jj, si.getV());
                sigmaJ[m] = sj.getSingularValues().doubleValue(m);
            }
            sum += RaFormulas.crossAlignment(proj, sigmaJ, classes);
        }
        double simulated = sum / draws;
        assertEquals(simulated, engineLevel, 0.25 * simulated,
                "engine's alignment of independent random blocks vs the simulated level " + simulated);
        assertTrue(engineLevel < 0.1, "no alignment is far below aligned levels (near 1): " + engineLevel);
    }

    private static double[][] randomJacobian(Random random, int d) {
        double[][] w1 = new double[d][d];
        double[][] w2 = new double[d][d];
        boolean[] mask = new boolean[d];
        for (int i = 0; i < d; i++) {
            mask[i] = random.nextBoolean();
            for (int j = 0; j < d; j++) {
                w1[i][j] = random.nextGaussian();
                w2[i][j] = random.nextGaussian();
            }
        }
        double[][] j = new double[d][d];
        for (int a = 0; a < d; a++) {
            for (int m = 0; m < d; m++) {
                if (mask[m]) {
                    double x = w2[a][m];
                    for (int b = 0; b < d; b++) {
                        j[a][b] += x * w1[m][b];
                    }
                }
            }
        }
        return j;
    }

    private static SingularValue<Double> svd(double[][] m) {
        R064Store x = R064Store.FACTORY.rows(m);
        SingularValue<Double> svd = SingularValue.R064.make(x);
        assertTrue(svd.decompose(x));
        return svd;
    }

    private static double bilinear(MatrixStore<Double> u, int m, double[][] j, MatrixStore<Double> v) {
        double sum = 0;
        for (int a = 0; a < j.length; a++) {
            double row = 0;
            for (int b = 0; b < j.length; b++) {
                row += j[a][b] * v.doubleValue(b, m);
            }
            sum += u.doubleValue(a, m) * row;
        }
        return sum;
    }

    @Test
    void shouldGiveLineShapeOneAndNoStepVariationWhenTheTrajectoryIsStraightAndEquispaced() throws IOException {
        // fc2 = 0 and fc2.bias = c: F(h) = c for every h, so h_{l+1} = h_l + c.
        int d = 12;
        ObjectNode manifest = RandomModels.manifest("straight", "resnet-mlp", 3, d);
        ModelWriter w = RandomModels.mlp(manifest, d, d, 7, 3, false, true, 5);
        float[] c = RandomModels.gaussian(new Random(6), d, 1);
        for (int l = 0; l < 7; l++) {
            w.put("blocks." + l + ".fc2.weight", new float[d * d], d, d).put("blocks." + l + ".fc2.bias", c, d);
        }
        for (SampleMetrics s : analyse(w.write(dir.resolve("straight"), manifest), 5, 8)) {
            assertEquals(1.0, s.lineShape(), 1e-5, "sample " + s.index());
            assertEquals(0.0, s.stepCv(), 1e-5, "sample " + s.index());
            assertEquals(1, s.stages().size());
            assertEquals(7, s.stages().get(0).steps());
        }
    }

    @Test
    void shouldChangeTheComputationWhenOnlyTheSkipFlagDiffers() throws IOException {
        ObjectNode withSkip = RandomModels.manifest("skip", "resnet-mlp", 4, 20);
        ModelWriter w = RandomModels.mlp(withSkip, 20, 16, 4, 4, true, true, 21);
        Path skip = w.write(dir.resolve("skip"), withSkip);
        ObjectNode noSkip = withSkip.deepCopy();
        ((ObjectNode) noSkip.get("hyperparameters")).put("skip", false);
        Path plain = w.write(dir.resolve("noskip"), noSkip);

        try (ResidualNetwork a = Architectures.load(skip, Device.cpu());
                ResidualNetwork b = Architectures.load(plain, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(3, 20));
            Trajectory ta = Trajectory.trace(a, x);
            Trajectory tb = Trajectory.trace(b, x);
            // same stem, then h_1 differs by exactly h_0 (identity post-activation): the skip is the only difference
            NDArray h0 = ta.states().get(0);
            NDArray diff = ta.states().get(1).sub(tb.states().get(1)).sub(h0);
            assertTrue(diff.abs().max().getFloat() < 1e-5, "h_1(skip) - h_1(no skip) = h_0");
        }
        List<SampleMetrics> sa = analyse(skip, 4, 9);
        List<SampleMetrics> sb = analyse(plain, 4, 9);
        for (int i = 0; i < sa.size(); i++) {
            assertTrue(Math.abs(sa.get(i).lineShape() - sb.get(i).lineShape()) > 1e-3, "line shape of sample " + i);
            assertTrue(Math.abs(sa.get(i).alignment() - sb.get(i).alignment()) > 1e-4, "alignment of sample " + i);
        }
    }
}
