package io.resalign.drift;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates feature vectors shaped like a five-block network's metrics: a per-sample factor shared
 * by every block, a block factor shared by a block's features, and per-feature marginals that are
 * Gaussian, skewed, heavy-tailed or, in the mixed shape, like the real metrics (integer
 * effective_rank with ties, bounded alignments, 10% NaN alignments).
 *
 * <p>The output features (entropy, confidence) load on the per-sample factor like the per-sample
 * alignment features, but their own noise comes from a second random stream, so that the alignment
 * features draw exactly what they drew before the output features existed.
 */
final class SyntheticMetricsStream {
    static final List<String> BLOCKS = List.of("layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0");
    static final FeatureSchema SCHEMA = FeatureSchema.forBlocks(BLOCKS);

    enum Shape { INDEPENDENT_GAUSSIAN, CORRELATED_GAUSSIAN, LOGNORMAL, STUDENT_T3, MIXED }

    private final Shape shape;
    private final SplittableRandom random;
    private final SplittableRandom outputRandom;
    private final double[] shift = new double[SCHEMA.size()];
    private final double[] latentShift = new double[SCHEMA.size()];
    private final double[] sd;
    private static final java.util.Map<Shape, double[]> SD_BY_SHAPE = new java.util.concurrent.ConcurrentHashMap<>();
    private static final String[] METRIC = new String[SCHEMA.size()];
    private static final int[] BLOCK_INDEX = new int[SCHEMA.size()];
    private static final boolean[] OUTPUT = new boolean[SCHEMA.size()];

    static {
        for (int f = 0; f < METRIC.length; f++) {
            String name = SCHEMA.name(f);
            METRIC[f] = name.substring(name.lastIndexOf(':') + 1).intern();
            BLOCK_INDEX[f] = SCHEMA.block(f) == null ? -1 : BLOCKS.indexOf(SCHEMA.block(f));
            OUTPUT[f] = SCHEMA.isOutput(f);
        }
    }

    SyntheticMetricsStream(Shape shape, long seed) {
        this.shape = shape;
        this.random = new SplittableRandom(seed);
        this.outputRandom = new SplittableRandom(seed ^ 0x0D7C0DEL);
        this.sd = SD_BY_SHAPE.computeIfAbsent(shape, SyntheticMetricsStream::estimateSd);
    }

    private static double[] estimateSd(Shape shape) {
        SyntheticMetricsStream probe = new SyntheticMetricsStream(shape, new SplittableRandom(99), new SplittableRandom(98), null);
        int n = 50_000;
        double[] sum = new double[SCHEMA.size()];
        double[] sumSq = new double[SCHEMA.size()];
        int[] count = new int[SCHEMA.size()];
        for (int i = 0; i < n; i++) {
            double[] v = probe.next().values();
            for (int f = 0; f < v.length; f++) {
                if (!Double.isNaN(v[f])) {
                    sum[f] += v[f];
                    sumSq[f] += v[f] * v[f];
                    count[f]++;
                }
            }
        }
        double[] out = new double[SCHEMA.size()];
        for (int f = 0; f < out.length; f++) {
            double mean = sum[f] / count[f];
            out[f] = Math.sqrt(sumSq[f] / count[f] - mean * mean);
        }
        return out;
    }

    private SyntheticMetricsStream(Shape shape, SplittableRandom random, SplittableRandom outputRandom, double[] sd) {
        this.shape = shape;
        this.random = random;
        this.outputRandom = outputRandom;
        this.sd = sd;
    }

    /** Shifts the named features by {@code inSd} of their standard deviations from now on. */
    SyntheticMetricsStream shift(List<String> features, double inSd) {
        for (String feature : features) {
            int f = SCHEMA.indexOf(feature);
            if (shape == Shape.MIXED && METRIC[f].equals("effective_rank")) {
                // An integer metric stays integer under real drift: move its latent value instead
                // (about inSd of the rounded value's sd), not its values off the integers.
                latentShift[f] = inSd;
            } else {
                shift[f] = inSd * sd[f];
            }
        }
        return this;
    }

