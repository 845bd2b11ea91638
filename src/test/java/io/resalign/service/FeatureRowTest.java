package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.sample.SampleRecord;
import io.resalign.sample.ServedPrediction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Scenario: the engine's side of the service turns each analysed sample into a feature row, and the
 * monitor's side takes the rows, possibly in another process after a trip through Kafka. A monitor
 * fed the rows (encoded and decoded) must end exactly as one fed the metrics: the same reports, the
 * same reference, the same gauges and the same store records; a row written under another feature
 * schema is refused with a message naming the sample, never read into the wrong features.
 */
class FeatureRowTest {
    private static final ModelVersion MV = new ModelVersion("m", "1");
    private static final DriftSettings SETTINGS = DriftSettings.defaults()
            .withReferenceSize(200).withWindow(50, 25).withFalseAlarmRate(0.01).withBootstrapReplicates(500);

    private static SampleRecord sample(int i) {
        Optional<ServedPrediction> served = i % 3 == 0 ? Optional.empty() : Optional.of(new ServedPrediction.ClassIndex(i % 10));
        return new SampleRecord(MV.model(), MV.version(), "s-" + i, 10_000L + 100L * i, new float[] {0f}, new long[] {1}, served,
                i % 4 == 0 ? OptionalInt.of(i % 10) : OptionalInt.empty());
    }

    @Test
    void shouldLeaveAMonitorFedItsRowsExactlyAsOneFedTheMetrics() {
        ModelMonitor byMetrics = new ModelMonitor(MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu");
        ModelMonitor byRows = new ModelMonitor(MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu");
        SyntheticSamples samples = new SyntheticSamples(7);
        samples.shiftBlock("b1", 0);
        List<AlignmentReport> expected = new ArrayList<>();
        List<AlignmentReport> actual = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            if (i == 300) {
                samples.shiftBlock("b1", 3); // a drifted stretch, so that alarms and block shifts are compared too
            }
            SampleMetrics m = samples.next(i);
            SampleRecord s = sample(i);
            byMetrics.accept(s, m).ifPresent(expected::add);
            FeatureRow row = FeatureRow.fromBytes(FeatureRow.of(s, m, SyntheticSamples.SCHEMA, 2, 1_000 + i, 0).toBytes());
            byRows.accept(row).ifPresent(actual::add);
        }
        assertEquals(7, expected.size(), "windows of 50 every 25 after a reference of 200, ending at samples 249 to 399");
        assertTrue(expected.stream().anyMatch(r -> r.drift().alarm() == 1), "the drifted stretch raises the alarm");
        assertEquals(expected, actual);
        assertEquals(byMetrics.referenceProfile(), byRows.referenceProfile());
        assertEquals(byMetrics.gauges(99_999), byRows.gauges(99_999));
        InMemoryRecords a = new InMemoryRecords();
        InMemoryRecords b = new InMemoryRecords();
        byMetrics.save(a);
        byRows.save(b);
        assertTrue(a.sameAs(b), "the same store records: " + a + " vs " + b);
    }

    @Test
    void shouldKeepEveryFieldThroughItsBytesIncludingUndefinedValues() {
        double[] values = new double[SyntheticSamples.SCHEMA.size()];
        values[0] = Double.NaN;
        values[1] = -0.0;
        values[2] = Double.MIN_VALUE;
        FeatureRow row = new FeatureRow(new ModelVersion("resnet:50", "v/2"), "req-\u00e9", 1_796_000_000_123L, 7, OptionalInt.of(3),
                OptionalInt.empty(), FeatureRow.schemaHash(SyntheticSamples.SCHEMA), values, 5, 123_456_789_012L, 63);
        FeatureRow back = FeatureRow.fromBytes(row.toBytes());
        assertEquals(row, back);
        assertArrayEquals(values, back.values());
        assertEquals(OptionalInt.of(3), back.servedClass());
        assertEquals(OptionalInt.empty(), back.label());
        assertTrue(back.hasSource());
        assertFalse(new FeatureRow(MV, "x", 0, 0, OptionalInt.empty(), OptionalInt.empty(), 0, new double[0], -1, -1, -1).hasSource());
        FeatureVector features = back.features(SyntheticSamples.SCHEMA);
        assertTrue(Double.isNaN(features.value(0)));
    }

    @Test
    void shouldRefuseARowWrittenUnderAnotherSchemaOrForAnotherModelVersion() {
        SampleMetrics m = new SyntheticSamples(1).next(0);
        FeatureSchema other = FeatureSchema.forBlocks(List.of("b0", "b1", "b2"));
        FeatureRow row = FeatureRow.of(sample(0), m, SyntheticSamples.SCHEMA, 0, 0, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> row.features(other));
        assertTrue(e.getMessage().contains("sample s-0") && e.getMessage().contains("another build of the model directory"),
                e.getMessage());
        ModelMonitor monitor = new ModelMonitor(new ModelVersion("m", "2"), SyntheticSamples.SCHEMA, SETTINGS, "cpu");
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> monitor.accept(row));
        assertTrue(wrong.getMessage().contains("is for m:1, this monitor watches m:2"), wrong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FeatureRow.fromBytes(new byte[] {'P', 1, 0}), "not a feature row");
    }
}
