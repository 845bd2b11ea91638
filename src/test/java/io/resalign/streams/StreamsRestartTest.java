package io.resalign.streams;

import io.resalign.config.Topics;
import io.resalign.embedded.EmbeddedKafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.drift.Combiner;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.AlignmentReport;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorRecords;
import io.resalign.service.StateRecords;
import io.resalign.streams.record.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenario: the service's topology runs on the in-process broker with the real demo model, and is
 * stopped in the middle of a stream, as when a pod is rescheduled. The first instance takes 45
 * valid samples (mixed with bad records): the 40 of the reference are analysed, 5 wait in the
 * batcher. It stops; 20 more samples arrive while no instance runs. A second instance starts on a
 * new, empty state directory, so everything it knows comes from the changelog topics, and takes
 * the rest. The reference must come back byte for byte, every valid sample must be counted in the
 * monitor (exactly once under exactly_once_v2, at least once under at_least_once), and every bad
 * record must be on the dead-letter topic.
 *
 * <p>Batches are of 8 samples with a max wait of a minute, so that samples stay pending until the
 * stop and every batch after the restart fills by size (96 samples in all).
 */
class StreamsRestartTest {
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final ModelVersion MV = new ModelVersion(DemoRecords.MODEL, DemoRecords.VERSION);
    private static final String CASE = "test.case";
    private static final int REFERENCE = 40;
    private static final int BEFORE_STOP = 45;
    private static final int WHILE_STOPPED = 20;
    private static final int AFTER_RESTART = 31;
    private static final int VALID = BEFORE_STOP + WHILE_STOPPED + AFTER_RESTART;
    private static final DriftSettings DRIFT = new DriftSettings(20, 20, REFERENCE, 0.05, 200, 20, Combiner.MAX_ABS, 1L);
    private static final ProcessorSettings SETTINGS = new ProcessorSettings(8, 60_000, 0, DRIFT);
    private static final long T0 = Instant.parse("2026-11-27T10:00:00Z").toEpochMilli();

    private static ModelRegistry registry;
    private EmbeddedKafka kafka;
    private KafkaStreams streams;
    private final List<Path> stateDirs = new ArrayList<>();

    @BeforeAll
    static void loadModel() throws Exception {
        registry = ModelRegistry.load(DemoRecords.MODELS.resolve(DemoRecords.MODEL), DeviceChoice.CPU, EngineOptions.defaults());
    }

    @AfterAll
    static void closeModel() {
        registry.close();
    }

