package io.resalign.metrics;

import static io.resalign.metrics.ResalignMetrics.DRIFT_DECISION;
import static io.resalign.metrics.ResalignMetrics.DRIFT_STATISTIC;
import static io.resalign.metrics.ResalignMetrics.DRIFT_THRESHOLD;
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
import static io.resalign.metrics.ResalignMetrics.WINDOW_BLOCK_FEATURE_MEAN;
import static io.resalign.metrics.ResalignMetrics.WINDOW_FEATURE_MEAN;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceBand;
import io.resalign.service.MonitorGauges;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Holds the gauges of one model version's monitor on this instance (names: {@link ResalignMetrics}):
 * the drift statistics, thresholds and decisions, the reference's state, and per feature the window
 * mean and the reference's mean and band. They exist from the first values a task publishes until
 * {@link #remove()}, and every one of them is kept here so that all of them can go: a task that
 * no longer holds the monitor must leave no series behind, neither a frozen value nor a NaN.
 *
 * <p>Not thread-safe: its owner ({@link ModelVersionMeters}) serialises {@link #publish} and
 * {@link #remove}; a scrape only reads {@code latest}.
 */
final class MonitorMeters {
    private final MeterRegistry registry;
    private final ModelVersion mv;
    /** What the gauges read; held here, strongly: Micrometer holds a gauge's state object weakly. */
    private final AtomicReference<MonitorGauges> latest = new AtomicReference<>();
    private final Set<String> features = new HashSet<>();
    private final List<Meter> meters = new ArrayList<>();

    /** Registers the monitor gauges of {@code mv}, reading {@code first} until the next publication. */
    MonitorMeters(MeterRegistry registry, ModelVersion mv, MonitorGauges first) {
        this.registry = registry;
        this.mv = mv;
        latest.set(first);
        Tags tags = ModelVersionMeters.tags(mv);
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
        featureGauges(first);
    }

    /** Makes {@code g} what the gauges read, and registers those of the features it is the first to carry. */
    void publish(MonitorGauges g) {
        latest.set(g);
        featureGauges(g);
    }

    /** Removes every gauge registered here from the registry: a scrape after it has none of them. */
    void remove() {
        meters.forEach(registry::remove);
        meters.clear();
        features.clear();
    }

    /**
     * Registers, on a feature's first publication, its window mean and its reference mean and
     * band; a per-sample feature is labelled {@code feature}, a block feature {@code block} and
     * {@code feature} (the metric name within the block), under the {@code _block_} names.
     */
    private void featureGauges(MonitorGauges g) {
        for (String feature : g.windowMeans().keySet()) {
            if (!features.add(feature)) {
                continue;
            }
            String block = FeatureSchema.blockOf(feature);
            Tags tags = block == null ? ModelVersionMeters.tags(mv).and("feature", feature)
                    : ModelVersionMeters.tags(mv).and("block", block).and("feature", feature.substring(feature.lastIndexOf(':') + 1));
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

    private void gauge(String name, String help, Tags tags, ToDoubleFunction<MonitorGauges> f) {
        meters.add(Gauge.builder(name, latest, ref -> f.applyAsDouble(ref.get())).description(help).tags(tags).register(registry));
    }

    private void featureGauge(String name, String help, Tags tags, Function<MonitorGauges, Double> value) {
        meters.add(Gauge.builder(name, latest, ref -> {
            Double v = value.apply(ref.get());
            return v == null ? Double.NaN : v;
        }).description(help).tags(tags).register(registry));
    }
}
