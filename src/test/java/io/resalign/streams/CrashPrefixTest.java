package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.Topics;
import io.resalign.drift.Combiner;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a crash under at-least-once can leave, played exhaustively: the two tasks of one partition
 * (analysis and monitor) take a stream of demo records (some carrying three samples, so records
 * straddle batches) and both stores' changelogs are captured write by write, in the order they are
 * made (per record: the analysis task's writes, then the monitor task's for the rows it sent). A
 * crash keeps a prefix of those writes and commits offsets only up to a record whose writes are all
 * in the prefix. For every prefix, new tasks restore it and take the records again, once from the
 * latest offset the prefix allows and once from the first record (the most a broker can deliver
 * again; the analysis task analyses them again and the monitor skips the rows it counted): both
 * stores must end byte for byte as the uncrashed tasks' did, so every sample is counted once, in the
 * same windows against the same reference, and the reports written are the uncrashed ones' last
 * ones, identical.
 */
class CrashPrefixTest {
    private static final String APP = "crash-prefix-test";
    private static final String ANALYSIS_CHANGELOG = APP + "-" + TopologyProducer.ANALYSIS_STORE + "-changelog";
    private static final String MONITOR_CHANGELOG = APP + "-" + TopologyProducer.MONITOR_STORE + "-changelog";
    private static final Instant START = Instant.parse("2026-12-03T10:00:00Z");
    private static final DriftSettings DRIFT = new DriftSettings(8, 8, 16, 0.05, 200, 4, Combiner.MAX_ABS, 1L);
    private static final ProcessorSettings SETTINGS = new ProcessorSettings(4, 60_000, 0, DRIFT);
    private static final ModelVersion MV = new ModelVersion(DemoRecords.MODEL, DemoRecords.VERSION);
    private static final int RECORDS = 23;
    @RegisterExtension
    static final DemoRegistry DEMO = new DemoRegistry();

    @TempDir
    Path stateDir;

    /** One task over a fresh store, with its topics. */
    private final class Task implements AutoCloseable {
        final TopologyTestDriver driver;
        final TestInputTopic<byte[], byte[]> samples;
        final TestOutputTopic<String, byte[]> analysisChangelog;
        final TestOutputTopic<String, byte[]> monitorChangelog;
        final TestOutputTopic<String, byte[]> reports;

        Task() {
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            driver = new TopologyTestDriver(TopologyProducer.topology(DEMO.get(), new ResalignMetrics(new SimpleMeterRegistry()),
                    new MonitorBoard(), SETTINGS), props, START);
            samples = driver.createInputTopic(Topics.INFERENCE_SAMPLES, new ByteArraySerializer(), new ByteArraySerializer());
            analysisChangelog = driver.createOutputTopic(ANALYSIS_CHANGELOG, new StringDeserializer(), new ByteArrayDeserializer());
            monitorChangelog = driver.createOutputTopic(MONITOR_CHANGELOG, new StringDeserializer(), new ByteArrayDeserializer());
            reports = driver.createOutputTopic(Topics.ALIGNMENT_REPORTS, new StringDeserializer(), new ByteArrayDeserializer());
        }

        KeyValueStore<String, byte[]> store(String name) {
            return driver.getKeyValueStore(name);
        }

        /** Both stores, each key prefixed with its store's name. */
        Map<String, byte[]> contents() {
            Map<String, byte[]> out = new TreeMap<>();
            for (String name : List.of(TopologyProducer.ANALYSIS_STORE, TopologyProducer.MONITOR_STORE)) {
                try (KeyValueIterator<String, byte[]> all = store(name).all()) {
                    all.forEachRemaining(kv -> out.put(name + " " + kv.key, kv.value));
                }
            }
            return out;
        }

        Map<String, byte[]> monitorContents() {
            Map<String, byte[]> out = new TreeMap<>();
            try (KeyValueIterator<String, byte[]> all = store(TopologyProducer.MONITOR_STORE).all()) {
                all.forEachRemaining(kv -> out.put(kv.key, kv.value));
            }
            return out;
        }

        /** Reads the writes both changelogs received since the last call: the analysis task's first, as they were made. */
        void collect(List<Write> writes) {
            analysisChangelog.readRecordsToList().forEach(w -> writes.add(new Write(TopologyProducer.ANALYSIS_STORE, w.key(), w.value())));
            monitorChangelog.readRecordsToList().forEach(w -> writes.add(new Write(TopologyProducer.MONITOR_STORE, w.key(), w.value())));
        }

        /** Lets the last batch go (it waited the max wait, a minute), then what was deferred be written. */
        void drain() {
            driver.advanceWallClockTime(java.time.Duration.ofSeconds(61));
            settle();
        }

        /** Lets the analysis task write what it defers until a commit has passed (a punctuation; no batch waited a minute). */
        void settle() {
            driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
        }

