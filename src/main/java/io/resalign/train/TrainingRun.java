package io.resalign.train;

import java.util.List;

/**
 * The record of one training run, as the manifest's {@code training} object reports it.
 *
 * @param trainLoss the mean training loss of each epoch (over its mini-batches, in training mode)
 * @param trainAccuracy the training accuracy of each epoch (over its mini-batches, in training mode)
 * @param testAccuracyPerEpoch the test accuracy after each epoch (empty without a test set)
 * @param testAccuracy the final test accuracy (NaN without a test set)
 * @param seconds the wall-clock seconds of the training loop (per-epoch test evaluation included)
 */
public record TrainingRun(List<Double> trainLoss, List<Double> trainAccuracy, List<Double> testAccuracyPerEpoch, double testAccuracy,
        double seconds, int trainSamples, int testSamples) {

    public TrainingRun {
        trainLoss = List.copyOf(trainLoss);
        trainAccuracy = List.copyOf(trainAccuracy);
        testAccuracyPerEpoch = List.copyOf(testAccuracyPerEpoch);
    }
}
