package io.resalign.train;

import ai.djl.Model;

/**
 * A trained {@link ResNetConv} with its training record and the float32-vs-float64 gradient check
 * it passed before training. Owns the DJL model (its parameters) until {@link #close()}.
 */
public final class TrainedConv extends TrainedNetwork {
    private final ConvSpec spec;
    private final ResNetConv net;
    private final GradientCheck.Result gradientCheck;

    TrainedConv(TrainConfig config, ConvSpec spec, Model model, ResNetConv net, TrainingRun run, GradientCheck.Result gradientCheck) {
        super(config, model, run, spec.inputShape(), spec.inputShape());
        this.spec = spec;
        this.net = net;
        this.gradientCheck = gradientCheck;
    }

    @Override
    public String architecture() {
        return "resnet-conv";
    }

    public ConvSpec spec() {
        return spec;
    }

    /** Returns the DJL network (parameters owned by this object). */
    public ResNetConv network() {
        return net;
    }

    /** Returns the gradient check run before training. */
    public GradientCheck.Result gradientCheck() {
        return gradientCheck;
    }
}
