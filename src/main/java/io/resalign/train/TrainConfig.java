package io.resalign.train;

import java.util.Locale;

/**
 * A training recipe: the architecture's hyper-parameters and the optimisation settings.
 *
 * @param optimizer {@code adam} or {@code sgd} (SGD with momentum)
 * @param schedule {@code cosine} (to 0 over all updates), {@code step} (x0.1 at 50% and 75%) or {@code constant}
 * @param limit the number of training samples used (the first ones), or 0 for all
 */
public record TrainConfig(String name, String version, Datasets dataset, int width, int depth, boolean batchNorm, boolean skip,
        String postActivation, float bnEps, int epochs, int batchSize, float learningRate, String optimizer, String schedule,
        float momentum, float weightDecay, long seed, int limit) {

    public TrainConfig {
        optimizer = optimizer.toLowerCase(Locale.ROOT);
        schedule = schedule.toLowerCase(Locale.ROOT);
        if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("optimizer must be adam or sgd, not " + optimizer);
        }
        if (!schedule.equals("cosine") && !schedule.equals("step") && !schedule.equals("constant")) {
            throw new IllegalArgumentException("schedule must be cosine, step or constant, not " + schedule);
        }
        if (epochs <= 0 || batchSize < 2 || !(learningRate > 0) || limit < 0) {
            throw new IllegalArgumentException("need epochs > 0, batch >= 2 (BatchNorm), lr > 0, limit >= 0");
        }
    }

    /** The demo recipe's defaults: width 128, depth 8, BatchNorm, skips, Adam 1e-3 with cosine decay, batch 128. */
    public static TrainConfig defaults() {
        return new TrainConfig("demo-mlp", "1", Datasets.FASHION_MNIST, 128, 8, true, true, "identity", 1e-5f, 15, 128, 1e-3f,
                "adam", "cosine", 0.9f, 0f, 42L, 0);
    }

    public TrainConfig withName(String n) {
        return new TrainConfig(n, version, dataset, width, depth, batchNorm, skip, postActivation, bnEps, epochs, batchSize,
                learningRate, optimizer, schedule, momentum, weightDecay, seed, limit);
    }

    public TrainConfig withShape(int w, int d, boolean bn, boolean s, String phi) {
        return new TrainConfig(name, version, dataset, w, d, bn, s, phi, bnEps, epochs, batchSize, learningRate, optimizer, schedule,
                momentum, weightDecay, seed, limit);
    }

    public TrainConfig withRun(int e, int b, float lr, long sd, int lim) {
        return new TrainConfig(name, version, dataset, width, depth, batchNorm, skip, postActivation, bnEps, e, b, lr, optimizer,
                schedule, momentum, weightDecay, sd, lim);
    }

    public TrainConfig withOptimizer(String opt, String sched, float mom, float wd) {
        return new TrainConfig(name, version, dataset, width, depth, batchNorm, skip, postActivation, bnEps, epochs, batchSize,
                learningRate, opt, sched, mom, wd, seed, limit);
    }

    public TrainConfig withDataset(Datasets d) {
        return new TrainConfig(name, version, d, width, depth, batchNorm, skip, postActivation, bnEps, epochs, batchSize, learningRate,
                optimizer, schedule, momentum, weightDecay, seed, limit);
    }

    /** Returns the architecture spec for inputs of {@code inFeatures} values and {@code classes} classes. */
    public MlpSpec spec(long inFeatures, int classes) {
        return new MlpSpec(width, depth, batchNorm, skip, postActivation, bnEps, inFeatures, classes);
    }
}
