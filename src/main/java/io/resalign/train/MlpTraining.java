package io.resalign.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import java.util.function.Consumer;

/**
 * Trains a {@link ResNetMlp} with the shared {@link TrainingLoop} (docs/training.md). The model's
 * parameters live in the {@link Model}'s manager, released by {@link TrainedMlp#close()}.
 */
public final class MlpTraining {
    /** The scale of raw pixel bytes: 1/255, written as the manifest's input.scale. */
    public static final float SCALE = TrainingLoop.SCALE;

    private MlpTraining() {}

    /**
     * Trains a model.
     *
     * @param config the recipe
     * @param train the training samples (raw, all used: apply the limit before)
     * @param test the test samples (raw) for the per-epoch and final accuracy, or null
     * @param log receives one line per epoch
     * @return the trained model (close it)
     */
    public static TrainedMlp train(TrainConfig config, LabelledImages train, LabelledImages test, Consumer<String> log) {
        int in = train.sampleLength();
        MlpSpec spec = config.spec(in, config.dataset().classes().size());
        Engine.getInstance().setRandomSeed((int) config.seed());
        ResNetMlp net = new ResNetMlp(spec);
        Model model = Model.newInstance(config.name(), Device.cpu());
        model.setBlock(net);
        try {
            TrainingRun run = TrainingLoop.run(config, model, new long[] {in}, train, test, log);
            return new TrainedMlp(config, spec, model, net, run, TrainingLoop.imageShape(train.sampleShape()));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
