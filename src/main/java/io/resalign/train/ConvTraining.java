package io.resalign.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Trains a {@link ResNetConv} with the shared {@link TrainingLoop} (docs/training.md), after
 * checking on the first training batch that this machine's float32 convolution gradients agree
 * with float64 ({@link GradientCheck}); it refuses to train when they do not.
 */
public final class ConvTraining {
    private ConvTraining() {}

    /** Thrown when float32 convolution gradients disagree with float64 on this machine and ISA. */
    public static final class CorruptGradientsException extends IllegalStateException {
        private final transient GradientCheck.Result result;

        CorruptGradientsException(GradientCheck.Result result) {
            super("refusing to train resnet-conv: float32 convolution gradients are wrong on this CPU: " + GradientCheck.describe(result)
                    + ". oneDNN's backward kernels are broken under some instruction sets (docs/training.md); rerun with "
                    + "ONEDNN_MAX_CPU_ISA=SSE41 (correct on the machines measured) or another ISA under which this check passes");
            this.result = result;
        }

        /** Returns the failed check. */
        public GradientCheck.Result result() {
            return result;
        }
    }

    /**
     * Trains a model.
     *
     * @param config the recipe's optimisation settings (its resnet-mlp shape fields are not used)
     * @param spec the architecture
     * @param train the training samples (raw, all used: apply the limit before)
     * @param test the test samples (raw) for the per-epoch and final accuracy, or null
     * @param log receives the gradient check's line and one line per epoch
     * @return the trained model (close it)
     * @throws CorruptGradientsException when float32 gradients disagree with float64
     */
    public static TrainedConv train(TrainConfig config, ConvSpec spec, LabelledImages train, LabelledImages test, Consumer<String> log) {
        long[] shape = spec.inputShape();
        if (Arrays.stream(shape).reduce(1, (a, b) -> a * b) != train.sampleLength()) {
            throw new IllegalArgumentException("training samples have shape " + Arrays.toString(train.sampleShape()) + ", the spec expects "
                    + Arrays.toString(shape));
        }
        GradientCheck.Result check = checkGradients(config, spec, train);
        log.accept("gradient check: " + GradientCheck.describe(check));
        if (!check.passed()) {
            throw new CorruptGradientsException(check);
        }
        Engine.getInstance().setRandomSeed((int) config.seed());
        ResNetConv net = new ResNetConv(spec);
        Model model = Model.newInstance(config.name(), Device.cpu());
        model.setBlock(net);
        try {
            TrainingRun run = TrainingLoop.run(config, model, shape, train, test, log);
            return new TrainedConv(config, spec, model, net, run, check);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Checks the architecture's float32 gradients against float64 on the first training batch
     * (the batch size and channel counts of the run: the kernels oneDNN picks depend on both).
     */
    static GradientCheck.Result checkGradients(TrainConfig config, ConvSpec spec, LabelledImages train) {
        int n = Math.min(config.batchSize(), train.size());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Shape batch = new Shape(n).addAll(new Shape(spec.inputShape()));
            float[] raw = Arrays.copyOf(train.data(), (int) batch.size());
            NDArray x = new TrainingLoop.Preprocess(config.dataset()).apply(m.create(FloatBuffer.wrap(raw), batch));
            return GradientCheck.run(() -> new ResNetConv(spec), x, config.seed());
        }
    }
}
