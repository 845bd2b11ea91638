package io.resalign.engine;

/**
 * Configures the alignment engine (docs/engine.md explains each choice).
 *
 * @param k singular triplets per block; 0 means the number of classes C
 * @param oversampling extra sketch columns p of the randomized SVD
 * @param powerIterations power steps of the matrix-free path
 * @param denseLimit largest Jacobian side (flattened) built explicitly on the dense path
 * @param denseMaxIterations most power steps on the dense path
 * @param denseTolerance relative change of the top-k values at which the dense path stops
 * @param rankTau relative threshold tau of the effective rank
 * @param denseStackElements most Jacobian entries stacked into one batched SVD on the dense path
 * @param seed seed of the randomized SVD's sketches
 */
public record EngineOptions(
        int k,
        int oversampling,
        int powerIterations,
        long denseLimit,
        int denseMaxIterations,
        double denseTolerance,
        double rankTau,
        long denseStackElements,
        long seed) {

    /** Validates the options. */
    public EngineOptions {
        if (k < 0 || oversampling < 0 || powerIterations < 0 || denseLimit < 0 || denseMaxIterations < 0
                || !(denseTolerance >= 0) || !(rankTau > 0 && rankTau < 1) || denseStackElements < 1) {
            throw new IllegalArgumentException("invalid engine options: " + this);
        }
    }

    /** Returns the defaults: k = C, p = 10, 4 matrix-free power steps, dense up to 2048, tolerance 1e-6, tau 1e-2. */
    public static EngineOptions defaults() {
        return new EngineOptions(0, 10, 4, 2048, 100, 1e-6, 1e-2, 1L << 27, 42);
    }

    /** Returns a copy with another k. */
    public EngineOptions withK(int value) {
        return new EngineOptions(value, oversampling, powerIterations, denseLimit, denseMaxIterations, denseTolerance, rankTau,
                denseStackElements, seed);
    }

    /** Returns a copy with another dense limit (0 forces the matrix-free path everywhere). */
    public EngineOptions withDenseLimit(long value) {
        return new EngineOptions(k, oversampling, powerIterations, value, denseMaxIterations, denseTolerance, rankTau,
                denseStackElements, seed);
    }

    /** Returns a copy with other matrix-free settings. */
    public EngineOptions withMatrixFree(int oversamplingValue, int powerIterationsValue) {
        return new EngineOptions(k, oversamplingValue, powerIterationsValue, denseLimit, denseMaxIterations, denseTolerance, rankTau,
                denseStackElements, seed);
    }
}
