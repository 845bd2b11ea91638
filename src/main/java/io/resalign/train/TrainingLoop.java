package io.resalign.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.MultiFactorTracker;
import ai.djl.training.tracker.Tracker;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The training loop both architectures share: DJL's {@link Trainer} with softmax cross-entropy on
 * the logits, Adam or SGD with momentum, cosine / step / constant learning rate, mini-batches drawn
 * from a seeded shuffle each epoch (the last incomplete batch is dropped: BatchNorm needs more than
 * one sample) and the test accuracy after every epoch in inference mode. Samples are preprocessed
 * exactly as the engine does from the manifest: {@code (x * scale - mean) / std}.
 *
 * <p>Every batch's arrays live in a sub-manager closed after the step; the parameters live in the
 * {@link Model}'s manager.
 */
final class TrainingLoop {
    /** The scale of raw pixel bytes: 1/255, written as the manifest's input.scale. */
    static final float SCALE = (float) (1.0 / 255);

    private TrainingLoop() {}

    /**
     * Trains {@code model}'s block in place.
     *
     * @param sampleShape the shape of one preprocessed sample as the block takes it ({@code [784]}, {@code [1, 28, 28]})
     */
    static TrainingRun run(TrainConfig config, Model model, long[] sampleShape, LabelledImages train, LabelledImages test,
            Consumer<String> log) {
        Block net = model.getBlock();
        int batch = config.batchSize();
        int steps = train.size() / batch;
        if (steps == 0) {
            throw new IllegalArgumentException(train.size() + " training samples, fewer than one batch of " + batch);
        }
        int updates = steps * config.epochs();
        Tracker lr = switch (config.schedule()) {
            case "cosine" -> CosineTracker.builder().setBaseValue(config.learningRate()).optFinalValue(0f).setMaxUpdates(updates).build();
            case "step" -> MultiFactorTracker.builder().setBaseValue(config.learningRate())
                    .setSteps(new int[] {updates / 2, updates * 3 / 4}).optFactor(0.1f).build();
            default -> Tracker.fixed(config.learningRate());
        };
        Optimizer optimizer = config.optimizer().equals("adam")
                ? Optimizer.adam().optLearningRateTracker(lr).optWeightDecays(config.weightDecay()).build()
                : Optimizer.sgd().setLearningRateTracker(lr).optMomentum(config.momentum()).optWeightDecays(config.weightDecay()).build();
        // PyTorch's default for Linear and Conv2d weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)); biases start at 0.
        DefaultTrainingConfig trainingConfig = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(optimizer)
                .optDevices(new Device[] {Device.cpu()})
                .optInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN, 1f),
                        Parameter.Type.WEIGHT);
        List<Double> losses = new ArrayList<>();
        List<Double> trainAccuracies = new ArrayList<>();
        List<Double> testAccuracies = new ArrayList<>();
        Preprocess pre = new Preprocess(config.dataset());
        Shape batchShape = new Shape(batch).addAll(new Shape(sampleShape));
        int len = train.sampleLength();
        long start = System.nanoTime();
        try (Trainer trainer = model.newTrainer(trainingConfig)) {
            trainer.initialize(batchShape);
            Random random = new Random(config.seed());
            int[] order = new int[train.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            float[] x = new float[batch * len];
            float[] y = new float[batch];
            for (int epoch = 1; epoch <= config.epochs(); epoch++) {
                long epochStart = System.nanoTime();
                shuffle(order, random);
                double lossSum = 0;
                long correct = 0;
                for (int s = 0; s < steps; s++) {
                    train.gather(order, s * batch, batch, x, y);
                    try (NDManager scope = trainer.getManager().newSubManager()) {
                        NDArray input = pre.apply(scope.create(FloatBuffer.wrap(x), batchShape));
                        NDArray labels = scope.create(y);
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDList logits = trainer.forward(new NDList(input));
                            NDArray loss = trainer.getLoss().evaluate(new NDList(labels), logits);
                            collector.backward(loss);
                            lossSum += loss.getFloat();
                            correct += logits.singletonOrThrow().argMax(1).toType(DataType.FLOAT32, false).eq(labels).sum().getLong();
                        }
                        trainer.step();
                    }
                }
                double loss = lossSum / steps;
                double trainAcc = correct / (double) (steps * batch);
                losses.add(loss);
                trainAccuracies.add(trainAcc);
                String testPart = "";
                if (test != null) {
                    double acc = accuracy(net, model.getNDManager(), pre, sampleShape, test);
                    testAccuracies.add(acc);
                    testPart = String.format(" test_acc %.4f", acc);
                }
                log.accept(String.format("epoch %d/%d loss %.4f train_acc %.4f%s (%.1f s)", epoch, config.epochs(), loss, trainAcc,
                        testPart, (System.nanoTime() - epochStart) / 1e9));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double testAccuracy = testAccuracies.isEmpty() ? Double.NaN : testAccuracies.get(testAccuracies.size() - 1);
        return new TrainingRun(losses, trainAccuracies, testAccuracies, testAccuracy, seconds, train.size(), test == null ? 0 : test.size());
    }

    /** Returns one sample's shape for the manifest's input.shape (images get a leading channel axis: [1, 28, 28]). */
    static long[] imageShape(long[] sampleShape) {
        if (sampleShape.length == 2) {
            return new long[] {1, sampleShape[0], sampleShape[1]};
        }
        return sampleShape.clone();
    }

    private static void shuffle(int[] a, Random random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Returns the logits (n x C, row-major) of raw samples in inference mode (BatchNorm on running statistics). */
    static float[] logits(Block net, NDManager manager, Preprocess pre, long[] sampleShape, float[] raw, int n) {
        Shape shape = new Shape(n).addAll(new Shape(sampleShape));
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = pre.apply(scope.create(FloatBuffer.wrap(raw, 0, (int) shape.size()), shape));
            return net.forward(new ParameterStore(scope, false), new NDList(x), false).singletonOrThrow().toFloatArray();
        }
    }

    /** Returns the accuracy of the network in inference mode on raw labelled samples. */
    static double accuracy(Block net, NDManager manager, Preprocess pre, long[] sampleShape, LabelledImages data) {
        int chunk = 1000;
        int len = data.sampleLength();
        long correct = 0;
        for (int from = 0; from < data.size(); from += chunk) {
            int n = Math.min(chunk, data.size() - from);
            try (NDManager scope = manager.newSubManager()) {
                Shape shape = new Shape(n).addAll(new Shape(sampleShape));
                NDArray x = pre.apply(scope.create(FloatBuffer.wrap(data.data(), from * len, n * len).slice(), shape));
                NDArray predicted = net.forward(new ParameterStore(scope, false), new NDList(x), false).singletonOrThrow().argMax(1);
                long[] p = predicted.toLongArray();
                for (int i = 0; i < n; i++) {
                    if (p[i] == data.labels()[from + i]) {
                        correct++;
                    }
                }
            }
        }
        return correct / (double) data.size();
    }

    /** The manifest's preprocessing {@code (x * scale - mean) / std}, with the same operations as the engine. */
    static final class Preprocess {
        private final float mean;
        private final float std;

        Preprocess(Datasets dataset) {
            this.mean = dataset.mean();
            this.std = dataset.std();
        }

        NDArray apply(NDArray x) {
            NDManager m = x.getManager();
            return x.mul(SCALE).sub(m.create(new float[] {mean}, new Shape(1, 1))).div(m.create(new float[] {std}, new Shape(1, 1)));
        }
    }
}