    /** Shifts both output features by {@code inSd} standard deviations (entropy up, confidence down: a less sure model). */
    SyntheticMetricsStream shiftOutput(double inSd) {
        shift(List.of("output_entropy"), inSd);
        return shift(List.of("output_confidence"), -inSd);
    }

    /** Shifts every feature of {@code block} by {@code inSd} standard deviations. */
    SyntheticMetricsStream shiftBlock(String block, double inSd) {
        List<String> features = new ArrayList<>();
        for (String metric : FeatureSchema.BLOCK_FEATURES) {
            features.add(FeatureSchema.blockFeature(block, metric));
        }
        return shift(features, inSd);
    }

    /** Returns a window of the stream's next {@code n} samples (timestamps 0..n-1). */
    WindowAggregate window(int n) {
        WindowAggregate w = new WindowAggregate(SCHEMA);
        for (int i = 0; i < n; i++) {
            w.add(next(), i);
        }
        return w;
    }

    /** Returns a first-N reference of 2,000 samples of the mixed-shape stream with this seed. */
    static ReferenceProfile reference(long seed) {
        return ReferenceProfile.of(new SyntheticMetricsStream(Shape.MIXED, seed).window(2000), ReferenceSource.FIRST_SAMPLES, 0);
    }

    FeatureVector next() {
        double common = random.nextGaussian();
        double[] blockFactor = new double[BLOCKS.size()];
        for (int b = 0; b < blockFactor.length; b++) {
            blockFactor[b] = 0.7 * common + Math.sqrt(0.51) * random.nextGaussian();
        }
        double[] values = new double[SCHEMA.size()];
        for (int f = 0; f < values.length; f++) {
            int block = BLOCK_INDEX[f];
            SplittableRandom r = OUTPUT[f] ? outputRandom : random;
            double g;
            if (shape == Shape.INDEPENDENT_GAUSSIAN) {
                g = r.nextGaussian();
            } else {
                double factor = block < 0 ? common : blockFactor[block];
                g = 0.8 * factor + 0.6 * r.nextGaussian();
            }
            values[f] = marginal(f, g + latentShift[f], r) + shift[f];
        }
        return new FeatureVector(SCHEMA, values);
    }

    private double marginal(int feature, double g, SplittableRandom random) {
        switch (shape) {
            case LOGNORMAL:
                return Math.exp(g);
            case STUDENT_T3: {
                double chi = 0;
                for (int i = 0; i < 3; i++) {
                    double e = random.nextGaussian();
                    chi += e * e;
                }
                return g / Math.sqrt(chi / 3);
            }
            case MIXED:
                return mixed(METRIC[feature], g, random);
            default:
                return g;
        }
    }

    private static double mixed(String metric, double g, SplittableRandom random) {
        switch (metric) {
            case "sigma1":
            case "depth_scaled_sigma1":
                return Math.exp(0.3 * g);
            case "stable_rank":
                return 1 + Math.exp(0.5 * g);
            case "effective_rank":
                return Math.max(1, Math.round(3 + 1.2 * g));
            case "self_alignment":
                return 1 / (1 + Math.exp(-g));
            case "alignment":
                return random.nextDouble() < 0.1 ? Double.NaN : 1 / (1 + Math.exp(-0.5 * g));
            case "line_shape":
                return 1 + Math.exp(g - 1);
            case "step_cv":
                return Math.abs(g);
            case "output_entropy":
                return Math.log(10) / (1 + Math.exp(-g + 1)); // in (0, log 10), mostly confident
            case "output_confidence":
                return 0.1 + 0.9 / (1 + Math.exp(-g - 1));
            default:
                throw new IllegalStateException(metric);
        }
    }
}
