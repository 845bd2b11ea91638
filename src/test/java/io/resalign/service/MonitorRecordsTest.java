package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceSource;
import io.resalign.engine.metrics.SampleMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The monitor's store layout: every record bounded whatever the reference size, small writes per
 * batch, reference generations replaced cleanly, stray parts swept, and the single-value state of
 * earlier versions migrated (under the feature schema it was written with) or, under the current
 * schema with output features, refused.
 */
class MonitorRecordsTest {
    private static final ModelVersion MV = new ModelVersion("m", "1");
    private static final DriftSettings SETTINGS = DriftSettings.defaults()
            .withReferenceSize(200).withWindow(50, 25).withFalseAlarmRate(0.01).withBootstrapReplicates(2_000);
    private static final int BATCH = 16;

    private static long time(int i) {
        return ModelMonitorTest.time(i);
    }

    private static ModelMonitor load(StateRecords records, FeatureSchema schema, DriftSettings settings) {
        return ModelMonitor.load(records, MV, schema, settings, "cpu").orElseThrow();
    }

    private static List<String> chunkKeys(InMemoryRecords records) {
        return records.keysWithPrefix("m:1/reference/");
    }

    @Test
    void shouldKeepEveryRecordBoundedAndEachBatchWriteSmallWhenTheReferenceExceedsKafkasRecordLimit() {
        // 20 watched blocks (106 features) and a reference of 5,000: the single-value state held
        // 5,000 x 106 float32 = 2.12 MB of reference rows alone, twice Kafka's default 1 MB record limit
        List<String> blocks = IntStream.range(0, 20).mapToObj(b -> "block" + b).toList();
        FeatureSchema schema = FeatureSchema.forBlocks(blocks);
        DriftSettings settings = DriftSettings.defaults().withReferenceSize(5_000).withFalseAlarmRate(0.01)
                .withBootstrapReplicates(2_000);
        assertTrue(5_000L * schema.size() * Float.BYTES > 1 << 20, "the old layout would not fit one record");
        ModelMonitor monitor = new ModelMonitor(MV, schema, settings, "cpu");
        SyntheticSamples samples = new SyntheticSamples(11, blocks);
        InMemoryRecords records = new InMemoryRecords();
        long largestBatchWrite = 0;
        long largestTestingBatchWrite = 0;
        int largestRecord = 0;
        for (int start = 0; start < 5_400; start += BATCH) {
            long before = records.bytesPut;
            for (int i = start; i < start + BATCH; i++) {
                monitor.accept(samples.next(i), time(i));
            }
            monitor.save(records);
            long written = records.bytesPut - before;
            largestBatchWrite = Math.max(largestBatchWrite, written);
            if (start >= 5_008) {
                largestTestingBatchWrite = Math.max(largestTestingBatchWrite, written); // after the reference's last chunk
            }
            largestRecord = Math.max(largestRecord, records.largest());
        }

        int rowsPerChunk = MonitorRecords.CHUNK_BYTES / (Float.BYTES * schema.size());
        assertEquals((5_000 + rowsPerChunk - 1) / rowsPerChunk, chunkKeys(records).size(), "the reference in chunks: " + records);
        for (String key : chunkKeys(records)) {
            assertTrue(records.get(key).length <= MonitorRecords.CHUNK_BYTES + 16, key + ": " + records.get(key).length + " bytes");
        }
        long windowBytes = 200L * schema.size() * Float.BYTES;
        assertTrue(largestRecord < 2 * windowBytes + 64 * 1024, "largest record " + largestRecord + " bytes");
        assertTrue(largestRecord < (1 << 20) / 4, "a quarter of Kafka's default limit at most: " + largestRecord);
        assertTrue(largestBatchWrite < MonitorRecords.CHUNK_BYTES + 2 * windowBytes + 64 * 1024,
                "a batch writes the head and at most a chunk or a window: " + largestBatchWrite);
        System.out.printf(Locale.ROOT, "106 features, reference 5000, window 200: %d records, largest %d bytes; per batch at most %d"
                + " bytes (%d once testing); %d bytes written in all%n", records.values.size(), largestRecord, largestBatchWrite,
                largestTestingBatchWrite, records.bytesPut);

        ModelMonitor restored = load(records, schema, settings);
        assertEquals(monitor.referenceProfile(), restored.referenceProfile(), "the 5,000-sample reference came back unchanged");
        assertEquals(2, assertSameContinuation(monitor, restored, samples, 5_400, 400, "reference 5,000"));
    }

