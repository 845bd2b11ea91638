package io.resalign.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the service's meters as {@link ResalignMetrics} does, and keeps, for every sample whose
 * metrics were applied, the wall-clock time of the application and its exact sample-to-metric
 * latency: the streaming benchmark's percentiles come from these raw values, not from histogram
 * bucket estimates. Thread-safe (the stream thread writes, the benchmark reads).
 */
final class AppliedSamples extends ResalignMetrics {

    /** One applied sample: when (epoch ms) and its latency (ms, as the meter recorded it). */
    record Applied(long atMillis, long latencyMillis) {}

    private final List<Applied> applied = new ArrayList<>();

    AppliedSamples(MeterRegistry registry) {
        super(registry);
    }

    @Override
    public void rowsApplied(ModelVersion mv, long[] timestamps, long nowMillis) {
        super.rowsApplied(mv, timestamps, nowMillis);
        synchronized (applied) {
            for (long t : timestamps) {
                applied.add(new Applied(nowMillis, Math.max(0, nowMillis - t)));
            }
        }
    }

    /** Returns how many samples have been applied so far. */
    int count() {
        synchronized (applied) {
            return applied.size();
        }
    }

    /** Returns the applied samples from index {@code from} (inclusive) to {@code to} (exclusive), in application order. */
    List<Applied> range(int from, int to) {
        synchronized (applied) {
            return List.copyOf(applied.subList(from, to));
        }
    }
}
