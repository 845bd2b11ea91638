package io.resalign.drift;

/**
 * Summarises one feature over a window or reference: the defined values' count, mean, variance
 * and exact quantiles, and how many samples had no value.
 *
 * @param feature feature name
 * @param count number of defined (non-NaN) values
 * @param nanCount number of samples whose value was NaN
 * @param mean mean of the defined values (NaN when there are none)
 * @param variance unbiased sample variance (NaN with fewer than two values)
 * @param p50 median, linear interpolation between order statistics (NaN when there are none)
 * @param p90 90th percentile, same definition
 * @param p99 99th percentile, same definition
 */
public record FeatureSummary(
        String feature, int count, int nanCount, double mean, double variance,
        double p50, double p90, double p99) {}
