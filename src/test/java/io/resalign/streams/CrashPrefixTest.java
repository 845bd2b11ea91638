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
 * What a crash under at-least-once can leave, played exhaustively: a task takes a stream of demo
 * records (some carrying three samples, so records straddle batches) and its store's changelog is
 * captured write by write. A crash keeps a prefix of those writes (one store, one changelog
 * partition, written in order) and commits offsets only up to a record whose writes are all in the
 * prefix. For every prefix, a new task restores it and takes the records again, once from the
 * latest offset the prefix allows and once from the first record (the most a broker can deliver
 * again): its store must end byte for byte as the uncrashed task's did, so every sample is counted
 * once, in the same windows against the same reference, and the reports it writes are the
 * uncrashed task's last ones, identical.
 */
class CrashPrefixTest {
    private static final String APP = "crash-prefix-test";
    private static final String CHANGELOG = APP + "-" + TopologyProducer.MONITOR_STORE + "-changelog";
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
        final TestOutputTopic<String, byte[]> changelog;
        final TestOutputTopic<String, byte[]> reports;

        Task() {
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            driver = new TopologyTestDriver(TopologyProducer.topology(DEMO.get(), new ResalignMetrics(new SimpleMeterRegistry()),
                    new MonitorBoard(), SETTINGS), props, START);
            samples = driver.createInputTopic(Topics.INFERENCE_SAMPLES, new ByteArraySerializer(), new ByteArraySerializer());
            changelog = driver.createOutputTopic(CHANGELOG, new StringDeserializer(), new ByteArrayDeserializer());
            reports = driver.createOutputTopic(Topics.ALIGNMENT_REPORTS, new StringDeserializer(), new ByteArrayDeserializer());
        }

        KeyValueStore<String, byte[]> store() {
            return driver.getKeyValueStore(TopologyProducer.MONITOR_STORE);
        }

        Map<String, byte[]> contents() {
            Map<String, byte[]> out = new TreeMap<>();
            try (KeyValueIterator<String, byte[]> all = store().all()) {
                all.forEachRemaining(kv -> out.put(kv.key, kv.value));
            }
            return out;
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

    @Test
    void shouldEndWithTheUncrashedStoreWhateverPrefixOfTheChangelogACrashLeaves() {
        List<KeyValue<String, byte[]>> writes = new ArrayList<>();
        int[] writesAfter = new int[RECORDS];
        Map<String, byte[]> expected;
        List<String> expectedReports;
        try (Task a = new Task()) {
            for (int r = 0; r < RECORDS; r++) {
                pipe(a, r);
                a.changelog.readRecordsToList().forEach(w -> writes.add(new KeyValue<>(w.key(), w.value())));
                writesAfter[r] = writes.size();
            }
            expected = a.contents();
            expectedReports = a.reportJson();
        }
        ModelMonitor uncrashed = monitor(expected);
        assertEquals(36, uncrashed.samplesSeen(), "9 batches of 4, 3 samples pending");
        assertTrue(expectedReports.size() >= 2, "windows closed: " + expectedReports.size());
        assertTrue(expected.keySet().stream().anyMatch(k -> k.startsWith(PendingRecord.KEY_PREFIX)),
                "the task ends with samples pending, kept in the store: " + expected.keySet());

        int checked = 0;
        for (int cut = 0; cut <= writes.size(); cut++) {
            int committed = 0; // records whose writes are all in the prefix: the offsets a commit may have covered
            while (committed < RECORDS && writesAfter[committed] <= cut) {
                committed++;
            }
            for (int from : new int[] {committed, 0}) {
                try (Task b = new Task()) {
                    KeyValueStore<String, byte[]> store = b.store();
                    for (KeyValue<String, byte[]> w : writes.subList(0, cut)) {
                        if (w.value == null) {
                            store.delete(w.key);
                        } else {
                            store.put(w.key, w.value);
                        }
                    }
                    long restoredWindows = cut == 0 || store.get(AnalysisProcessor.key(MV)) == null ? 0
                            : windowsTested(monitor(b.contents()));
                    for (int r = 0; r < from; r++) {
                        // the new driver numbers offsets from 0: records before `from` are not delivered again,
                        // so their offsets are taken by records the decoder refuses (dead-lettered, no state)
                        b.samples.pipeInput(new TestRecord<>(new byte[0], "not a sample".getBytes(), START));
                    }
                    for (int r = from; r < RECORDS; r++) {
                        pipe(b, r);
                    }
                    String where = "crash after " + cut + " of " + writes.size() + " writes, delivered again from record " + from;
                    Map<String, byte[]> actual = b.contents();
                    assertEquals(expected.keySet(), actual.keySet(), where + ": the same records in the store");
                    for (String key : expected.keySet()) {
                        assertTrue(Arrays.equals(expected.get(key), actual.get(key)), where + ": the same bytes under " + key);
                    }
                    List<String> reports = b.reportJson();
                    assertEquals(expectedReports.subList(expectedReports.size() - reports.size(), expectedReports.size()), reports,
                            where + ": the reports of the windows the restored head had not counted, as the uncrashed task wrote them");
                    assertEquals(expectedReports.size() - restoredWindows, reports.size(), where + ": each window reported once more at most");
                    checked++;
                }
            }
        }
        System.out.printf("%d restores of %d changelog prefixes checked%n", checked, writes.size() + 1);
    }

    private static ModelMonitor monitor(Map<String, byte[]> contents) {
        return ModelMonitor.load(io.resalign.service.StateRecords.readOnly(contents::get), MV, DEMO.get().schema(MV), DRIFT,
                DEMO.get().deviceLabel()).orElseThrow();
    }

    private static long windowsTested(ModelMonitor monitor) {
        return monitor.gauges(0).windowsTested();
    }
}
