package io.resalign.streams;

import io.resalign.config.Topics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.drift.Combiner;
import io.resalign.drift.DriftSettings;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.AlignmentReport;
import io.resalign.service.ModelRegistry;
import io.resalign.streams.record.DeadLetters;
import io.resalign.sample.RejectReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario: a model server logs Fashion-MNIST requests for the bundled demo model to the samples
 * topic, with some broken records among them. The topology sends the broken ones, unchanged and
 * with their reason, to the dead-letter topic; batches the good ones by size or by max wait (a
 * wall-clock punctuator, driven here by {@code advanceWallClockTime}); skips and counts samples
 * over the rate limit; writes one report per closed window; and keeps the monitor in its store so
 * that a restarted instance resumes with the same reference. Real engine, real models directory.
 */
class AlignmentTopologyTest {
    private static final Instant START = Instant.parse("2026-11-27T10:00:00Z");
    private static final DriftSettings DRIFT = new DriftSettings(8, 8, 16, 0.05, 200, 4, Combiner.MAX_ABS, 1L);
    @RegisterExtension
    static final DemoRegistry DEMO = new DemoRegistry();

    @TempDir
    Path stateDir;

    private MeterRegistry meters;
    private MonitorBoard board;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> samples;
    private TestOutputTopic<byte[], byte[]> deadLetters;
    private TestOutputTopic<String, byte[]> reports;
    private long eventTime = START.toEpochMilli();
    private int next;

    @AfterEach
    void closeDriver() {
        if (driver != null) {
            driver.close();
        }
    }

    private void start(int batchSize, long maxWaitMillis, double rateLimit) {
        start(DEMO.get(), batchSize, maxWaitMillis, rateLimit);
    }

    private void start(ModelRegistry models, int batchSize, long maxWaitMillis, double rateLimit) {
        start(models, new ProcessorSettings(batchSize, maxWaitMillis, rateLimit, DRIFT));
    }

