package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceBand;
import io.resalign.drift.ReferenceProfile;
import io.resalign.engine.metrics.SampleMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The monitor on synthetic engine results: reference from the first N samples, hopping windows
 * with sample ordinals, the drift decision, output context, pin and reset, and its state codec.
 */
class ModelMonitorTest {
    private static final ModelVersion MV = new ModelVersion("m", "1");
    private static final DriftSettings SETTINGS = DriftSettings.defaults()
            .withReferenceSize(200).withWindow(50, 25).withFalseAlarmRate(0.01).withBootstrapReplicates(2_000);

    private static ModelMonitor monitor() {
        return new ModelMonitor(MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu");
    }

    /** Feeds samples {@code from .. from + n - 1}, sample i at time 10 s + 100 ms * i. */
    private static List<AlignmentReport> feed(ModelMonitor monitor, SyntheticSamples samples, int from, int n) {
        List<AlignmentReport> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            monitor.accept(samples.next(i), time(i)).ifPresent(out::add);
        }
        return out;
    }

    static long time(int i) {
        return 10_000L + 100L * i;
    }

    @Test
    void shouldBuildTheReferenceFromTheFirstNSamplesAndReportOnlyLaterWindows() {
        ModelMonitor monitor = monitor();
        SyntheticSamples samples = new SyntheticSamples(1);

        assertTrue(feed(monitor, samples, 0, 200).isEmpty(), "nothing is tested while the reference is collected");
        ReferenceProfile profile = monitor.referenceProfile().orElseThrow();
        assertEquals(200, profile.sampleCount());
        assertEquals(time(199), profile.createdAt());

        List<AlignmentReport> reports = feed(monitor, samples, 200, 100);

        assertEquals(3, reports.size(), "windows of 50 every 25 after the reference: ends at 249, 274, 299");
        AlignmentReport first = reports.get(0);
        assertEquals(new AlignmentReport.Window(time(200), time(249), 200, 249, 50, 50, 25), first.window());
        assertEquals(new AlignmentReport.Window(time(225), time(274), 225, 274, 50, 50, 25), reports.get(1).window());
        assertEquals(new AlignmentReport.Reference("first_samples", time(199), 200, (time(249) - time(199)) / 1000.0),
                first.reference());
        assertEquals(SyntheticSamples.SCHEMA.names(), first.features().stream().map(AlignmentReport.FeatureStatistics::feature).toList());
        assertEquals("b1", first.features().get(SyntheticSamples.SCHEMA.indexOf("block:b1:sigma1")).block());
        assertEquals(50, first.features().get(0).count());
        assertNull(first.output(), "no record carried a prediction or a label");
        assertEquals(first.drift().alarm() == 1, first.drift().statistic() > first.drift().threshold());
        assertEquals(reports.get(2), monitor.latestReport().orElseThrow());
    }

    @Test
    void shouldRaiseTheAlarmAndNameTheBlockWhenOneBlockShifts() {
        ModelMonitor monitor = monitor();
        SyntheticSamples samples = new SyntheticSamples(2);
        List<AlignmentReport> stationary = feed(monitor, samples, 0, 400);
        assertTrue(stationary.stream().filter(r -> r.drift().alarm() == 1).count() <= 1,
                "at alpha 0.01 a stationary stream raises at most a rare alarm");

        samples.shiftBlock("b1", 2.0);
        List<AlignmentReport> shifted = feed(monitor, samples, 400, 50);

        AlignmentReport report = shifted.get(shifted.size() - 1);
        assertEquals(1, report.drift().alarm(), "a 2 sd shift of a whole block in a 50-sample window");
        assertEquals("b1", report.drift().topBlocks().get(0).block());
        assertEquals("b1", report.drift().topFeatures().get(0).block());
        assertTrue(report.drift().topFeatures().size() <= AlignmentReport.Drift.TOP);
        MonitorGauges gauges = monitor.gauges(time(449) + 5_000);
        assertEquals(1, gauges.decision());
        assertEquals(report.drift().statistic(), gauges.statistic());
        assertEquals(report.features().get(0).mean(), gauges.windowMeans().get("line_shape"));
        assertEquals((time(449) + 5_000 - time(199)) / 1000.0, gauges.referenceAgeSeconds());
        assertEquals(450, gauges.samplesSeen());
    }

    @Test
    void shouldExportTheReferenceMeanAndABandScaledByTheCalibratedThresholdWhenTheReferenceIsReady() {
        ModelMonitor monitor = monitor();
        SyntheticSamples samples = new SyntheticSamples(8);
        List<FeatureVector> reference = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            SampleMetrics m = samples.next(i);
            reference.add(FeatureVector.of(m, SyntheticSamples.SCHEMA));
            monitor.accept(m, time(i));
            if (i == 100) {
                assertEquals(ReferenceBand.UNKNOWN, monitor.gauges(0).reference().get("line_shape"), "nothing while collecting");
            }
        }
        AlignmentReport first = feed(monitor, samples, 200, 50).get(0);
        double threshold = first.drift().threshold(); // calibrated for windows of 50 by now
        double outputThreshold = first.outputDrift().threshold(); // the output features' band uses their own group's threshold

