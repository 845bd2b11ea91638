package io.resalign.metrics;

import static io.resalign.metrics.ResalignMetrics.ANALYSIS_FAILURES;
import static io.resalign.metrics.ResalignMetrics.BATCH_DURATION;
import static io.resalign.metrics.ResalignMetrics.BATCH_PENDING;
import static io.resalign.metrics.ResalignMetrics.CONSECUTIVE_FAILED_BATCHES;
import static io.resalign.metrics.ResalignMetrics.DRIFT_ALARMS;
import static io.resalign.metrics.ResalignMetrics.DRIFT_DECISION;
import static io.resalign.metrics.ResalignMetrics.DRIFT_STATISTIC;
import static io.resalign.metrics.ResalignMetrics.DRIFT_THRESHOLD;
import static io.resalign.metrics.ResalignMetrics.LATENCY_BUCKETS_SECONDS;
import static io.resalign.metrics.ResalignMetrics.OUTPUT_DRIFT_ALARMS;
import static io.resalign.metrics.ResalignMetrics.OUTPUT_DRIFT_DECISION;
import static io.resalign.metrics.ResalignMetrics.OUTPUT_DRIFT_STATISTIC;
import static io.resalign.metrics.ResalignMetrics.OUTPUT_DRIFT_THRESHOLD;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_AGE;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_BLOCK_FEATURE_BAND_HIGH;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_BLOCK_FEATURE_BAND_LOW;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_BLOCK_FEATURE_MEAN;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_COLLECTING;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_FEATURE_BAND_HIGH;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_FEATURE_BAND_LOW;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_FEATURE_MEAN;
import static io.resalign.metrics.ResalignMetrics.REFERENCE_SAMPLES;
import static io.resalign.metrics.ResalignMetrics.REPORTS;
import static io.resalign.metrics.ResalignMetrics.SAMPLES_FAILED;
import static io.resalign.metrics.ResalignMetrics.SAMPLES_IN;
import static io.resalign.metrics.ResalignMetrics.SAMPLES_PROCESSED;
import static io.resalign.metrics.ResalignMetrics.SAMPLES_SKIPPED;
import static io.resalign.metrics.ResalignMetrics.SAMPLE_LATENCY;
import static io.resalign.metrics.ResalignMetrics.WINDOW_BLOCK_FEATURE_MEAN;
import static io.resalign.metrics.ResalignMetrics.WINDOW_FEATURE_MEAN;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceBand;
import io.resalign.service.MonitorGauges;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The meters of one model version (names: {@link ResalignMetrics}); the gauges read {@code latest}
 * (the monitor's gauges a task published last) and {@code pending}.
 */
final class ModelVersionMeters {
    private final MeterRegistry registry;

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
    final AtomicReference<MonitorGauges> latest = new AtomicReference<>();
    final Map<String, Boolean> featureGauges = new ConcurrentHashMap<>();

    ModelVersionMeters(MeterRegistry registry, ModelVersion mv) {
        this.registry = registry;
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
        gauge(DRIFT_STATISTIC, "Alignment drift statistic of the latest tested window (output features excluded)", tags,
                g -> g.statistic());
        gauge(DRIFT_THRESHOLD, "Calibrated threshold of the alignment drift statistic", tags, g -> g.threshold());
        gauge(DRIFT_DECISION, "1 when the latest window was flagged for alignment drift, else 0", tags, g -> g.decision());
        gauge(OUTPUT_DRIFT_STATISTIC, "Output drift statistic (prediction entropy and confidence) of the latest tested window",
                tags, g -> g.outputStatistic());
        gauge(OUTPUT_DRIFT_THRESHOLD, "Calibrated threshold of the output drift statistic", tags, g -> g.outputThreshold());
        gauge(OUTPUT_DRIFT_DECISION, "1 when the latest window was flagged for output drift, else 0", tags,
                g -> g.outputDecision());
        // the age is computed at publication time; a gauge read between publications lags by the punctuation interval
        gauge(REFERENCE_AGE + ".seconds", "Age of the reference profile, seconds (NaN while collecting)", tags,
                g -> g.referenceAgeSeconds());
        gauge(REFERENCE_SAMPLES, "Samples in the reference (so far, while collecting)", tags, g -> g.referenceSamples());
        gauge(REFERENCE_COLLECTING, "1 while the reference is being collected (nothing is tested)", tags,
                g -> g.referenceCollecting() ? 1 : 0);
    }

    private void gauge(String name, String help, Tags tags, java.util.function.ToDoubleFunction<MonitorGauges> f) {
        Gauge.builder(name, latest, ref -> {
            MonitorGauges g = ref.get();
            return g == null ? Double.NaN : f.applyAsDouble(g);
        }).description(help).tags(tags).register(registry);
    }

    /**
     * Registers, on a feature's first publication, its window mean and its reference mean and
     * band; a per-sample feature is labelled {@code feature}, a block feature {@code block} and
     * {@code feature} (the metric name within the block), under the {@code _block_} names.
     */
    void featureGauges(ModelVersion mv, MonitorGauges g) {
        for (String feature : g.windowMeans().keySet()) {
            if (featureGauges.putIfAbsent(feature, Boolean.TRUE) != null) {
                continue;
            }
            String block = FeatureSchema.blockOf(feature);
            Tags tags = block == null ? tags(mv).and("feature", feature)
                    : tags(mv).and("block", block).and("feature", feature.substring(feature.lastIndexOf(':') + 1));
            featureGauge(block == null ? WINDOW_FEATURE_MEAN : WINDOW_BLOCK_FEATURE_MEAN,
                    "Mean of a feature over the latest tested window", tags, m -> m.windowMeans().get(feature));
            featureGauge(block == null ? REFERENCE_FEATURE_MEAN : REFERENCE_BLOCK_FEATURE_MEAN,
                    "Mean of a feature over the reference samples (NaN while collecting)", tags, m -> band(m, feature).mean());
            featureGauge(block == null ? REFERENCE_FEATURE_BAND_LOW : REFERENCE_BLOCK_FEATURE_BAND_LOW,
                    "Lower edge of the band a window mean of the feature stays in without drift (docs/drift.md)", tags,
                    m -> band(m, feature).low());
            featureGauge(block == null ? REFERENCE_FEATURE_BAND_HIGH : REFERENCE_BLOCK_FEATURE_BAND_HIGH,
                    "Upper edge of the band a window mean of the feature stays in without drift (docs/drift.md)", tags,
                    m -> band(m, feature).high());
        }
    }

    private static ReferenceBand band(MonitorGauges m, String feature) {
        return m.reference().getOrDefault(feature, ReferenceBand.UNKNOWN);
    }

    private void featureGauge(String name, String help, Tags tags, java.util.function.Function<MonitorGauges, Double> value) {
        Gauge.builder(name, latest, ref -> {
            MonitorGauges m = ref.get();
            Double v = m == null ? null : value.apply(m);
            return v == null ? Double.NaN : v;
        }).description(help).tags(tags).register(registry);
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
