package io.resalign.engine.metrics;

import java.util.List;

/**
 * Holds every metric of one sample (definitions in docs/metrics-definitions.md).
 *
 * @param index position of the sample in its batch or input file
 * @param predicted argmax of the logits
 * @param logits the model's logits
 * @param entropy entropy of softmax(logits), nats: -sum_c p_c log p_c (0 = one-hot, log C = uniform)
 * @param confidence largest softmax probability, max_c p_c (the served prediction's confidence when
 *     the engine's argmax is the served class)
 * @param lineShape RA1 line-shape score (mean over stages with two or more steps)
 * @param stepCv RA1 step-length variation (mean over stages with two or more steps)
 * @param alignment RA2 mean cross-alignment over same-shape ordered block pairs
 * @param depthScaledSigma1 RA4 L * mean sigma1 over watched blocks
 * @param stages per-stage RA1 metrics
 * @param blocks per-block metrics, watched blocks in order
 * @param crossAlignment cross_alignment[i][j] over watched blocks, NaN where undefined
 */
public record SampleMetrics(
        int index,
        int predicted,
        float[] logits,
        double entropy,
        double confidence,
        double lineShape,
        double stepCv,
        double alignment,
        double depthScaledSigma1,
        List<StageMetrics> stages,
        List<BlockMetrics> blocks,
        double[][] crossAlignment) {}
