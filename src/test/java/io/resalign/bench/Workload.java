package io.resalign.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.model.ModelWriter;
import io.resalign.engine.testing.RandomModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * Describes one benchmark workload: a random model of a fixed architecture, its batch size, k and
 * the engine options the fast path runs with.
 *
 * @param name workload label ({@code W-mlp}, {@code W-mlp-wide}, {@code W-conv})
 * @param description one-line description for the report
 * @param dense whether the engine takes the dense path (explicit Jacobians) on this model
 * @param batch samples per analysed batch
 * @param k singular triplets per block
 * @param sampleShape shape of one input sample
 * @param options engine options of the fast path
 */
public record Workload(String name, String description, boolean dense, int batch, int k, long[] sampleShape, EngineOptions options) {

    /** Seed of the model weights and inputs (results are reproducible). */
    static final long SEED = 20231;

    /** The fully-connected workloads: resnet-mlp, L = 16, C = 10, input [1,28,28], BatchNorm on. */
    static Workload mlp(String name, int width, int batch) {
        return new Workload(name, "resnet-mlp d=" + width + " L=16 C=10 in=784 BN, batch " + batch + ", k=10, dense path", true, batch, 10,
                new long[] {1, 28, 28}, EngineOptions.defaults().withK(10));
    }

    /** The convolutional workload: CIFAR-style resnet18 on 3x32x32 inputs, matrix-free path. */
    static Workload conv(int batch) {
        return new Workload("W-conv", "resnet18-cifar [2,2,2,2] x [64,128,256,512] C=10 3x32x32, batch " + batch
                + ", k=10, matrix-free path", false, batch, 10, new long[] {3, 32, 32}, EngineOptions.defaults().withK(10).withDenseLimit(0));
    }

    /** Writes the workload's random model directory under {@code root} and returns it. */
    Path writeModel(Path root) throws IOException {
        Path dir = root.resolve(name);
        if (dense) {
            int width = name.equals("W-mlp-wide") ? 512 : 128;
            ObjectNode manifest = RandomModels.manifest(name, "resnet-mlp", 10, sampleShape);
            ModelWriter w = RandomModels.mlp(manifest, 784, width, 16, 10, true, true, SEED);
            return w.write(dir, manifest);
        }
        ObjectNode manifest = RandomModels.manifest(name, "resnet-conv", 10, sampleShape);
        ModelWriter w = RandomModels.conv(manifest, 3, new int[] {2, 2, 2, 2}, new int[] {64, 128, 256, 512}, "cifar", 10, true, SEED);
        return w.write(dir, manifest);
    }

    /** Returns the number of values of one sample. */
    int sampleSize() {
        long n = 1;
        for (long s : sampleShape) {
            n *= s;
        }
        return Math.toIntExact(n);
    }

    /** Returns {@code count} distinct standard-Gaussian input batches. */
    float[][] inputs(int count) {
        Random random = new Random(SEED + 1);
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = RandomModels.gaussian(random, batch * sampleSize(), 1.0);
        }
        return out;
    }
}
