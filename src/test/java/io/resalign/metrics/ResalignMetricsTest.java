package io.resalign.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceBand;
import io.resalign.service.AlignmentReport;
import io.resalign.service.ModelStatus;
import io.resalign.service.MonitorGauges;
import io.resalign.sample.SampleRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The sample-to-metric latency meter (registered per model version, one value per sample, Prometheus
 * buckets), the other per-model meters, and the monitor gauges' life on one instance: from the first
 * publication of the task that holds the monitor to its retirement.
 */
class ResalignMetricsTest {
    private static final ModelVersion MV = new ModelVersion("demo-mlp", "1");
    private static final long NOW = 1_800_000_000_000L;

    private static SampleRecord sample(String id, long timestamp) {
        return new SampleRecord(MV.model(), MV.version(), id, timestamp, new float[] {0f}, new long[] {1}, Optional.empty(),
                OptionalInt.empty());
    }

    @Test
    void shouldExportEachLoadedModelVersionsClassCountAndNoneForAFailedOne() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(registry);
        java.nio.file.Path dir = java.nio.file.Path.of("models");
        metrics.modelsLoaded("cpu", List.of(
                new ModelStatus("demo-mlp", "1", dir, ModelStatus.State.LOADED, "cpu", 5, "", 10),
                new ModelStatus("cifar100-net", "3", dir, ModelStatus.State.LOADED, "cpu", 5, "", 100),
                new ModelStatus("broken", "?", dir, ModelStatus.State.FAILED, "cpu", 5, "no manifest", 0)));
        String scrape = registry.scrape();
        assertTrue(scrape.contains("resalign_model_classes{model=\"demo-mlp\",version=\"1\",} 10.0"), scrape);
        assertTrue(scrape.contains("resalign_model_classes{model=\"cifar100-net\",version=\"3\",} 100.0"), scrape);
        assertTrue(!scrape.contains("resalign_model_classes{model=\"broken\""), scrape);
    }

    @Test
    void shouldLabelEveryWatchedBlockWithItsZeroPaddedPositionStageAndKind() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(registry);
        List<ModelStatus.Block> blocks = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            blocks.add(new ModelStatus.Block("encoder_layer_" + i / 2 + (i % 2 == 0 ? ".attention" : ".mlp"), "encoder",
                    i % 2 == 0 ? "attention" : "mlp"));
        }
        metrics.modelsLoaded("cpu", List.of(new ModelStatus("vit", "1", java.nio.file.Path.of("vit"), ModelStatus.State.LOADED,
                "cpu", 5, "", 10, blocks)));
        String scrape = registry.scrape();
        assertTrue(scrape.contains("resalign_block_info{block=\"encoder_layer_0.attention\",kind=\"attention\",model=\"vit\","
                + "position=\"00\",stage=\"encoder\",version=\"1\",} 1.0"), scrape);
        assertTrue(scrape.contains("resalign_block_info{block=\"encoder_layer_5.mlp\",kind=\"mlp\",model=\"vit\","
                + "position=\"11\",stage=\"encoder\",version=\"1\",} 1.0"), scrape);
        assertEquals(12, registry.find(ResalignMetrics.BLOCK_INFO).gauges().size());
    }

    @Test
    void shouldRecordNowMinusTheSampleTimestampForEverySampleOfTheBatch() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(registry);

        metrics.rowsApplied(MV, times(sample("a", NOW - 1_500), sample("b", NOW - 250), sample("c", NOW - 3_000)), NOW);

        Timer latency = registry.find(ResalignMetrics.SAMPLE_LATENCY).tags("model", "demo-mlp", "version", "1").timer();
        assertNotNull(latency, "no " + ResalignMetrics.SAMPLE_LATENCY + " timer for demo-mlp:1");
        assertEquals(3, latency.count());
        assertEquals(4.75, latency.totalTime(TimeUnit.SECONDS), 1e-9);
        assertEquals(3.0, latency.max(TimeUnit.SECONDS), 1e-9);
        String scrape = registry.scrape();
        // cumulative buckets: two samples at or under 2 s, all three under 5 s
        assertTrue(scrape.contains("resalign_sample_latency_seconds_bucket{model=\"demo-mlp\",version=\"1\",le=\"2.0\",} 2.0"), scrape);
        assertTrue(scrape.contains("resalign_sample_latency_seconds_bucket{model=\"demo-mlp\",version=\"1\",le=\"5.0\",} 3.0"), scrape);
        assertTrue(scrape.contains("resalign_sample_latency_seconds_count{model=\"demo-mlp\",version=\"1\",} 3.0"), scrape);
    }

    @Test
    void shouldCountAFutureTimestampAsZeroLatencyWhenTheProducerClockIsAhead() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(registry);

        metrics.rowsApplied(MV, times(sample("ahead", NOW + 5_000)), NOW);

        Timer latency = registry.find(ResalignMetrics.SAMPLE_LATENCY).timer();
        assertEquals(1, latency.count());
        assertEquals(0.0, latency.totalTime(TimeUnit.SECONDS), 0.0);
    }

    /** A report of model m:1 with the given alarms; outputAlarm -1 for a report written before output drift existed (null). */
    private static AlignmentReport report(int alarm, int outputAlarm) {
        return new AlignmentReport(1, "m", "1", new AlignmentReport.Window(0, 1, 0, 1, 2, 2, 2), List.of(),
                new AlignmentReport.Reference("first_samples", 0, 10, 1.0),
                new AlignmentReport.Drift(1.0, 2.0, 0.5, alarm, 0.001, "max_abs", 3, List.of(), List.of()), "cpu", null,
                outputAlarm < 0 ? null : new AlignmentReport.OutputDrift(1.0, 2.0, 0.5, outputAlarm, 0.001, 2, List.of()));
    }

    @Test
    void shouldCountEveryFlaggedWindowOfEachDecisionWhenReportsAreWritten() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(registry);
        ModelVersion mv = new ModelVersion("m", "1");

        // five windows close between two scrapes: the decision gauges would show only the last (no alarm)
        for (AlignmentReport r : List.of(report(1, 0), report(1, 1), report(0, 1), report(1, -1), report(0, 0))) {
            metrics.report(mv, r);
        }

        String scrape = registry.scrape();
        for (String line : List.of("resalign_reports_total{model=\"m\",version=\"1\",} 5.0",
                "resalign_drift_alarms_total{model=\"m\",version=\"1\",} 3.0",
                "resalign_output_drift_alarms_total{model=\"m\",version=\"1\",} 2.0")) {
            assertTrue(scrape.contains(line), line + " in\n" + scrape);
        }
    }

    @Test
    void shouldCountAPartlyFailedBatchAsAFailureThatEndsTheRunOfFailedBatches() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(registry);
        metrics.batchFailed(MV, 16);
        metrics.batchFailed(MV, 16);
        assertEquals(2, metrics.consecutiveFailedBatches(MV), "two batches of which no sample passed");

        metrics.batchPartlyFailed(MV, 15, 1, TimeUnit.MILLISECONDS.toNanos(40)); // bisection isolated one bad sample

        assertEquals(0, metrics.consecutiveFailedBatches(MV), "samples of it passed: the model version is not failing");
        String scrape = registry.scrape();
        for (String line : List.of("resalign_analysis_failures_total{model=\"demo-mlp\",version=\"1\",} 3.0",
                "resalign_samples_failed_total{model=\"demo-mlp\",version=\"1\",} 33.0",
                "resalign_samples_processed_total{model=\"demo-mlp\",version=\"1\",} 15.0",
                "resalign_batch_duration_seconds_count{model=\"demo-mlp\",version=\"1\",} 1.0")) {
            assertTrue(scrape.contains(line), line + " in\n" + scrape);
        }
    }

    @Test
    void shouldExportTheOutputDecisionBesideTheAlignmentDecisionWhenPublished() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(registry);
        Map<String, Double> means = new LinkedHashMap<>();
        means.put("output_entropy", 0.75);

        metrics.publish(new MonitorGauges("demo-mlp", "1", means, Map.of("output_entropy", new ReferenceBand(0.5, 0.4, 0.6)), 2.0, 4.0,
                0, 10.0, false, 2000, 2200, 3, 0, 5.5, 2.75, 1, 2));

        String scrape = registry.scrape();
        for (String line : List.of(
                "resalign_drift_statistic{model=\"demo-mlp\",version=\"1\",} 2.0",
                "resalign_drift_decision{model=\"demo-mlp\",version=\"1\",} 0.0",
                "resalign_output_drift_statistic{model=\"demo-mlp\",version=\"1\",} 5.5",
                "resalign_output_drift_threshold{model=\"demo-mlp\",version=\"1\",} 2.75",
                "resalign_output_drift_decision{model=\"demo-mlp\",version=\"1\",} 1.0",
                "resalign_window_feature_mean{feature=\"output_entropy\",model=\"demo-mlp\",version=\"1\",} 0.75",
                "resalign_reference_feature_band_high{feature=\"output_entropy\",model=\"demo-mlp\",version=\"1\",} 0.6")) {
            assertTrue(scrape.contains(line), line + " in\n" + scrape);
        }
    }

    @Test
    void shouldExportTheReferenceMeanAndBandPerFeatureAndPerBlockFeatureWhenPublished() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(registry);
        Map<String, Double> means = new LinkedHashMap<>();
        means.put("line_shape", 1.25);
        means.put("block:block3:sigma1", 0.5);
        Map<String, ReferenceBand> reference = new LinkedHashMap<>();
        reference.put("line_shape", new ReferenceBand(1.2, 1.1, 1.3));
        reference.put("block:block3:sigma1", new ReferenceBand(0.45, 0.4, 0.5));

        metrics.publish(new MonitorGauges("demo-mlp", "1", means, reference, 2.0, 4.0, 0, 10.0, false, 2000, 2200, 1, 0,
                Double.NaN, Double.NaN, 0, 0));

        String scrape = registry.scrape();
        for (String line : List.of(
                "resalign_reference_feature_mean{feature=\"line_shape\",model=\"demo-mlp\",version=\"1\",} 1.2",
                "resalign_reference_feature_band_low{feature=\"line_shape\",model=\"demo-mlp\",version=\"1\",} 1.1",
                "resalign_reference_feature_band_high{feature=\"line_shape\",model=\"demo-mlp\",version=\"1\",} 1.3",
                "resalign_window_feature_mean{feature=\"line_shape\",model=\"demo-mlp\",version=\"1\",} 1.25",
                "resalign_reference_block_feature_mean{block=\"block3\",feature=\"sigma1\",model=\"demo-mlp\",version=\"1\",} 0.45",
                "resalign_reference_block_feature_band_low{block=\"block3\",feature=\"sigma1\",model=\"demo-mlp\",version=\"1\",} 0.4",
                "resalign_reference_block_feature_band_high{block=\"block3\",feature=\"sigma1\",model=\"demo-mlp\",version=\"1\",} 0.5")) {
            assertTrue(scrape.contains(line), line + " in\n" + scrape);
        }

        reference.put("line_shape", ReferenceBand.UNKNOWN);
        metrics.publish(new MonitorGauges("demo-mlp", "1", means, reference, 2.0, 4.0, 0, Double.NaN, true, 10, 2210, 1, 0,
                Double.NaN, Double.NaN, 0, 0));
        assertTrue(Double.isNaN(registry.find(ResalignMetrics.REFERENCE_FEATURE_BAND_LOW).tag("feature", "line_shape").gauge().value()),
                "a reset reference shows no band");
    }

    /** Every family a model version's monitor exports (docs/metrics.md, "Drift"), as Prometheus names them. */
    private static final Set<String> MONITOR_FAMILIES = Set.of("resalign_drift_statistic", "resalign_drift_threshold",
            "resalign_drift_decision", "resalign_output_drift_statistic", "resalign_output_drift_threshold",
            "resalign_output_drift_decision", "resalign_reference_age_seconds", "resalign_reference_samples",
            "resalign_reference_collecting", "resalign_window_feature_mean", "resalign_window_block_feature_mean",
            "resalign_reference_feature_mean", "resalign_reference_feature_band_low", "resalign_reference_feature_band_high",
            "resalign_reference_block_feature_mean", "resalign_reference_block_feature_band_low",
            "resalign_reference_block_feature_band_high");

    /** The samples of the monitor families labelled with {@code mv} in a scrape. */
    private static List<String> monitorSeries(String scrape, ModelVersion mv) {
        String labels = "model=\"" + mv.model() + "\",version=\"" + mv.version() + "\",";
        return scrape.lines().filter(l -> !l.startsWith("#") && l.contains(labels))
                .filter(l -> MONITOR_FAMILIES.contains(l.substring(0, l.indexOf('{')))).toList();
    }

    /** A monitor of {@code mv} with a per-sample and a block feature, a window tested, statistic {@code statistic}. */
    private static MonitorGauges monitor(ModelVersion mv, double statistic, double lineShape) {
        Map<String, Double> means = new LinkedHashMap<>();
        means.put("line_shape", lineShape);
        means.put("block:block3:sigma1", 0.5);
        Map<String, ReferenceBand> reference = new LinkedHashMap<>();
        reference.put("line_shape", new ReferenceBand(1.2, 1.1, 1.3));
        reference.put("block:block3:sigma1", new ReferenceBand(0.45, 0.4, 0.5));
        return new MonitorGauges(mv.model(), mv.version(), means, reference, statistic, 4.0, 0, 10.0, false, 2000, 2200, 1, 0, 1.5,
                2.75, 0, 0);
    }

    /** The registry Quarkus injects: the global composite, here over a Prometheus registry of its own. */
    private static MeterRegistry composite(PrometheusMeterRegistry prometheus) {
        return new CompositeMeterRegistry(Clock.SYSTEM, List.of(prometheus));
    }

    @Test
    void shouldScrapeNoMonitorSeriesOfAModelVersionButItsCountersWhenItsMonitorIsRetired() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(composite(prometheus));
        ModelVersion other = new ModelVersion("demo-mlp", "2");
        metrics.modelsLoaded("cpu", List.of(new ModelStatus(MV.model(), MV.version(), java.nio.file.Path.of("models"),
                ModelStatus.State.LOADED, "cpu", 5, "", 10)));
        metrics.samplesIn(MV, 16);
        metrics.batchDone(MV, 16, TimeUnit.MILLISECONDS.toNanos(40));
        metrics.rowsApplied(MV, times(sample("a", NOW - 1_000)), NOW);
        metrics.report(MV, report(1, 0));
        metrics.pending(MV, 3);
        metrics.publish(monitor(MV, 2.0, 1.25));
        metrics.publish(monitor(other, 3.0, 1.25));
        assertEquals(4 * 2 + 9, monitorSeries(prometheus.scrape(), MV).size(), "9 monitor gauges and 4 per feature, before");

        metrics.retire(MV); // the task holding the monitor of demo-mlp:1 closed: it moved to another instance

        String scrape = prometheus.scrape();
        assertEquals(List.of(), monitorSeries(scrape, MV), "neither frozen values nor NaN placeholders are left");
        assertEquals(17, monitorSeries(scrape, other).size(), "the monitor still held here keeps its gauges\n" + scrape);
        for (String line : List.of("resalign_samples_in_total{model=\"demo-mlp\",version=\"1\",} 16.0",
                "resalign_samples_processed_total{model=\"demo-mlp\",version=\"1\",} 16.0",
                "resalign_reports_total{model=\"demo-mlp\",version=\"1\",} 1.0",
                "resalign_drift_alarms_total{model=\"demo-mlp\",version=\"1\",} 1.0",
                "resalign_batch_duration_seconds_count{model=\"demo-mlp\",version=\"1\",} 1.0",
                "resalign_sample_latency_seconds_count{model=\"demo-mlp\",version=\"1\",} 1.0",
                "resalign_batch_pending_samples{model=\"demo-mlp\",version=\"1\",} 3.0",
                "resalign_consecutive_failed_batches{model=\"demo-mlp\",version=\"1\",} 0.0",
                "resalign_model_loaded{device=\"cpu\",model=\"demo-mlp\",version=\"1\",} 1.0",
                "resalign_model_classes{model=\"demo-mlp\",version=\"1\",} 10.0")) {
            assertTrue(scrape.contains(line), "this instance's work counts stay: " + line + " in\n" + scrape);
        }

        metrics.retire(other);
        String none = prometheus.scrape();
        for (String family : MONITOR_FAMILIES) {
            assertTrue(!none.contains("# TYPE " + family + " "), "no monitor held here: no " + family + " family\n" + none);
        }
    }

    @Test
    void shouldRegisterTheMonitorGaugesAgainWithTheNewValuesWhenATaskHereHoldsTheMonitorAgain() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(composite(prometheus));
        metrics.publish(monitor(MV, 2.0, 1.25));
        metrics.retire(MV);
        metrics.retire(MV); // twice: nothing more to remove

        metrics.publish(monitor(MV, 7.5, 1.5)); // the monitor came back to a task of this instance

        String scrape = prometheus.scrape();
        assertEquals(17, monitorSeries(scrape, MV).size(), scrape);
        for (String line : List.of("resalign_drift_statistic{model=\"demo-mlp\",version=\"1\",} 7.5",
                "resalign_window_feature_mean{feature=\"line_shape\",model=\"demo-mlp\",version=\"1\",} 1.5",
                "resalign_reference_block_feature_band_high{block=\"block3\",feature=\"sigma1\",model=\"demo-mlp\",version=\"1\",} 0.5")) {
            assertTrue(scrape.contains(line), line + " in\n" + scrape);
        }
        metrics.publish(monitor(MV, 8.0, 1.75));
        scrape = prometheus.scrape();
        assertTrue(scrape.contains("resalign_drift_statistic{model=\"demo-mlp\",version=\"1\",} 8.0"), scrape);
        assertTrue(scrape.contains("resalign_window_feature_mean{feature=\"line_shape\",model=\"demo-mlp\",version=\"1\",} 1.75"), scrape);
    }

    @Test
    void shouldExportNoMonitorSeriesForALoadedModelVersionWhoseMonitorNoTaskHereHolds() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(composite(prometheus));
        metrics.modelsLoaded("cpu", List.of(new ModelStatus(MV.model(), MV.version(), java.nio.file.Path.of("models"),
                ModelStatus.State.LOADED, "cpu", 5, "", 10)));
        metrics.samplesIn(MV, 4); // stage one of this instance decoded samples the owner elsewhere analyses

        String scrape = prometheus.scrape();
        assertEquals(List.of(), monitorSeries(scrape, MV), "another instance's task holds the monitor: no NaN placeholders here");
        assertTrue(scrape.contains("resalign_samples_in_total{model=\"demo-mlp\",version=\"1\",} 4.0"), scrape);
    }

    @Test
    void shouldScrapeWithoutFailingWhileAStreamThreadRetiresAndPublishesTheMonitorAgain() throws Exception {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ResalignMetrics metrics = new ResalignMetrics(composite(prometheus));
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<Integer> scrapes = CompletableFuture.supplyAsync(() -> {
            int n = 0;
            for (; !done.get(); n++) {
                prometheus.scrape(); // the /q/metrics worker thread
            }
            return n;
        });
        try {
            for (int i = 0; i < 200; i++) { // the owner task opens and closes, as in a run of rebalances
                metrics.publish(monitor(MV, i, 1.25));
                metrics.retire(MV);
            }
            metrics.publish(monitor(MV, 9.0, 1.25));
        } finally {
            done.set(true);
        }
        assertTrue(scrapes.get(30, TimeUnit.SECONDS) > 0, "the scrapes ran, none threw");
        String scrape = prometheus.scrape();
        assertEquals(17, monitorSeries(scrape, MV).size(), scrape);
        assertTrue(scrape.contains("resalign_drift_statistic{model=\"demo-mlp\",version=\"1\",} 9.0"), scrape);
    }

    private static long[] times(SampleRecord... samples) {
        return java.util.Arrays.stream(samples).mapToLong(SampleRecord::timestamp).toArray();
    }
}
