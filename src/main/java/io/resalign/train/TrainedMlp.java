package io.resalign.train;

import ai.djl.Model;

/**
 * A trained {@link ResNetMlp} with its training record. Owns the DJL model (its parameters) until
 * {@link #close()}.
 */
public final class TrainedMlp extends TrainedNetwork {
    private final MlpSpec spec;
    private final ResNetMlp net;

    TrainedMlp(TrainConfig config, MlpSpec spec, Model model, ResNetMlp net, TrainingRun run, long[] inputShape) {
        super(config, model, run, inputShape, new long[] {spec.inFeatures()});
        this.spec = spec;
        this.net = net;
    }

    @Override
    public String architecture() {
        return "resnet-mlp";
    }

    public MlpSpec spec() {
        return spec;
    }

    /** Returns the DJL network (parameters owned by this object). */
    public ResNetMlp network() {
        return net;
    }
}
