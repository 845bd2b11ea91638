package io.resalign.service;

import io.resalign.drift.FeatureSchema;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.metrics.StageMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes engine results without the engine: two blocks whose metrics are Gaussian around plausible
 * values, with an optional shift of one block in standard deviations, and a predicted class.
 */
final class SyntheticSamples {
    static final List<String> BLOCKS = List.of("b0", "b1");
    static final FeatureSchema SCHEMA = FeatureSchema.forBlocks(BLOCKS);

    private final SplittableRandom random;
    private final long seed;
    private final List<String> blocks;
    private String shiftedBlock;
    private double shift;
    private double outputShift;

    SyntheticSamples(long seed) {
        this(seed, BLOCKS);
    }

    /** Makes samples of a model with these blocks (features: {@code FeatureSchema.forBlocks(blocks)}). */
    SyntheticSamples(long seed, List<String> blocks) {
        this.random = new SplittableRandom(seed);
        this.seed = seed;
        this.blocks = List.copyOf(blocks);
    }

    /** Moves every metric of one block by {@code sds} standard deviations from now on. */
    void shiftBlock(String block, double sds) {
        shiftedBlock = block;
        shift = sds;
    }

    /** Moves entropy up and confidence down by {@code sds} standard deviations from now on (the alignment features stay). */
    void shiftOutput(double sds) {
        outputShift = sds;
    }

    SampleMetrics next(int index) {
        List<BlockMetrics> blocks = new ArrayList<>();
        double sigmaSum = 0;
        for (String b : this.blocks) {
            double s = b.equals(shiftedBlock) ? shift : 0;
            double sigma1 = 0.5 + 0.05 * (gauss() + s);
            int rank = (int) Math.round(6 + 1.5 * (gauss() + s));
            blocks.add(new BlockMetrics(b, "stage", sigma1, new double[] {sigma1}, sigma1 * sigma1 * 3, true,
                    3 + 0.3 * (gauss() + s), rank, false, 0.8 + 0.02 * (gauss() + s), 0.6 + 0.03 * (gauss() + s)));
            sigmaSum += sigma1;
        }
        double lineShape = 1.2 + 0.05 * gauss();
        // output metrics from their own stream, so the alignment features keep the draws they had before
        SplittableRandom out = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        double entropy = 1.2 + 0.1 * (gauss(out) + outputShift);
        double confidence = 0.7 + 0.05 * (gauss(out) - outputShift);
        return new SampleMetrics(index, random.nextInt(10), new float[10], entropy, confidence, lineShape, 0.3 + 0.02 * gauss(), 0.6 + 0.03 * gauss(),
                2 * sigmaSum / 2, List.of(new StageMetrics("stage", 2, lineShape, 0.3)), blocks, new double[2][2]);
    }

    private double gauss() {
        return gauss(random);
    }

    private static double gauss(SplittableRandom r) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