    @AfterEach
    void stop() throws Exception {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
        if (kafka != null) {
            kafka.close();
        }
        for (Path dir : stateDirs) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE})
    void shouldRestoreTheReferenceAndLoseNoValidSampleWhenRestartedWithEmptyLocalState(String guarantee) throws Exception {
        kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.ephemeral());
        kafka.createTopics(Topics.ALL, 1);
        List<DemoRecords.Bad> bad = DemoRecords.bad();
        String application = "restart-" + guarantee.replace('_', '-');

        // 1. first instance: reference complete, 5 samples pending in the batcher
        streams = start(application, guarantee);
        int sentBad = send(0, BEFORE_STOP, bad, 0, 10);
        await().atMost(DEADLINE).ignoreExceptions().until(() -> samplesSeen() == REFERENCE && pendingRecords() == BEFORE_STOP - REFERENCE);
        ModelMonitor beforeStop = monitor();
        assertFalse(beforeStop.isCollectingReference(), "the reference is complete");
        byte[] reference = beforeStop.referenceProfile().orElseThrow().toBytes();

        // 2. stop mid-stream; records arrive while nobody consumes
        assertTrue(streams.close(new KafkaStreams.CloseOptions().leaveGroup(true).timeout(DEADLINE)), "closed in time");
        streams = null;
        sentBad += send(BEFORE_STOP, WHILE_STOPPED, bad, sentBad, 5);

        // 3. a new instance on an empty state directory takes the rest; the last record is a bad one,
        // so when it is on the dead-letter topic every earlier record has been analysed, and when the
        // window that ends at the last sample is reported, the monitor stage has taken every row
        streams = start(application, guarantee);
        sentBad += send(BEFORE_STOP + WHILE_STOPPED, AFTER_RESTART, bad, sentBad, bad.size() - sentBad);
        assertEquals(bad.size(), sentBad, "every kind of bad record sent");

        Map<String, Integer> deadLetters = new TreeMap<>();
        List<AlignmentReport> reports = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            consumer.subscribe(List.of(Topics.INFERENCE_SAMPLES_DLQ, Topics.ALIGNMENT_REPORTS));
            await().atMost(DEADLINE).pollDelay(Duration.ZERO).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(Topics.ALIGNMENT_REPORTS)) {
                        reports.add(AlignmentReport.fromJson(r.value()));
                    } else {
                        assertNotNull(r.headers().lastHeader(CASE), "only bad records are dead letters: "
                                + DeadLetters.read(r.headers()).map(DeadLetters.Info::message).orElse("?"));
                        deadLetters.merge(new String(r.headers().lastHeader(CASE).value(), StandardCharsets.UTF_8), 1, Integer::sum);
                    }
                }
                return deadLetters.size() == bad.size() && reports.stream().anyMatch(r -> r.window().lastSample() == 79);
            });
        }

        ModelMonitor after = monitor();
        if (guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
            assertEquals(VALID, after.samplesSeen(), "every valid sample counted exactly once");
            assertTrue(deadLetters.values().stream().allMatch(n -> n == 1), "each bad record dead-lettered once: " + deadLetters);
            assertEquals(List.of(40L, 60L), reports.stream().map(r -> r.window().firstSample()).toList(),
                    "one report per window, ordinals continuing across the restart");
        } else {
            assertTrue(after.samplesSeen() >= VALID, "no valid sample lost: " + after.samplesSeen() + " of " + VALID);
        }
        assertArrayEquals(reference, after.referenceProfile().orElseThrow().toBytes(), "the reference came back unchanged");
        // each record leaves the store a commit after its last rows went (PendingSamples): soon, not at once
        await().atMost(DEADLINE).ignoreExceptions().until(() -> pendingRecords() == 0);
        Map<String, Integer> monitorRecords = monitorRecordSizes();
        assertEquals(List.of("demo-mlp:1", "demo-mlp:1/last-window", "demo-mlp:1/reference/0/0"), List.copyOf(monitorRecords.keySet()),
                "head, last window and the reference's one chunk, restored from the changelog");
        assertTrue(monitorRecords.get("demo-mlp:1/reference/0/0") <= MonitorRecords.CHUNK_BYTES + 16, monitorRecords.toString());
        for (DemoRecords.Bad one : bad) {
            assertTrue(deadLetters.containsKey(one.reason().code()), "dead letter of " + one.reason());
        }
        System.out.printf(Locale.ROOT, "%s: %d valid samples sent, %d counted; %d dead letters for %d bad records; %d reports%n",
                guarantee, VALID, after.samplesSeen(), deadLetters.values().stream().mapToInt(Integer::intValue).sum(), bad.size(),
                reports.size());
    }

    private KafkaStreams start(String application, String guarantee) throws Exception {
        Path stateDir = Files.createTempDirectory("resalign-restart-");
        stateDirs.add(stateDir);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, application);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // The stopped member stays in the group until its session expires (45 s by default, though it
        // was closed with leaveGroup): the broker's minimum keeps the new instance's join short.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
        KafkaStreams instance = new KafkaStreams(TopologyProducer.topology(registry, new ResalignMetrics(new SimpleMeterRegistry()),
                new MonitorBoard(), SETTINGS), props);
        instance.start();
        await().atMost(DEADLINE).until(() -> instance.state() == KafkaStreams.State.RUNNING);
        return instance;
    }

    /**
     * Sends valid samples {@code first..first+count-1} with bad records {@code firstBad..firstBad+badCount-1}
     * among them (one after every third valid one), the last bad record last.
     */
    private int send(int first, int count, List<DemoRecords.Bad> bad, int firstBad, int badCount) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        byte[] key = DemoRecords.MODEL.getBytes(StandardCharsets.UTF_8);
        int b = 0;
        for (int i = first; i < first + count; i++) {
            records.add(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, key, DemoRecords.valid(i, T0 + 100L * i)));
            if ((i - first) % 3 == 2 && b < badCount - 1) {
                records.add(badRecord(key, bad.get(firstBad + b++)));
            }
        }
        while (b < badCount) {
            records.add(badRecord(key, bad.get(firstBad + b++)));
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            records.forEach(producer::send);
            producer.flush();
        }
        return badCount;
    }

    private static ProducerRecord<byte[], byte[]> badRecord(byte[] key, DemoRecords.Bad one) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(Topics.INFERENCE_SAMPLES, key, one.value());
        one.headers().forEach(h -> r.headers().add(h));
        r.headers().add(CASE, one.reason().code().getBytes(StandardCharsets.UTF_8));
        return r;
    }

    private ModelMonitor monitor() {
        ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                TopologyProducer.MONITOR_STORE, QueryableStoreTypes.<String, byte[]>keyValueStore()));
        return ModelMonitor.load(StateRecords.readOnly(store::get), MV, registry.schema(MV), DRIFT, registry.deviceLabel())
                .orElse(null);
    }

    private long samplesSeen() {
        ModelMonitor monitor = monitor();
        return monitor == null ? 0 : monitor.samplesSeen();
    }

    private Map<String, Integer> monitorRecordSizes() {
        ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                TopologyProducer.MONITOR_STORE, QueryableStoreTypes.<String, byte[]>keyValueStore()));
        Map<String, Integer> sizes = new TreeMap<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            all.forEachRemaining(kv -> sizes.put(kv.key, kv.value.length));
        }
        return sizes;
    }

    private int pendingRecords() {
        ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                TopologyProducer.ANALYSIS_STORE, QueryableStoreTypes.<String, byte[]>keyValueStore()));
        int n = 0;
        try (KeyValueIterator<String, byte[]> all = store.prefixScan(PendingRecord.KEY_PREFIX, new StringSerializer())) {
            for (; all.hasNext(); all.next()) {
                n++;
            }
        }
        return n;
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "restart-test-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
