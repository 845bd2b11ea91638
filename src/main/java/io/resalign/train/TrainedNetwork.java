package io.resalign.train;

import ai.djl.Model;
import ai.djl.nn.Block;
import java.util.List;

/**
 * A trained DJL network with its recipe and training record. Owns the DJL model (its parameters)
 * until {@link #close()}.
 */
public abstract class TrainedNetwork implements AutoCloseable {
    private final TrainConfig config;
    private final Model model;
    private final TrainingRun run;
    private final long[] inputShape;
    private final long[] blockInput;

    TrainedNetwork(TrainConfig config, Model model, TrainingRun run, long[] inputShape, long[] blockInput) {
        this.config = config;
        this.model = model;
        this.run = run;
        this.inputShape = inputShape.clone();
        this.blockInput = blockInput.clone();
    }

    /** Returns the recipe (its optimisation settings and data set). */
    public TrainConfig config() {
        return config;
    }

    /** Returns the architecture name the manifest declares. */
    public abstract String architecture();

    Block block() {
        return model.getBlock();
    }

    /** Returns the training record. */
    public TrainingRun run() {
        return run;
    }

    /** Returns the mean training loss of each epoch (over its mini-batches, in training mode). */
    public List<Double> trainLoss() {
        return run.trainLoss();
    }

    /** Returns the training accuracy of each epoch (over its mini-batches, in training mode). */
    public List<Double> trainAccuracy() {
        return run.trainAccuracy();
    }

    /** Returns the test accuracy after each epoch (empty without a test set). */
    public List<Double> testAccuracyPerEpoch() {
        return run.testAccuracyPerEpoch();
    }

    /** Returns the final test accuracy (NaN without a test set). */
    public double testAccuracy() {
        return run.testAccuracy();
    }

    /** Returns the wall-clock seconds of the training loop (per-epoch test evaluation included). */
    public double seconds() {
        return run.seconds();
    }

    public int trainSamples() {
        return run.trainSamples();
    }

    public int testSamples() {
        return run.testSamples();
    }

    /** Returns one sample's shape for the manifest's input.shape (images get a leading channel axis: [1, 28, 28]). */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** Returns the logits (n x C, row-major) of n raw samples, in inference mode (BatchNorm on running statistics). */
    public float[] logits(float[] raw, int n) {
        return TrainingLoop.logits(block(), model.getNDManager(), new TrainingLoop.Preprocess(config.dataset()), blockInput, raw, n);
    }

    /** Returns the accuracy on raw labelled samples, in inference mode. */
    public double accuracy(LabelledImages data) {
        return TrainingLoop.accuracy(block(), model.getNDManager(), new TrainingLoop.Preprocess(config.dataset()), blockInput, data);
    }

    @Override
    public void close() {
        model.close();
    }
}
