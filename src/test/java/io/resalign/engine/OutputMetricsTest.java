package io.resalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.testing.RandomModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the output-side metrics (entropy and max-softmax confidence of the logits) against a
 * float64 computation written out class by class, on hand-made logits with known answers and on a
 * network's own logits through the whole engine.
 */
class OutputMetricsTest {
    @TempDir
    Path dir;

    /** Entropy (nats) and max softmax probability of one logit vector, in float64, by the textbook formula. */
    static double[] float64(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : logits) {
            z += Math.exp(v - max);
        }
        double entropy = 0;
        double confidence = 0;
        for (float v : logits) {
            double p = Math.exp(v - max) / z;
            if (p > 0) {
                entropy -= p * Math.log(p);
            }
            confidence = Math.max(confidence, p);
        }
        return new double[] {entropy, confidence};
    }

    @Test
    void shouldGiveLogCAndOneOverCForEqualLogitsAndZeroAndOneForADominantLogit() {
        float[][] rows = {{0, 0, 0, 0}, {3, 3, 3, 3}, {1000, -1000, 0, 0}, {2, 1, 0, -1}, {-50, -51, -49, -50.5f}};
        float[] flat = new float[rows.length * 4];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * 4, 4);
        }
        double[][] out;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            out = AlignmentEngine.outputMetrics(manager.create(flat, new Shape(rows.length, 4)));
        }
        assertEquals(Math.log(4), out[0][0], 1e-6, "uniform entropy is log C");
        assertEquals(0.25, out[1][0], 1e-7, "uniform confidence is 1/C");
        assertEquals(Math.log(4), out[0][1], 1e-6, "a constant added to every logit changes nothing");
        assertEquals(0.0, out[0][2], 1e-6, "a logit 1000 above the rest is one-hot: no NaN from exp overflow");
        assertEquals(1.0, out[1][2], 1e-7);
        for (int r = 3; r < rows.length; r++) {
            double[] expected = float64(rows[r]);
            assertEquals(expected[0], out[0][r], 1e-6, "entropy of row " + r);
            assertEquals(expected[1], out[1][r], 1e-6, "confidence of row " + r);
        }
    }

    @Test
    void shouldMatchFloat64EntropyAndConfidenceOfTheSamplesOwnLogitsThroughTheEngine() throws IOException {
        int classes = 10;
        ObjectNode manifest = RandomModels.manifest("output", "resnet-mlp", classes, 24);
        Path model = RandomModels.mlp(manifest, 24, 16, 3, classes, true, true, 9).write(dir.resolve("output"), manifest);
        List<SampleMetrics> samples;
        try (ResidualNetwork network = Architectures.load(model, Device.cpu());
                AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults())) {
            samples = engine.analyse(RandomModels.gaussian(new Random(3), 12 * 24, 2.0), 12, 0);
            assertEquals(0, engine.openArrays(), "the batch scope is closed");
        }
        for (SampleMetrics s : samples) {
            double[] expected = float64(s.logits());
            assertEquals(expected[0], s.entropy(), 1e-5 * Math.max(1, expected[0]), "entropy of sample " + s.index());
            assertEquals(expected[1], s.confidence(), 1e-6, "confidence of sample " + s.index());
            assertTrue(s.entropy() >= -1e-6 && s.entropy() <= Math.log(classes) + 1e-6, "entropy within [0, log C]");
            assertTrue(s.confidence() >= 1.0 / classes - 1e-7 && s.confidence() <= 1 + 1e-7, "confidence within [1/C, 1]");
        }
    }
}
