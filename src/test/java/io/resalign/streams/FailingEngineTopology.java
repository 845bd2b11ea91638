package io.resalign.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.Topics;
import io.resalign.drift.Combiner;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.sample.SampleRecord;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task of the service's topology over the real demo model whose engine fails on demand
 * ({@link FlakyEngine}: for the samples it is told are poisoned, as an engine that breaks on one
 * input, or for every batch while it is broken), with what the tests of failed batches read: the
 * dead letters, the store's changelog, the meters and the stored monitor.
 */
abstract class FailingEngineTopology {
    private static final String APP = "failing-engine-topology";
    private static final String CHANGELOG = APP + "-" + TopologyProducer.ANALYSIS_STORE + "-changelog";
    private static final String MONITOR_CHANGELOG = APP + "-" + TopologyProducer.MONITOR_STORE + "-changelog";
    static final Instant START = Instant.parse("2026-12-10T10:00:00Z");
    static final DriftSettings DRIFT = new DriftSettings(8, 8, 16, 0.05, 200, 4, Combiner.MAX_ABS, 1L);
    static final ModelVersion MV = new ModelVersion(DemoRecords.MODEL, DemoRecords.VERSION);
    @RegisterExtension
    static final DemoRegistry DEMO = new DemoRegistry();

    @TempDir
    Path stateDir;

    final FlakyEngine engine = new FlakyEngine();
    MeterRegistry meters;
    ResalignMetrics metrics;
    TopologyTestDriver driver;
    TestInputTopic<byte[], byte[]> samples;
    TestOutputTopic<byte[], byte[]> deadLetters;
    TestOutputTopic<String, byte[]> changelog;
    TestOutputTopic<String, byte[]> monitorChangelog;

    /** The registry's engine, throwing for the sample ids in {@code poisoned}, or for every batch while {@code broken}. */
    static final class FlakyEngine implements BatchAnalysis.Engine {
        final Set<String> poisoned = new HashSet<>();
        boolean broken;
        RuntimeException thrown;
        /** The size of every batch it was called with. */
        final List<Integer> calls = new ArrayList<>();

        @Override
        public List<SampleMetrics> analyse(ModelVersion mv, List<SampleRecord> batch) {
            calls.add(batch.size());
            if (thrown != null) {
                throw thrown;
            }
            if (broken) {
                throw new IllegalStateException("device out of memory (test)");
            }
            for (SampleRecord s : batch) {
                if (poisoned.contains(s.id())) {
                    throw new IllegalStateException("the engine cannot take sample " + s.id() + " (test)");
                }
            }
            return DEMO.get().analyse(mv, batch);
        }
    }

    @AfterEach
    void closeDriver() {
        if (driver != null) {
            driver.close();
        }
    }

    /** Starts a task over a fresh store (TopologyTestDriver deletes its state on close), with batches of {@code batchSize}. */
    void start(int batchSize) {
        meters = new SimpleMeterRegistry();
        metrics = new ResalignMetrics(meters);
        Properties props = TestSettings.driverProperties(APP, stateDir);
        driver = new TopologyTestDriver(TopologyProducer.topology(DEMO.get(), engine, metrics, new MonitorBoard(),
                new ProcessorSettings(batchSize, 1000, 0, DRIFT)), props, START);
        samples = driver.createInputTopic(Topics.INFERENCE_SAMPLES, new ByteArraySerializer(), new ByteArraySerializer());
        deadLetters = driver.createOutputTopic(Topics.INFERENCE_SAMPLES_DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        changelog = driver.createOutputTopic(CHANGELOG, new StringDeserializer(), new ByteArrayDeserializer());
        monitorChangelog = driver.createOutputTopic(MONITOR_CHANGELOG, new StringDeserializer(), new ByteArrayDeserializer());
    }

    static long time(int i) {
        return START.toEpochMilli() + 100L * i;
    }

    /** Sends single-sample record {@code i} (id {@code s-i}) and returns its value. */
    byte[] sendOne(int i) {
        byte[] value = DemoRecords.valid(i, time(i));
        samples.pipeInput(new TestRecord<>(DemoRecords.MODEL.getBytes(), value, Instant.ofEpochMilli(time(i))));
        return value;
    }

    /** Sends a record of {@code count} samples (ids {@code b-first#0} ..) and returns its value. */
    byte[] sendBatch(int first, int count) {
        byte[] value = DemoRecords.validBatch(first, count, time(first));
        samples.pipeInput(new TestRecord<>(DemoRecords.MODEL.getBytes(), value, Instant.ofEpochMilli(time(first))));
        return value;
    }

    double count(String name) {
        Counter c = meters.find(name).tags("model", MV.model(), "version", MV.version()).counter();
        return c == null ? 0 : c.count();
    }

    /** Returns the samples the stored monitor has taken. */
    long samplesSeen() {
        return ModelMonitor.load(MonitorStore.records(driver.getKeyValueStore(TopologyProducer.MONITOR_STORE)), MV, DEMO.get().schema(MV),
                DRIFT, "cpu").orElseThrow().samplesSeen();
    }

    static String header(TestRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Returns the writes of the analysis task's store that its changelog has received since the last call. */
    List<KeyValue<String, byte[]>> changelogWrites() {
        return writes(changelog);
    }

    /** Returns the writes of the monitor task's store that its changelog has received since the last call. */
    List<KeyValue<String, byte[]>> monitorWrites() {
        return writes(monitorChangelog);
    }

    private static List<KeyValue<String, byte[]>> writes(TestOutputTopic<String, byte[]> topic) {
        List<KeyValue<String, byte[]>> writes = new ArrayList<>();
        topic.readRecordsToList().forEach(w -> writes.add(new KeyValue<>(w.key(), w.value())));
        return writes;
    }

    /** Restores changelog writes into the monitor store of a task that has taken no row yet. */
    void restoreMonitors(List<KeyValue<String, byte[]>> writes) {
        restore(driver.getKeyValueStore(TopologyProducer.MONITOR_STORE), writes);
    }

    /**
     * Lets the analysis task write the state its samples reached before the last commit (a punctuation
     * after it; TopologyTestDriver commits after every record): what it defers until their rows are on
     * the broker (PendingSamples).
     */
    void durable() {
        driver.advanceWallClockTime(java.time.Duration.ofMillis(500));
    }

    /** Returns the analysis task's stored pending record at partition 0 and {@code offset}, null when none. */
    PendingRecord storedPending(long offset) {
        byte[] v = driver.<String, byte[]>getKeyValueStore(TopologyProducer.ANALYSIS_STORE).get(PendingRecord.storeKey(0, offset));
        return v == null ? null : PendingRecord.fromBytes(v);
    }

    /** Restores changelog writes into the analysis store of a task that has taken no record yet, as Kafka Streams restores a task. */
    void restore(List<KeyValue<String, byte[]>> writes) {
        restore(driver.getKeyValueStore(TopologyProducer.ANALYSIS_STORE), writes);
    }

    private static void restore(KeyValueStore<String, byte[]> store, List<KeyValue<String, byte[]>> writes) {
        for (KeyValue<String, byte[]> w : writes) {
            if (w.value == null) {
                store.delete(w.key);
            } else {
                store.put(w.key, w.value);
            }
        }
    }

    static BitSet bits(int... indices) {
        BitSet b = new BitSet();
        for (int i : indices) {
            b.set(i);
        }
        return b;
    }
}
