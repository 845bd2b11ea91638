package io.resalign.drift;

/**
 * Holds the drift parameters of one model version (defaults in docs/drift.md).
 *
 * @param windowSize samples per window
 * @param windowAdvance samples between window starts (equal to the size for tumbling windows)
 * @param referenceSize samples a first-N reference takes
 * @param falseAlarmRate probability that a window of a stationary stream is flagged (alpha)
 * @param bootstrapReplicates resampled windows per calibration; 0 picks max(2,000, 100 / alpha)
 * @param minDefinedValues fewest defined values a feature needs, in the window and in the
 *     reference, to be tested
 * @param combiner how per-feature statistics combine
 * @param seed seed of the bootstrap, so thresholds are reproducible
 */
public record DriftSettings(
        int windowSize,
        int windowAdvance,
        int referenceSize,
        double falseAlarmRate,
        int bootstrapReplicates,
        int minDefinedValues,
        Combiner combiner,
        long seed) {

    /** Checks every parameter and says which one is out of range. */
    public DriftSettings {
        require(windowSize >= 2, "windowSize must be at least 2, was " + windowSize);
        require(windowAdvance >= 1 && windowAdvance <= windowSize && windowSize % windowAdvance == 0,
                "windowAdvance must divide windowSize (" + windowSize + "), was " + windowAdvance);
        require(referenceSize >= 2, "referenceSize must be at least 2, was " + referenceSize);
        require(falseAlarmRate > 0 && falseAlarmRate < 0.5,
                "falseAlarmRate must be in (0, 0.5), was " + falseAlarmRate);
        require(bootstrapReplicates >= 0, "bootstrapReplicates must be >= 0, was " + bootstrapReplicates);
        require(minDefinedValues >= 2, "minDefinedValues must be at least 2, was " + minDefinedValues);
        require(combiner != null, "combiner must be set");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * Returns the defaults: tumbling windows of 200 samples, a reference of the first 2,000,
     * one false alarm per 1,000 windows, max-|z| combination, seed 1.
     */
    public static DriftSettings defaults() {
        return new DriftSettings(200, 200, 2000, 1e-3, 0, 20, Combiner.MAX_ABS, 1L);
    }

    /** Returns the per-window false-alarm rate for an expected number of windows between false alarms. */
    public static double falseAlarmRateForWindowsBetweenAlarms(double windows) {
        if (!(windows > 2)) {
            throw new IllegalArgumentException("windows between false alarms must exceed 2, was " + windows);
        }
        return 1 / windows;
    }

    /** Returns the bootstrap replicates in effect (resolving 0 to the automatic count). */
    public int effectiveReplicates() {
        if (bootstrapReplicates > 0) {
            return bootstrapReplicates;
        }
        return (int) Math.min(400_000, Math.max(2_000, Math.ceil(100 / falseAlarmRate)));
    }

    /** Returns these settings with another window size and advance. */
    public DriftSettings withWindow(int size, int advance) {
        return new DriftSettings(size, advance, referenceSize, falseAlarmRate, bootstrapReplicates,
                minDefinedValues, combiner, seed);
    }

    /** Returns these settings with another reference size. */
    public DriftSettings withReferenceSize(int size) {
        return new DriftSettings(windowSize, windowAdvance, size, falseAlarmRate, bootstrapReplicates,
                minDefinedValues, combiner, seed);
    }

    /** Returns these settings with another false-alarm rate. */
    public DriftSettings withFalseAlarmRate(double alpha) {
        return new DriftSettings(windowSize, windowAdvance, referenceSize, alpha, bootstrapReplicates,
                minDefinedValues, combiner, seed);
    }

    /** Returns these settings with another combiner. */
    public DriftSettings withCombiner(Combiner value) {
        return new DriftSettings(windowSize, windowAdvance, referenceSize, falseAlarmRate,
                bootstrapReplicates, minDefinedValues, value, seed);
    }

    /** Returns these settings with another number of bootstrap replicates (0: automatic). */
    public DriftSettings withBootstrapReplicates(int replicates) {
        return new DriftSettings(windowSize, windowAdvance, referenceSize, falseAlarmRate, replicates,
                minDefinedValues, combiner, seed);
    }

    /** Returns these settings with another bootstrap seed. */
    public DriftSettings withSeed(long value) {
        return new DriftSettings(windowSize, windowAdvance, referenceSize, falseAlarmRate,
                bootstrapReplicates, minDefinedValues, combiner, value);
    }
}
