package io.resalign.train;

import ai.djl.Model;
import java.util.List;

/**
 * A trained {@link ResNetMlp} with its training record. Owns the DJL model (its parameters) until
 * {@link #close()}.
 */
public final class TrainedMlp implements AutoCloseable {
    private final TrainConfig config;
    private final MlpSpec spec;
    private final Model model;
    private final ResNetMlp net;
    private final List<Double> trainLoss;
    private final List<Double> trainAccuracy;
    private final List<Double> testAccuracyPerEpoch;
    private final double testAccuracy;
    private final double seconds;
    private final int trainSamples;
    private final int testSamples;
    private final long[] inputShape;

    TrainedMlp(TrainConfig config, MlpSpec spec, Model model, ResNetMlp net, List<Double> trainLoss, List<Double> trainAccuracy,
            List<Double> testAccuracyPerEpoch, double testAccuracy, double seconds, int trainSamples, int testSamples, long[] inputShape) {
        this.config = config;
        this.spec = spec;
        this.model = model;
        this.net = net;
        this.trainLoss = List.copyOf(trainLoss);
        this.trainAccuracy = List.copyOf(trainAccuracy);
        this.testAccuracyPerEpoch = List.copyOf(testAccuracyPerEpoch);
        this.testAccuracy = testAccuracy;
        this.seconds = seconds;
        this.trainSamples = trainSamples;
        this.testSamples = testSamples;
        this.inputShape = inputShape.clone();
    }

    public TrainConfig config() {
        return config;
    }

    public MlpSpec spec() {
        return spec;
    }

    /** Returns the DJL network (parameters owned by this object). */
    public ResNetMlp network() {
        return net;
    }

    /** Returns the mean training loss of each epoch (over its mini-batches, in training mode). */
    public List<Double> trainLoss() {
        return trainLoss;
    }

    /** Returns the training accuracy of each epoch (over its mini-batches, in training mode). */
    public List<Double> trainAccuracy() {
        return trainAccuracy;
    }

    /** Returns the test accuracy after each epoch (empty without a test set). */
    public List<Double> testAccuracyPerEpoch() {
        return testAccuracyPerEpoch;
    }

    /** Returns the final test accuracy (NaN without a test set). */
    public double testAccuracy() {
        return testAccuracy;
    }

    /** Returns the wall-clock seconds of the training loop (per-epoch test evaluation included). */
    public double seconds() {
        return seconds;
    }

    public int trainSamples() {
        return trainSamples;
    }

    /** Returns one sample's shape for the manifest's input.shape (images get a leading channel axis: [1, 28, 28]). */
    public long[] inputShape() {
        return inputShape.clone();
    }

    public int testSamples() {
        return testSamples;
    }

    /** Returns the logits (n x C, row-major) of n raw samples, in inference mode (BatchNorm on running statistics). */
    public float[] logits(float[] raw, int n) {
        return MlpTraining.logits(net, model.getNDManager(), new MlpTraining.Preprocess(config.dataset()), raw, n);
    }

    /** Returns the accuracy on raw labelled samples, in inference mode. */
    public double accuracy(LabelledImages data) {
        return MlpTraining.accuracy(net, model.getNDManager(), new MlpTraining.Preprocess(config.dataset()), data);
    }

    @Override
    public void close() {
        model.close();
    }
}