        List<String> reportJson() {
            return reports.readValuesToList().stream().map(v -> new String(v, java.nio.charset.StandardCharsets.UTF_8)).toList();
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    /** Record r carries three samples when r % 3 == 1, else one: 39 samples in 23 records, 36 of them in 9 batches of 4. */
    private static byte[] record(int r) {
        long time = START.toEpochMilli() + 100L * r;
        return r % 3 == 1 ? DemoRecords.validBatch(r, 3, time) : DemoRecords.valid(r, time);
    }

    private static void pipe(Task task, int record) {
        task.samples.pipeInput(new TestRecord<>(DemoRecords.MODEL.getBytes(), record(record), START.plusMillis(100L * record)));
    }

    /** A write of one of the two stores. */
    private record Write(String store, String key, byte[] value) {}

    @Test
    void shouldEndWithTheUncrashedStoreWhateverPrefixOfTheChangelogACrashLeaves() {
        List<Write> writes = new ArrayList<>();
        int[] writesAfter = new int[RECORDS];
        Map<String, byte[]> expected;
        List<String> expectedReports;
        try (Task a = new Task()) {
            for (int r = 0; r < RECORDS; r++) {
                pipe(a, r);
                a.collect(writes);
                writesAfter[r] = writes.size();
            }
            a.settle();
            assertEquals(36, monitor(a.monitorContents()).samplesSeen(), "9 batches of 4, 3 samples pending");
            assertTrue(a.contents().keySet().stream().anyMatch(k -> k.startsWith(TopologyProducer.ANALYSIS_STORE + " " + PendingRecord.KEY_PREFIX)),
                    "the task ends with samples pending, kept in the store: " + a.contents().keySet());
            a.drain();
            expected = a.contents();
            expectedReports = a.reportJson();
        }
        ModelMonitor uncrashed = monitor(monitorOnly(expected));
        assertEquals(39, uncrashed.samplesSeen(), "every sample, the last 3 after their batch waited the max wait");
        assertTrue(expectedReports.size() >= 2, "windows closed: " + expectedReports.size());
        assertTrue(expected.keySet().stream().noneMatch(k -> k.startsWith(TopologyProducer.ANALYSIS_STORE + " ")),
                "nothing left pending: " + expected.keySet());

        int checked = 0;
        for (int cut = 0; cut <= writes.size(); cut++) {
            int committed = 0; // records whose writes are all in the prefix: the offsets a commit may have covered
            while (committed < RECORDS && writesAfter[committed] <= cut) {
                committed++;
            }
            for (int from : new int[] {committed, 0}) {
                try (Task b = new Task()) {
                    for (Write w : writes.subList(0, cut)) {
                        if (w.value() == null) {
                            b.store(w.store()).delete(w.key());
                        } else {
                            b.store(w.store()).put(w.key(), w.value());
                        }
                    }
                    long restoredWindows = b.store(TopologyProducer.MONITOR_STORE).get(AnalysisProcessor.key(MV)) == null ? 0
                            : windowsTested(monitor(b.monitorContents()));
                    for (int r = 0; r < from; r++) {
                        // the new driver numbers offsets from 0: records before `from` are not delivered again,
                        // so their offsets are taken by records the decoder refuses (dead-lettered, no state)
                        b.samples.pipeInput(new TestRecord<>(new byte[0], "not a sample".getBytes(), START));
                    }
                    for (int r = from; r < RECORDS; r++) {
                        pipe(b, r);
                    }
                    String where = "crash after " + cut + " of " + writes.size() + " writes, delivered again from record " + from;
                    b.drain();
                    Map<String, byte[]> actual = b.contents();
                    assertEquals(expected.keySet(), actual.keySet(), where + ": the same records in the stores");
                    // A replay shifts the batches (a sample analysed again is dropped by the monitor, but took its
                    // batch slot), and a sample's metrics depend in their last digits on its batch: the same samples,
                    // counted once in the same order, not the same bits.
                    ModelMonitor m = monitor(b.monitorContents());
                    assertEquals(uncrashed.samplesSeen(), m.samplesSeen(), where + ": every sample counted once");
                    assertEquals(windowsTested(uncrashed), windowsTested(m), where + ": the same windows tested");
                    assertEquals(uncrashed.referenceProfile().orElseThrow().sampleCount(), m.referenceProfile().orElseThrow().sampleCount(), where);
                    assertEquals(uncrashed.referenceProfile().orElseThrow().createdAt(), m.referenceProfile().orElseThrow().createdAt(),
                            where + ": the reference of the same samples");
                    List<String> reports = b.reportJson();
                    assertEquals(expectedReports.size() - restoredWindows, reports.size(), where + ": each window reported once more at most");
                    List<String> tail = expectedReports.subList(expectedReports.size() - reports.size(), expectedReports.size());
                    for (int i = 0; i < reports.size(); i++) {
                        DemoStreamRun.assertSameWindow(json(tail.get(i)), json(reports.get(i)), where + ": report " + i);
                    }
                    checked++;
                }
            }
        }
        System.out.printf("%d restores of %d changelog prefixes checked%n", checked, writes.size() + 1);
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String report) {
        try {
            return DemoStreamRun.JSON.readTree(report);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, byte[]> monitorOnly(Map<String, byte[]> contents) {
        Map<String, byte[]> out = new TreeMap<>();
        String prefix = TopologyProducer.MONITOR_STORE + " ";
        contents.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    private static ModelMonitor monitor(Map<String, byte[]> contents) {
        return ModelMonitor.load(io.resalign.service.StateRecords.readOnly(contents::get), MV, DEMO.get().schema(MV), DRIFT,
                DEMO.get().deviceLabel()).orElseThrow();
    }

    private static long windowsTested(ModelMonitor monitor) {
        return monitor.gauges(0).windowsTested();
    }
}