    private void start(ModelRegistry models, ProcessorSettings settings) {
        meters = new SimpleMeterRegistry();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "alignment-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        board = new MonitorBoard();
        driver = new TopologyTestDriver(TopologyProducer.topology(models, new ResalignMetrics(meters), board, settings),
                props, START);
        samples = driver.createInputTopic(Topics.INFERENCE_SAMPLES, new ByteArraySerializer(), new ByteArraySerializer());
        deadLetters = driver.createOutputTopic(Topics.INFERENCE_SAMPLES_DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        reports = driver.createOutputTopic(Topics.ALIGNMENT_REPORTS, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private void sendValid(int count) {
        for (int i = 0; i < count; i++) {
            eventTime += 100;
            samples.pipeInput(DemoRecords.MODEL.getBytes(), DemoRecords.valid(next++, eventTime), Instant.ofEpochMilli(eventTime));
        }
    }

    private double count(String name, String... tags) {
        Counter c = meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private double processed() {
        return count(ResalignMetrics.SAMPLES_PROCESSED, "model", DemoRecords.MODEL, "version", DemoRecords.VERSION);
    }

    @Test
    void shouldSendEachBadRecordUnchangedToTheDeadLetterTopicWithItsReason() {
        start(1, 1000, 0);
        List<DemoRecords.Bad> bad = DemoRecords.bad();
        for (DemoRecords.Bad b : bad) {
            samples.pipeInput(new TestRecord<>("key".getBytes(), b.value(), b.headers(), START));
        }
        sendValid(2);

        for (DemoRecords.Bad b : bad) {
            TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
            DeadLetters.Info info = DeadLetters.read(dead.headers()).orElseThrow();
            assertEquals(b.reason().code(), info.reason(), info.message());
            assertArrayEquals(b.value(), dead.value(), "the dead letter keeps the original value");
            assertArrayEquals("key".getBytes(), dead.key());
            assertEquals(Topics.INFERENCE_SAMPLES, info.sourceTopic());
            assertEquals(1.0, count(ResalignMetrics.RECORDS_REJECTED, "reason", b.reason().code()), b.reason().code());
        }
        assertTrue(bad.size() >= 20);
        assertEquals(bad.size() + 2, count(ResalignMetrics.RECORDS_IN));
        assertEquals(2.0, processed());
        assertTrue(deadLetters.isEmpty(), "valid samples must not reach the dead-letter topic");
        assertTrue(reports.isEmpty(), "no window has closed yet");
    }

    @Test
    void shouldAnalyseABatchWhenItReachesItsMaxSize() {
        start(4, 60_000, 0);
        sendValid(3);
        assertEquals(0.0, processed(), "three of four: the batch waits");
        sendValid(1);
        assertEquals(4.0, processed());
        sendValid(3);
        assertEquals(4.0, processed());
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldAnalyseAPartialBatchWhenItsOldestSampleHasWaitedTheMaxWait() {
        start(16, 500, 0);
        sendValid(3);
        driver.advanceWallClockTime(Duration.ofMillis(200));
        assertEquals(0.0, processed(), "200 ms of 500: the batch waits");
        driver.advanceWallClockTime(Duration.ofMillis(400));
        assertEquals(3.0, processed());
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        assertEquals(3.0, processed(), "nothing pending: nothing more analysed");
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldSkipAndCountSamplesOverTheRateLimit() {
        start(1, 1000, 2.0);
        sendValid(5); // the wall clock stands still: a bucket of two tokens
        assertEquals(2.0, processed());
        assertEquals(3.0, count(ResalignMetrics.SAMPLES_SKIPPED, "model", DemoRecords.MODEL, "version", DemoRecords.VERSION));
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        sendValid(1);
        assertEquals(3.0, processed(), "refilled after a second");
        assertEquals(6.0, count(ResalignMetrics.SAMPLES_IN, "model", DemoRecords.MODEL, "version", DemoRecords.VERSION));
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldSkipAndCountSamplesOnceTheEngineHasTakenItsShareOfTheWallClock() {
        // a share so small that the first batch overdraws the account: the stopped wall clock refills nothing
        start(DEMO.get(), new ProcessorSettings(2, 60_000, 0, 1e-9, Double.POSITIVE_INFINITY,
                ProcessorSettings.DEFAULT_MAX_PENDING_RECORD_BYTES, DRIFT));
        sendValid(2);
        assertEquals(2.0, processed(), "a new account starts full");
        sendValid(3);
        assertEquals(2.0, processed());
        assertEquals(3.0, count(ResalignMetrics.SAMPLES_SKIPPED, "model", DemoRecords.MODEL, "version", DemoRecords.VERSION));
        assertTrue(DEMO.get().engineNanos(new io.resalign.drift.ModelVersion(DemoRecords.MODEL, DemoRecords.VERSION)) > 0);
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldAnalyseTheBatchOfARecordAtOnceWhenTheRecordIsTooLargeToKeepInTheStore() {
        // a demo record is about 3 KB of JSON: over a 1,000-byte bound, so it never waits in the store
        start(DEMO.get(), new ProcessorSettings(8, 60_000, 0, 0, Double.POSITIVE_INFINITY, 1_000, DRIFT));
        sendValid(2);
        assertEquals(2.0, processed(), "each record's batch went at once, smaller than the batch size");
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(TopologyProducer.MONITOR_STORE);
        try (KeyValueIterator<String, byte[]> kept = store.prefixScan(PendingRecord.KEY_PREFIX,
                new org.apache.kafka.common.serialization.StringSerializer())) {
            assertTrue(!kept.hasNext(), "no record kept pending");
        }
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldAnalyseEachSampleAtOnceWhenOneAlreadyCostsTheBatchsEngineSeconds() {
        start(DEMO.get(), new ProcessorSettings(8, 60_000, 0, 0, 1e-9, ProcessorSettings.DEFAULT_MAX_PENDING_RECORD_BYTES, DRIFT));
        sendValid(8); // a full batch: from here on the engine's cost per sample is measured
        assertEquals(8.0, processed());
        sendValid(3);
        assertEquals(11.0, processed(), "the cost is known: each sample is its own batch");
        assertEquals(11.0, count(ResalignMetrics.SAMPLES_IN, "model", DemoRecords.MODEL, "version", DemoRecords.VERSION));
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldWriteOneReportPerClosedWindowAfterTheReference() {
        start(4, 1000, 0);
        sendValid(16 + 7);
        assertTrue(reports.isEmpty(), "reference of 16, then 7 of a window of 8");
        sendValid(1);
        TestRecord<String, byte[]> record = reports.readRecord();
        assertEquals("demo-mlp:1", record.key());
        AlignmentReport report = AlignmentReport.fromJson(record.value());
        assertEquals(8, report.window().sampleCount());
        assertEquals(16, report.window().firstSample());
        assertEquals(16, report.reference().sampleCount());
        assertNotNull(report.drift().threshold());
        assertEquals(report.window().endTime(), record.timestamp());
        assertEquals(1.0, count(ResalignMetrics.REPORTS, "model", "demo-mlp", "version", "1"));
        assertTrue(meters.find(ResalignMetrics.DRIFT_THRESHOLD).gauge().value() > 0);
        Set<String> allowed = Set.of("model", "version", "block", "stage", "reason", "feature", "device");
        for (var meter : meters.getMeters()) {
            assertTrue(meter.getId().getName().startsWith("resalign."), meter.getId().getName());
            for (var tag : meter.getId().getTags()) {
                // a histogram's fixed bucket bounds (SimpleMeterRegistry shows them as ".histogram" gauges) are bounded too
                boolean bucket = tag.getKey().equals("le") && meter.getId().getName().endsWith(".histogram");
                assertTrue(allowed.contains(tag.getKey()) || bucket, meter.getId() + ": label " + tag.getKey() + " is not a bounded one");
            }
        }
        assertNotNull(meters.find(ResalignMetrics.WINDOW_BLOCK_FEATURE_MEAN).tagKeys("block", "feature").gauge());
        assertTrue(reports.isEmpty(), "one window, one report");
        assertTrue(deadLetters.isEmpty());
    }

    /**
     * TopologyTestDriver deletes its state directory on close, so the restart is played as Kafka
     * Streams plays it for a task that moves or restarts without local state: the new instance's
     * store receives what the changelog holds (here: the old store's entries) before records flow.
     */
    @Test
    void shouldResumeWithTheSameReferenceWhenTheStoreIsRestoredAfterARestart() {
        start(4, 1000, 0);
        sendValid(16 + 8);
        AlignmentReport before = AlignmentReport.fromJson(reports.readRecord().value());
        Map<String, byte[]> changelog = new HashMap<>();
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(TopologyProducer.MONITOR_STORE);
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            all.forEachRemaining(kv -> changelog.put(kv.key, kv.value));
        }
        assertEquals(List.of("demo-mlp:1", "demo-mlp:1/last-window", "demo-mlp:1/reference/0/0"),
                changelog.keySet().stream().sorted().toList(), "head, last window, the reference in one chunk");
        driver.close();
        driver = null;

        start(4, 1000, 0);
        KeyValueStore<String, byte[]> restored = driver.getKeyValueStore(TopologyProducer.MONITOR_STORE);
        changelog.forEach(restored::put);
        // the new driver numbers offsets from 0 again: its first 24 records are where the old one
        // stopped, as a delivery after a crash would replay them; the monitor took them already
        next = 0;
        eventTime = START.toEpochMilli();
        sendValid(16 + 8);
        // the analysis stage has no positions: it analyses them again, and the monitor skips their rows
        assertEquals(24, processed(), "the engine analyses the replayed records again");
        assertTrue(reports.isEmpty(), "the monitor's head counts their samples already: no window closes twice");
        sendValid(8);
        AlignmentReport after = AlignmentReport.fromJson(reports.readRecord().value());
        assertEquals(before.reference().createdAt(), after.reference().createdAt(), "the reference came back from the store");
        assertEquals(before.reference().sampleCount(), after.reference().sampleCount());
        assertEquals(24, after.window().firstSample(), "sample ordinals continue");
        assertEquals(before.drift().threshold(), after.drift().threshold());
        assertTrue(reports.isEmpty());
        assertTrue(deadLetters.isEmpty());
    }

    /**
     * An upgrade from a build before the two stages: the monitor state lies in the analysis store
     * (`model-monitors`), where the single stage kept it. The analysis task sends it to the monitor
     * stage before its first record, the monitor stage moves it into place, and the analysis task
     * deletes its copy once a commit has passed: the reference comes back, the ordinals continue.
     */
    @Test
    void shouldCarryAMonitorAnEarlierBuildKeptInTheAnalysisStoreToTheMonitorStage() {
        start(4, 1000, 0);
        sendValid(16 + 8);
        AlignmentReport before = AlignmentReport.fromJson(reports.readRecord().value());
        Map<String, byte[]> old = new HashMap<>();
        try (KeyValueIterator<String, byte[]> all = driver.<String, byte[]>getKeyValueStore(TopologyProducer.MONITOR_STORE).all()) {
            all.forEachRemaining(kv -> old.put(kv.key, kv.value));
        }
        driver.close();
        driver = null;

        start(4, 1000, 0);
        KeyValueStore<String, byte[]> analysisStore = driver.getKeyValueStore(TopologyProducer.ANALYSIS_STORE);
        old.forEach(analysisStore::put); // where an earlier build kept it
        // the new driver numbers offsets from 0 again: its first 24 records stand where the old one stopped
        next = 0;
        eventTime = START.toEpochMilli();
        sendValid(24);
        assertTrue(reports.isEmpty(), "the moved monitor's positions cover them");
        sendValid(8);
        AlignmentReport after = AlignmentReport.fromJson(reports.readRecord().value());
        assertEquals(before.reference().createdAt(), after.reference().createdAt(), "the reference came over");
        assertEquals(before.reference().sampleCount(), after.reference().sampleCount());
        assertEquals(24, after.window().firstSample(), "sample ordinals continue");
        assertEquals(before.drift().threshold(), after.drift().threshold());
        driver.advanceWallClockTime(Duration.ofSeconds(1)); // a punctuation after the commit: the copy is deleted
        for (String key : old.keySet()) {
            assertNull(analysisStore.get(key), key + " left the analysis store");
            assertNotNull(driver.<String, byte[]>getKeyValueStore(TopologyProducer.MONITOR_STORE).get(key), key + " is in the monitor store");
        }
        try (KeyValueIterator<String, byte[]> all = driver.<String, byte[]>getKeyValueStore(TopologyProducer.MONITOR_STORE)
                .prefixScan(MonitorTransfer.STAGED, new org.apache.kafka.common.serialization.StringSerializer())) {
            assertFalse(all.hasNext(), "nothing left staged");
        }
    }

    @Test
    void shouldRefuseToBuildTheTopologyWhenAWindowWouldNotFitOneStoreRecord() {
        // demo-mlp has 46 features: 2,000 x 46 x 4 bytes = 368 kB of rows, over the 256 KiB bound
        ProcessorSettings settings = new ProcessorSettings(4, 1000, 0, DRIFT.withWindow(2_000, 2_000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyProducer.topology(DEMO.get(), new ResalignMetrics(new SimpleMeterRegistry()), new MonitorBoard(), settings));
        // every model version that does not fit is named (demo-mlp 46 features, demo-conv 36 when loaded)
        assertTrue(e.getMessage().contains("resalign.drift.window-size=2000") && e.getMessage().contains("demo-mlp:1")
                && e.getMessage().contains("at most 1424"), e.getMessage());
        for (var mv : DEMO.get().loaded()) {
            long bytes = 2_000L * DEMO.get().schema(mv).size() * Float.BYTES;
            assertEquals(bytes > 256 * 1024, e.getMessage().contains(mv.model() + ":" + mv.version() + ":"),
                    mv + " with " + bytes + " bytes of window rows: " + e.getMessage());
        }
    }

    @Test
    void shouldStartAFreshReferenceInsteadOfFailingWhenTheStoredStateIsFromBeforeOutputDrift() {
        io.resalign.drift.ModelVersion mv = new io.resalign.drift.ModelVersion(DemoRecords.MODEL, DemoRecords.VERSION);
        io.resalign.drift.FeatureSchema before = io.resalign.drift.FeatureSchema.of(DEMO.get().schema(mv).names().stream()
                .filter(f -> !io.resalign.drift.FeatureSchema.isOutputFeature(f)).toList());
        io.resalign.service.ModelMonitor old = new io.resalign.service.ModelMonitor(mv, before, DRIFT, "cpu");
        for (int i = 0; i < 5; i++) {
            old.accept(new io.resalign.engine.metrics.SampleMetrics(i, 0, new float[10], 1.0, 0.5, 1.2, 0.3, 0.6, 2.0, List.of(),
                    List.of(), new double[0][0]), START.toEpochMilli() + i);
        }
        start(4, 1000, 0);
        old.save(MonitorStore.records(driver.getKeyValueStore(TopologyProducer.MONITOR_STORE)));

        sendValid(8);

        assertEquals(8.0, processed(), "the samples were analysed, not dead-lettered");
        assertTrue(deadLetters.isEmpty());
        io.resalign.service.ModelMonitor stored = io.resalign.service.ModelMonitor.load(
                MonitorStore.records(driver.getKeyValueStore(TopologyProducer.MONITOR_STORE)), mv, DEMO.get().schema(mv), DRIFT, "cpu")
                .orElseThrow();
        assertEquals(DEMO.get().schema(mv), stored.schema(), "the state was written anew with the output features");
        assertTrue(stored.isCollectingReference());
        assertEquals(8, stored.samplesSeen(), "a fresh reference: the 5 samples of the refused state are not counted");
    }

    @Test
    void shouldStartANewReferenceWhenNothingWasStored() {
        start(4, 1000, 0);
        sendValid(8);
        assertTrue(reports.isEmpty(), "8 samples only fill half of a new reference");
        assertEquals(8.0, processed());
    }

    @Test
    void shouldApplyOperatorCommandsInThePunctuatorWhenTheTaskHoldsTheMonitor() throws Exception {
        start(4, 1000, 0);
        var unknown = board.send(new io.resalign.drift.ModelVersion("demo-mlp", "1"), MonitorBoard.Command.PIN_LAST_WINDOW);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        assertEquals(false, unknown.get(), "no sample seen: no monitor to pin");

        sendValid(16 + 8);
        reports.readRecord();
        var pin = board.send(new io.resalign.drift.ModelVersion("demo-mlp", "1"), MonitorBoard.Command.PIN_LAST_WINDOW);
        assertTrue(!pin.isDone(), "commands wait for the stream thread");
        driver.advanceWallClockTime(Duration.ofMillis(600));
        assertEquals(true, pin.get());
        assertEquals(8.0, meters.find(ResalignMetrics.REFERENCE_SAMPLES).gauge().value(), "the pinned window of 8 is the reference");

        var reset = board.send(new io.resalign.drift.ModelVersion("demo-mlp", "1"), MonitorBoard.Command.RESET_REFERENCE);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        assertEquals(true, reset.get());
        assertEquals(1.0, meters.find(ResalignMetrics.REFERENCE_COLLECTING).gauge().value());
        sendValid(16 + 8);
        AlignmentReport afterReset = AlignmentReport.fromJson(reports.readRecord().value());
        assertEquals(16, afterReset.reference().sampleCount());
        assertEquals(40, afterReset.window().firstSample(), "the new reference took samples 24..39");
        assertTrue(reports.isEmpty());
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldDeadLetterTheRecordsOfAFailedBatchAndGoOnWhenTheEngineFails() throws Exception {
        ModelRegistry broken = ModelRegistry.load(DemoRecords.MODELS.resolve(DemoRecords.MODEL), DeviceChoice.CPU, EngineOptions.defaults());
        broken.close(); // every analysis now throws; the catalog still accepts the records
        start(broken, 2, 1000, 0);
        sendValid(3);

        for (int i = 0; i < 2; i++) {
            TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
            DeadLetters.Info info = DeadLetters.read(dead.headers()).orElseThrow();
            assertEquals(RejectReason.INTERNAL_ERROR.code(), info.reason());
            assertTrue(info.message().contains("analysis of the batch failed for demo-mlp:1"), info.message());
            assertArrayEquals(DemoRecords.valid(i, START.toEpochMilli() + 100L * (i + 1)), dead.value(), "the original record");
        }
        assertTrue(deadLetters.isEmpty(), "the third sample waits for its batch");
        assertEquals(1.0, count(ResalignMetrics.ANALYSIS_FAILURES, "model", "demo-mlp", "version", "1"));
        assertEquals(2.0, count(ResalignMetrics.SAMPLES_FAILED, "model", "demo-mlp", "version", "1"));
        assertEquals(0.0, processed());

        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertEquals(RejectReason.INTERNAL_ERROR.code(), DeadLetters.read(deadLetters.readRecord().headers()).orElseThrow().reason(),
                "the stream thread went on: the punctuator sent the third");
        assertEquals(2.0, count(ResalignMetrics.ANALYSIS_FAILURES, "model", "demo-mlp", "version", "1"));
        assertTrue(deadLetters.isEmpty());
        assertTrue(reports.isEmpty());
    }
}