    @Test
    void shouldWriteANewGenerationAndDeleteTheOldChunksWhenTheReferenceIsResetOrPinned() {
        ModelMonitor monitor = new ModelMonitor(MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu");
        SyntheticSamples samples = new SyntheticSamples(12);
        InMemoryRecords records = new InMemoryRecords();
        feedAndSave(monitor, samples, 0, 260, records);
        assertEquals(List.of("m:1/reference/0/0"), chunkKeys(records), "200 rows of 16 features fit one chunk");
        assertTrue(records.values.containsKey("m:1/last-window"));

        monitor.resetReference();
        monitor.save(records);
        assertEquals(List.of(), chunkKeys(records), "the old reference's chunks are deleted");
        assertFalse(records.values.containsKey("m:1/last-window"), "no window closed since the reset");
        assertTrue(load(records, SyntheticSamples.SCHEMA, SETTINGS).isCollectingReference());

        feedAndSave(monitor, samples, 260, 250, records);
        assertEquals(List.of("m:1/reference/1/0"), chunkKeys(records));
        assertTrue(monitor.pinLastWindow(77_000));
        monitor.save(records);
        assertEquals(List.of("m:1/reference/2/0"), chunkKeys(records));
        ModelMonitor restored = load(records, SyntheticSamples.SCHEMA, SETTINGS);
        assertEquals(ReferenceSource.PINNED_WINDOW, restored.referenceProfile().orElseThrow().source());
        assertEquals(monitor.referenceProfile(), restored.referenceProfile());
    }

    @Test
    void shouldSweepChunksNoHeadNamesAtTheFirstSaveAndLeaveOtherKeysAlone() {
        ModelMonitor monitor = new ModelMonitor(MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu");
        InMemoryRecords records = new InMemoryRecords();
        byte[] stray = {1, 2, 3};
        records.put("m:1/reference/7/0", stray); // a replaced generation whose delete was interrupted
        records.put("m:1/reference/0/5", stray); // a chunk written ahead of a head that never came
        records.put("m:1/last-window", stray);
        records.put("m:10", stray); // another model version's head
        records.put("m:1/reference/notes", stray); // not a chunk key

        feedAndSave(monitor, new SyntheticSamples(13), 0, 30, records);

        assertEquals(List.of("m:1", "m:1/reference/notes", "m:10"), List.copyOf(records.values.keySet()));
    }

    /** The features of {@link SyntheticSamples#SCHEMA} as the builds before output drift named them. */
    private static final FeatureSchema BEFORE_OUTPUT_DRIFT = FeatureSchema.of(SyntheticSamples.SCHEMA.names().stream()
            .filter(f -> !FeatureSchema.isOutputFeature(f)).toList());

    @Test
    void shouldMigrateTheSingleValueStateOfEarlierVersionsWhenReadUnderTheSchemaItWasWrittenWith() throws IOException {
        // written by an earlier build's ModelMonitor.toBytes() (seed 4, samples 0..cut-1, the settings above)
        for (int cut : new int[] {120, 262}) {
            InMemoryRecords records = new InMemoryRecords();
            records.put("m:1", fixture("monitor-m-1-cut" + cut + ".bin"));
            ModelMonitor same = new ModelMonitor(MV, BEFORE_OUTPUT_DRIFT, SETTINGS, "cpu");
            SyntheticSamples samples = new SyntheticSamples(4);
            for (int i = 0; i < cut; i++) {
                same.accept(samples.next(i), time(i));
            }

            ModelMonitor migrated = load(records, BEFORE_OUTPUT_DRIFT, SETTINGS);
            assertTrue(migrated.migrated(), "cut " + cut);
            assertEquals(same.samplesSeen(), migrated.samplesSeen(), "cut " + cut);
            assertEquals(same.referenceProfile(), migrated.referenceProfile(), "cut " + cut);
            // the stored report predates output_drift, which reads as null; a schema without output features reports an empty decision.
            // A stored report is history: it keeps the threshold and p-value of the build that computed it, from before the bootstrap
            // replicates were scaled by newObservationScale (3.3485355483680355 at cut 262, now 3.415...); all else is recomputed alike.
            Optional<AlignmentReport> stored = migrated.latestReport();
            assertEquals(same.latestReport().map(r -> asStored(r, stored.orElseThrow())), stored, "cut " + cut);
            if (cut == 262) {
                assertEquals(3.3485355483680355, stored.orElseThrow().drift().threshold(), 0.0);
            }
            migrated.save(records);
            assertEquals('H', records.get("m:1")[0], "cut " + cut + ": the head replaced the single value");
            ModelMonitor reread = load(records, BEFORE_OUTPUT_DRIFT, SETTINGS);
            assertFalse(reread.migrated());

            assertTrue(assertSameContinuation(same, reread, samples, cut, 260, "migrated at cut " + cut) > 0);
        }
    }

    /** Returns {@code r} as a report stored by an earlier build: without output_drift, with the stored drift threshold and p-value. */
    private static AlignmentReport asStored(AlignmentReport r, AlignmentReport stored) {
        AlignmentReport.Drift d = r.drift();
        AlignmentReport.Drift drift = new AlignmentReport.Drift(d.statistic(), stored.drift().threshold(), stored.drift().pValue(), d.alarm(),
                d.falseAlarmRate(), d.combiner(), d.testedFeatures(), d.topBlocks(), d.topFeatures());
        return new AlignmentReport(r.schemaVersion(), r.model(), r.version(), r.window(), r.features(), r.reference(), drift,
                r.engineDevice(), r.output(), null);
    }

    @Test
    void shouldRefuseTheStateOfABuildBeforeOutputDriftWithAMessageThatSaysSoWhenReadUnderTheCurrentSchema() throws IOException {
        for (int cut : new int[] {120, 262}) { // collecting, and ready
            InMemoryRecords records = new InMemoryRecords();
            records.put("m:1", fixture("monitor-m-1-cut" + cut + ".bin"));

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> load(records, SyntheticSamples.SCHEMA, SETTINGS));

            assertTrue(e.getMessage().startsWith("monitor state of m:1 was stored before output drift"), e.getMessage());
            assertTrue(e.getMessage().contains("Upgrading to output drift"), "points to the upgrade note: " + e.getMessage());
        }
    }

    @Test
    void shouldRefuseAWindowSizeWhoseRowsExceedTheRecordBoundWhenChecked() {
        FeatureSchema schema = FeatureSchema.forBlocks(IntStream.range(0, 20).mapToObj(b -> "block" + b).toList());
        MonitorRecords.requireBounded(MV, schema, DriftSettings.defaults()); // 200 x 106 x 4 = 85 kB

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MonitorRecords.requireBounded(MV, schema, DriftSettings.defaults().withWindow(1_000, 1_000)));
        assertTrue(e.getMessage().contains("resalign.drift.window-size=1000"), e.getMessage());
        assertTrue(e.getMessage().contains("m:1"), e.getMessage());
        assertTrue(e.getMessage().contains("at most " + (256 * 1024 / (106 * 4))), e.getMessage());
    }

    /** Feeds samples {@code from .. from + n - 1} to both monitors, asserts they report alike, and returns the number of reports. */
    private static int assertSameContinuation(ModelMonitor original, ModelMonitor restored, SyntheticSamples samples, int from, int n,
            String what) {
        List<AlignmentReport> expected = new ArrayList<>();
        List<AlignmentReport> actual = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            SampleMetrics m = samples.next(i);
            original.accept(m, time(i)).ifPresent(expected::add);
            restored.accept(m, time(i)).ifPresent(actual::add);
        }
        assertEquals(expected, actual, what + ": the restored monitor continues as the original");
        return expected.size();
    }

    private static void feedAndSave(ModelMonitor monitor, SyntheticSamples samples, int from, int n, InMemoryRecords records) {
        ModelMonitorTest.feedAndSave(monitor, samples, from, n, BATCH, records);
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = MonitorRecordsTest.class.getResourceAsStream("/legacy-state/" + name)) {
            assertTrue(in != null, "fixture " + name);
            return in.readAllBytes();
        }
    }
}