        MonitorGauges gauges = monitor.gauges(0);
        for (int f = 0; f < SyntheticSamples.SCHEMA.size(); f++) {
            // independently: mean and sample sd of the float32 reference values, the band mean -+ T sd sqrt(1/n + 1/N)
            double sum = 0;
            for (FeatureVector v : reference) {
                sum += (float) v.value(f);
            }
            double mean = sum / reference.size();
            double ss = 0;
            for (FeatureVector v : reference) {
                ss += ((float) v.value(f) - mean) * ((float) v.value(f) - mean);
            }
            double t = FeatureSchema.isOutputFeature(SyntheticSamples.SCHEMA.name(f)) ? outputThreshold : threshold;
            double halfWidth = t * Math.sqrt(ss / (reference.size() - 1)) * Math.sqrt(1.0 / 50 + 1.0 / reference.size());
            ReferenceBand band = gauges.reference().get(SyntheticSamples.SCHEMA.name(f));
            String name = SyntheticSamples.SCHEMA.name(f);
            assertEquals(mean, band.mean(), 1e-9 * Math.abs(mean), name);
            assertEquals(mean - halfWidth, band.low(), 1e-9 * Math.abs(mean) + 1e-12, name);
            assertEquals(mean + halfWidth, band.high(), 1e-9 * Math.abs(mean) + 1e-12, name);
        }
    }

    @Test
    void shouldKeepWindowMeansInsideTheBandUntilABlockShiftsThenPutThatBlockOutside() {
        ModelMonitor monitor = monitor();
        SyntheticSamples samples = new SyntheticSamples(9);
        feed(monitor, samples, 0, 200);
        int inside = 0;
        int all = 0;
        for (AlignmentReport r : feed(monitor, samples, 200, 400)) {
            MonitorGauges g = monitor.gauges(0);
            for (AlignmentReport.FeatureStatistics s : r.features()) {
                ReferenceBand band = g.reference().get(s.feature());
                inside += s.mean() >= band.low() && s.mean() <= band.high() ? 1 : 0;
                all++;
            }
        }
        assertEquals(all, inside, "a stationary stream keeps every window mean inside its band (alpha 0.01 over all features)");

        samples.shiftBlock("b1", 2.0);
        feed(monitor, samples, 600, 50);
        MonitorGauges shifted = monitor.gauges(0);
        ReferenceBand sigma1 = shifted.reference().get("block:b1:sigma1");
        double windowMean = shifted.windowMeans().get("block:b1:sigma1");
        assertTrue(windowMean > sigma1.high(), "b1's sigma1 moved 2 sd: window mean " + windowMean + " above " + sigma1.high());
        assertEquals(1, shifted.decision());
    }

    @Test
    void shouldSummariseServedPredictionsAndLabelsWhenSamplesCarryThem() {
        ModelMonitor monitor = monitor();
        SyntheticSamples samples = new SyntheticSamples(3);
        feed(monitor, samples, 0, 200);
        AlignmentReport report = null;
        for (int i = 200; i < 250; i++) {
            SampleMetrics m = samples.next(i);
            // every sample served; the server agrees with the engine on even samples; labels on the first 20,
            // right (= the engine's class) on 15 of them
            OptionalInt served = OptionalInt.of(i % 2 == 0 ? m.predicted() : (m.predicted() + 1) % 10);
            OptionalInt label = i < 220 ? OptionalInt.of(i < 215 ? m.predicted() : (m.predicted() + 1) % 10) : OptionalInt.empty();
            report = monitor.accept(m, time(i), served, label).orElse(report);
        }

        AlignmentReport.OutputContext output = report.output();
        assertEquals(50, output.servedCount());
        assertEquals(0.5, output.servedAgreement());
        assertEquals(20, output.labelledCount());
        assertEquals(15 / 20.0, output.accuracy());
        // served = label on the even samples below 215 (8) and the odd ones from 215 (3)
        assertEquals(11 / 20.0, output.servedAccuracy(), 1e-12);
    }

    /** Feeds samples {@code from .. from + n - 1} and saves after every {@code batch} samples and at the end, as the processor does. */
    static void feedAndSave(ModelMonitor monitor, SyntheticSamples samples, int from, int n, int batch, StateRecords records) {
        for (int i = from; i < from + n; i++) {
            monitor.accept(samples.next(i), time(i));
            if ((i - from + 1) % batch == 0 || i == from + n - 1) {
                monitor.save(records);
            }
        }
    }

    private static ModelMonitor load(StateRecords records) {
        return ModelMonitor.load(records, MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu").orElseThrow();
    }

    @Test
    void shouldContinueExactlyAsTheOriginalWhenRestoredFromTheStore() {
        for (int cut : new int[] {1, 120, 200, 237, 262, 300}) {
            ModelMonitor original = monitor();
            SyntheticSamples samples = new SyntheticSamples(4);
            InMemoryRecords records = new InMemoryRecords();
            feedAndSave(original, samples, 0, cut, 16, records);

            ModelMonitor restored = load(records);
            InMemoryRecords restoredRecords = new InMemoryRecords(records);

            assertEquals(original.latestReport(), restored.latestReport(), "cut " + cut);
            assertEquals(original.referenceProfile(), restored.referenceProfile(), "cut " + cut);
            assertEquals(original.samplesSeen(), restored.samplesSeen(), "cut " + cut);
            ModelMonitor savedOnce = monitor();
            feed(savedOnce, new SyntheticSamples(4), 0, cut);
            InMemoryRecords fresh = new InMemoryRecords();
            savedOnce.save(fresh);
            assertTrue(records.sameAs(fresh), "cut " + cut + ": the incremental saves left exactly what one full save writes: "
                    + records + " vs " + fresh);

            List<AlignmentReport> expected = new ArrayList<>();
            List<AlignmentReport> actual = new ArrayList<>();
            for (int i = cut; i < cut + 260; i++) {
                SampleMetrics m = samples.next(i);
                original.accept(m, time(i)).ifPresent(expected::add);
                restored.accept(m, time(i)).ifPresent(actual::add);
                if ((i - cut) % 16 == 15) {
                    original.save(records);
                    restored.save(restoredRecords);
                }
            }
            original.save(records);
            restored.save(restoredRecords);
            assertFalse(expected.isEmpty(), "cut " + cut + ": the continuation closes windows");
            assertEquals(expected, actual, "cut " + cut);
            assertEquals(original.gauges(99_999), restored.gauges(99_999), "cut " + cut);
            assertTrue(records.sameAs(restoredRecords), "cut " + cut + ": both stores hold the same records");
            assertEquals(original.pinLastWindow(1), restored.pinLastWindow(1), "cut " + cut + ": the last window survives");
            assertEquals(original.referenceProfile(), restored.referenceProfile());
        }
    }

    @Test
    void shouldRestartWindowsFromThePinnedWindowWhenPinned() {
        ModelMonitor monitor = monitor();
        SyntheticSamples samples = new SyntheticSamples(5);
        assertFalse(monitor.pinLastWindow(1), "nothing to pin before a window closes");
        feed(monitor, samples, 0, 250);
        samples.shiftBlock("b0", 3.0);
        List<AlignmentReport> shifted = feed(monitor, samples, 250, 50);
        assertEquals(1, shifted.get(shifted.size() - 1).drift().alarm());

        assertTrue(monitor.pinLastWindow(77_000));

        assertTrue(feed(monitor, samples, 300, 49).isEmpty(), "windows restart after a pin");
        AlignmentReport after = feed(monitor, samples, 349, 1).get(0);
        assertEquals(new AlignmentReport.Reference("pinned_window", 77_000, 50, (time(349) - 77_000) / 1000.0), after.reference());
        assertEquals(300, after.window().firstSample());
        assertEquals(0, after.drift().alarm(), "the shifted stream is the new normal");
    }

    @Test
    void shouldTestNothingUntilTheNextNSamplesWhenReset() {
        ModelMonitor monitor = monitor();
        SyntheticSamples samples = new SyntheticSamples(6);
        feed(monitor, samples, 0, 260);

        monitor.resetReference();

        assertTrue(monitor.isCollectingReference());
        assertTrue(Double.isNaN(monitor.gauges(0).referenceAgeSeconds()));
        assertTrue(feed(monitor, samples, 260, 249).isEmpty());
        assertEquals(time(459), monitor.referenceProfile().orElseThrow().createdAt());
        assertEquals(509, feed(monitor, samples, 509, 1).get(0).window().lastSample());
    }

    @Test
    void shouldRaiseTheOutputAlarmButNotTheAlignmentAlarmWhenOnlyTheOutputShifts() {
        ModelMonitor monitor = monitor();
        SyntheticSamples samples = new SyntheticSamples(5);
        List<AlignmentReport> stationary = feed(monitor, samples, 0, 400);
        long stationaryOutputAlarms = stationary.stream().filter(r -> r.outputDrift().alarm() == 1).count();
        assertTrue(stationaryOutputAlarms <= 1, "at alpha 0.01 a stationary stream raises at most a rare output alarm");

        samples.shiftOutput(2.0);
        List<AlignmentReport> shifted = feed(monitor, samples, 400, 50);

        AlignmentReport report = shifted.get(shifted.size() - 1);
        assertEquals(1, report.outputDrift().alarm(), "a 2 sd shift of entropy and confidence: " + report.outputDrift());
        assertEquals(0, report.drift().alarm(), "the alignment features did not move: " + report.drift().statistic());
        assertEquals(2, report.outputDrift().testedFeatures());
        assertEquals(SyntheticSamples.SCHEMA.size() - 2, report.drift().testedFeatures(), "the alignment decision tests the rest");
        assertTrue(report.drift().topFeatures().stream().noneMatch(f -> FeatureSchema.isOutputFeature(f.feature())));
        AlignmentReport.OutputFeatureScore entropy = report.outputDrift().features().stream()
                .filter(f -> f.feature().equals("output_entropy")).findFirst().orElseThrow();
        assertTrue(entropy.z() > 0 && entropy.windowMean() > entropy.referenceMean(), "entropy moved up: " + entropy);
        assertEquals(report.features().get(SyntheticSamples.SCHEMA.indexOf("output_entropy")).mean(), entropy.windowMean(), 1e-6);
        MonitorGauges gauges = monitor.gauges(time(449));
        assertEquals(1, gauges.outputDecision());
        assertEquals(report.outputDrift().statistic(), gauges.outputStatistic());
        assertEquals(report.outputDrift().threshold(), gauges.outputThreshold());
        assertEquals(0, gauges.decision());
        long expectedAlarms = stationaryOutputAlarms + shifted.stream().filter(r -> r.outputDrift().alarm() == 1).count();
        assertEquals(expectedAlarms, gauges.outputAlarms());
        assertTrue(Double.isFinite(gauges.reference().get("output_confidence").low()), "output features have a band");

        InMemoryRecords records = new InMemoryRecords();
        monitor.save(records);
        MonitorGauges restored = load(records).gauges(time(449));
        assertEquals(List.of(gauges.outputAlarms(), gauges.outputDecision(), gauges.outputStatistic()),
                List.of(restored.outputAlarms(), restored.outputDecision(), restored.outputStatistic()), "the output alarms survive a restart");
    }

    @Test
    void shouldRefuseAStateStoredBeforeOutputDriftAndSaySoWhenLoaded() {
        FeatureSchema before = FeatureSchema.of(SyntheticSamples.SCHEMA.names().stream()
                .filter(f -> !FeatureSchema.isOutputFeature(f)).toList());
        for (int samplesTaken : new int[] {120, 260}) { // collecting, and ready with a last window
            ModelMonitor old = new ModelMonitor(MV, before, SETTINGS, "cpu");
            InMemoryRecords records = new InMemoryRecords();
            feedAndSave(old, new SyntheticSamples(8), 0, samplesTaken, 16, records);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(records));

            assertTrue(e.getMessage().contains("m:1") && e.getMessage().contains("stored before output drift")
                    && e.getMessage().contains("[output_entropy, output_confidence]") && e.getMessage().contains("new reference"),
                    e.getMessage());
            ModelMonitor fresh = monitor();
            fresh.save(records);
            assertEquals(List.of("m:1"), records.values.keySet().stream().sorted().toList(),
                    "the first save of the fresh monitor sweeps the refused state's chunks and last window");
            assertTrue(load(records).isCollectingReference());
        }
    }

    @Test
    void shouldRefuseTheStateWhenTheFeatureSchemaDiffersOrAPartIsMissing() {
        ModelMonitor monitor = monitor();
        InMemoryRecords records = new InMemoryRecords();
        feedAndSave(monitor, new SyntheticSamples(7), 0, 260, 16, records);
        FeatureSchema other = FeatureSchema.forBlocks(List.of("b0", "b1", "b2"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelMonitor.load(records, MV, other, SETTINGS, "cpu"));
        assertTrue(e.getMessage().contains("block:b2:sigma1"), e.getMessage());

        InMemoryRecords truncated = new InMemoryRecords(records);
        truncated.values.put("m:1", java.util.Arrays.copyOf(records.get("m:1"), 100));
        assertThrows(IllegalArgumentException.class, () -> load(truncated));

        InMemoryRecords chunkless = new InMemoryRecords(records);
        chunkless.delete("m:1/reference/0/0");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> load(chunkless));
        assertTrue(missing.getMessage().contains("m:1/reference/0/0"), missing.getMessage());

        InMemoryRecords windowless = new InMemoryRecords(records);
        windowless.delete("m:1/last-window");
        IllegalArgumentException noWindow = assertThrows(IllegalArgumentException.class, () -> load(windowless));
        assertTrue(noWindow.getMessage().contains("m:1/last-window"), noWindow.getMessage());

        assertTrue(ModelMonitor.load(new InMemoryRecords(), MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu").isEmpty(),
                "no head, no state");
    }
}
