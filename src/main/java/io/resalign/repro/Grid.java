package io.resalign.repro;

import io.resalign.train.Datasets;
import io.resalign.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The reproduction grid: one training recipe (width, epochs, training subset, optimiser) applied
 * to every depth, each with and without skip connections.
 *
 * @param name {@code full} or {@code tiny}
 * @param depths the depths L of the grid (RA4 is fitted over them)
 * @param width the width d of every model
 * @param epochs training epochs
 * @param limit training images used (the first ones; 0 = all 60,000)
 * @param samples test samples analysed per model (the first ones of the test set)
 * @param trajectorySamples test samples whose trajectories are projected (RA1 figure)
 * @param spectrumSamples test samples whose full Jacobian spectra are computed (RA3)
 * @param weightDecay weight decay of Adam (0 in the demo recipe)
 */
record Grid(String name, List<Integer> depths, int width, int epochs, int limit, int samples, int trajectorySamples,
        int spectrumSamples, float weightDecay) {

    static final int BATCH = 128;
    static final float LEARNING_RATE = 1e-3f;
    static final long SEED = 42;

    /** The full grid: depths 4, 8, 16, 34 at width 128 on all of Fashion-MNIST. */
    static Grid full() {
        return new Grid("full", List.of(4, 8, 16, 34), 128, 6, 0, 300, 100, 50, 0f);
    }

    /** The grid of the end-to-end test: two shallow, narrow nets trained for one epoch on 1,000 images. */
    static Grid tiny() {
        return new Grid("tiny", List.of(2, 4), 16, 1, 1000, 20, 20, 5, 0f);
    }

    Grid withEpochs(int e) {
        return new Grid(name, depths, width, e, limit, samples, trajectorySamples, spectrumSamples, weightDecay);
    }

    Grid withSamples(int n) {
        return new Grid(name, depths, width, epochs, limit, n, Math.min(trajectorySamples, n), Math.min(spectrumSamples, n), weightDecay);
    }

    Grid withLimit(int n) {
        return new Grid(name, depths, width, epochs, n, samples, trajectorySamples, spectrumSamples, weightDecay);
    }

    Grid withWidth(int w) {
        return new Grid(name, depths, w, epochs, limit, samples, trajectorySamples, spectrumSamples, weightDecay);
    }

    Grid withDepths(List<Integer> d) {
        return new Grid(name, List.copyOf(d), width, epochs, limit, samples, trajectorySamples, spectrumSamples, weightDecay);
    }

    Grid withWeightDecay(float wd) {
        return new Grid(name, depths, width, epochs, limit, samples, trajectorySamples, spectrumSamples, wd);
    }

    /** Every model of the grid, depth-major, skips first. */
    List<TrainConfig> models() {
        List<TrainConfig> out = new ArrayList<>();
        for (int depth : depths) {
            for (boolean skip : new boolean[] {true, false}) {
                out.add(recipe(depth, skip));
            }
        }
        return out;
    }

    /** The recipe of one model of the grid: BatchNorm, identity post-activation, Adam with cosine decay, batch 128, seed 42. */
    TrainConfig recipe(int depth, boolean skip) {
        return TrainConfig.defaults()
                .withDataset(Datasets.FASHION_MNIST)
                .withShape(width, depth, true, skip, "identity")
                .withRun(epochs, BATCH, LEARNING_RATE, SEED, limit)
                .withOptimizer("adam", "cosine", 0.9f, weightDecay)
                .withName(modelName(depth, skip));
    }

    /** The cache folder name of one model: every recipe field that changes the weights is in it. */
    String modelName(int depth, boolean skip) {
        return String.format(Locale.ROOT, "fmnist-w%d-d%d-%s-e%d-n%d-wd%s-s%d", width, depth, skip ? "skip" : "noskip", epochs,
                limit == 0 ? 60000 : limit, Float.toString(weightDecay), SEED);
    }

    /** A one-line description of the recipe for the report. */
    String describe() {
        return String.format(Locale.ROOT, "resnet-mlp, width %d, BatchNorm, identity post-activation, Adam lr %s with cosine decay to 0, "
                        + "batch %d, %d epochs on %s Fashion-MNIST training images, weight decay %s, seed %d", width,
                Float.toString(LEARNING_RATE), BATCH, epochs, limit == 0 ? "all 60,000" : String.format(Locale.ROOT, "the first %,d", limit),
                Float.toString(weightDecay), SEED);
    }
}
