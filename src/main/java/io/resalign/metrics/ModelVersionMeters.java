package io.resalign.metrics;

import static io.resalign.metrics.ResalignMetrics.ANALYSIS_FAILURES;
import static io.resalign.metrics.ResalignMetrics.BATCH_DURATION;
import static io.resalign.metrics.ResalignMetrics.BATCH_PENDING;
import static io.resalign.metrics.ResalignMetrics.CONSECUTIVE_FAILED_BATCHES;
import static io.resalign.metrics.ResalignMetrics.DRIFT_ALARMS;
import static io.resalign.metrics.ResalignMetrics.LATENCY_BUCKETS_SECONDS;
import static io.resalign.metrics.ResalignMetrics.OUTPUT_DRIFT_ALARMS;
import static io.resalign.metrics.ResalignMetrics.REPORTS;
import static io.resalign.metrics.ResalignMetrics.SAMPLES_FAILED;
import static io.resalign.metrics.ResalignMetrics.SAMPLES_IN;
import static io.resalign.metrics.ResalignMetrics.SAMPLES_PROCESSED;
import static io.resalign.metrics.ResalignMetrics.SAMPLES_SKIPPED;
import static io.resalign.metrics.ResalignMetrics.SAMPLE_LATENCY;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.resalign.drift.ModelVersion;
import io.resalign.service.MonitorGauges;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one model version (names: {@link ResalignMetrics}): the counts of this instance's
 * work on it (counters, batch and latency histograms, pending samples, failed batches in a row),
 * which stay for the life of the process, and the gauges of its monitor ({@link MonitorMeters}),
 * which exist only while a task of this instance publishes them: from a publication to a
 * {@link #retire}.
 */
final class ModelVersionMeters {
    private final MeterRegistry registry;
    private final ModelVersion mv;

    final Counter in;
    final Counter processed;
    final Counter skipped;
    final Counter failedSamples;
    final Counter failures;
    final Counter reports;
    final Counter driftAlarms;
    final Counter outputDriftAlarms;
    final Timer batch;
    final Timer latency;
    final AtomicInteger pending = new AtomicInteger();
    /** Batches that failed since the last one that passed (engine or monitor): what readiness reads. */
    final AtomicInteger failedInARow = new AtomicInteger();
    /** The monitor's gauges while a task of this instance publishes them; null before the first publication and once retired. */
    private MonitorMeters monitor;

    ModelVersionMeters(MeterRegistry registry, ModelVersion mv) {
        this.registry = registry;
        this.mv = mv;
        Tags tags = tags(mv);
        in = counter(SAMPLES_IN, "Samples decoded from accepted records", tags);
        processed = counter(SAMPLES_PROCESSED, "Samples analysed by the engine and taken by their monitor", tags);
        skipped = counter(SAMPLES_SKIPPED, "Samples skipped by the rate limit", tags);
        failedSamples = counter(SAMPLES_FAILED, "Samples whose analysis failed, sent to the dead-letter topic", tags);
        failures = counter(ANALYSIS_FAILURES, "Engine batches in which the analysis of a sample failed", tags);
        reports = counter(REPORTS, "Alignment reports written (closed windows)", tags);
        driftAlarms = counter(DRIFT_ALARMS, "Reports whose window was flagged for alignment drift", tags);
        outputDriftAlarms = counter(OUTPUT_DRIFT_ALARMS, "Reports whose window was flagged for output drift", tags);
        batch = Timer.builder(BATCH_DURATION).description("Engine time per batch, analysis and monitor update")
                // a histogram, not client-side percentiles: buckets aggregate across replicas
                // (histogram_quantile), and percentiles would add an unbounded-looking phi label
                .tags(tags).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        latency = Timer.builder(SAMPLE_LATENCY)
                .description("Wall-clock time from a sample's timestamp to its batch's metrics being applied")
                .tags(tags).serviceLevelObjectives(latencyBuckets()).register(registry);
        Gauge.builder(BATCH_PENDING, pending, AtomicInteger::get).description("Samples waiting for their batch")
                .tags(tags).register(registry);
        Gauge.builder(CONSECUTIVE_FAILED_BATCHES, failedInARow, AtomicInteger::get)
                .description("Batches of which no sample passed, in a row, engine or monitor; 0 once samples of one pass").tags(tags).register(registry);
    }

    /**
     * Makes {@code gauges} the values of the model version's monitor gauges, registering them when
     * none are (the first publication, or the first after {@link #retire}).
     */
    synchronized void publish(MonitorGauges gauges) {
        if (monitor == null) {
            monitor = new MonitorMeters(registry, mv, gauges);
        } else {
            monitor.publish(gauges);
        }
    }

    /** Removes the model version's monitor gauges from the registry, if they are registered; the other meters stay. */
    synchronized void retire() {
        if (monitor != null) {
            monitor.remove();
            monitor = null;
        }
    }

    private Counter counter(String name, String help, Tags tags) {
        return Counter.builder(name).description(help).tags(tags).register(registry);
    }

    private static Duration[] latencyBuckets() {
        Duration[] out = new Duration[LATENCY_BUCKETS_SECONDS.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Duration.ofMillis(Math.round(LATENCY_BUCKETS_SECONDS[i] * 1000));
        }
        return out;
    }

    static Tags tags(ModelVersion mv) {
        return Tags.of("model", mv.model(), "version", mv.version());
    }
}
