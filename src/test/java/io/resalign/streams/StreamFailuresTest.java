package io.resalign.streams;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.ResalignConfig;
import io.resalign.config.Topics;
import io.resalign.embedded.EmbeddedKafka;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.metrics.StreamFailureMeters;
import io.resalign.metrics.StreamFailureMeters.DeadLetterSendFailure;
import io.resalign.service.ModelRegistry;
import io.resalign.streams.record.DeadLetters;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenario: a model server sends a 2 MiB record for a model nobody loaded (the samples topic takes
 * records up to 4 MiB, the decoder values up to 8 MiB), then valid samples. Its dead letter, sent whole,
 * is over the Streams producer's 1 MiB {@code max.request.size}. The service's topology runs on the
 * in-process broker with the Streams properties of application.properties, its dead-letter bound and
 * its uncaught-exception policy, as Quarkus would run them:
 *
 * <ul>
 *   <li>as configured, the dead letter goes out bounded (a prefix, its size and hash in headers), the
 *       stream thread lives on and the valid samples behind the record are analysed;</li>
 *   <li>with the bound set above what the producer takes, the send fails, and the dead letter is
 *       skipped and counted instead of killing the thread;</li>
 *   <li>with neither (Kafka's default production handler), or under exactly_once_v2 with the bound set
 *       too high, the record kills every thread that takes it; the policy replaces the thread the allowed
 *       number of times, then shuts the client down.</li>
 * </ul>
 */
class StreamFailuresTest {
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int VALID_AFTER = 8;
    private static final int LARGE_TOPIC_BYTES = 4 << 20;
    private static final long T0 = 1_795_000_000_000L;

    private static ModelRegistry registry;
    private static byte[] large;
    private EmbeddedKafka kafka;
    private KafkaStreams streams;
    @TempDir
    Path stateDir;
    private final SimpleMeterRegistry meterRegistry = new SimpleMeterRegistry();
    private final ResalignMetrics metrics = new ResalignMetrics(meterRegistry);
    private final StreamFailureMeters failures = metrics.streamFailures();

    @BeforeAll
    static void loadModel() throws Exception {
        registry = ModelRegistry.load(DemoRecords.MODELS.resolve(DemoRecords.MODEL), DeviceChoice.CPU, EngineOptions.defaults());
        StringBuilder data = new StringBuilder("0");
        data.append(",0".repeat(1024 * 1024 - 1));
        large = DemoRecords.bytes("{\"model_name\":\"no-such-model\",\"model_version\":\"1\",\"inputs\":[{\"name\":\"input-0\","
                + "\"shape\":[1,1,1024,1024],\"datatype\":\"UINT8\",\"data\":[" + data + "]}]}");
    }

    @AfterAll
    static void closeModel() {
        registry.close();
    }

    @AfterEach
    void stop() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2})
    void shouldDeadLetterABoundedCopyAndAnalyseTheSamplesBehindItWhenARejectedRecordIsTooLargeForOneRequest(String guarantee)
            throws Exception {
        // Step 1: the service as configured; the thread that will take the large record
        streams = start(config(Map.of()), serviceStreamsProperties(guarantee), 5);
        Set<String> threads = threadNames();

        // Step 2: the large record, then valid samples
        send();

        // Step 3: its dead letter is the bounded form, and the samples behind it are analysed by the same thread
        ConsumerRecord<byte[], byte[]> dead = deadLetters(1).get(0);
        int bound = Integer.parseInt(ResalignConfig.StreamsFailureConfig.DEFAULT_DLQ_MAX_RECORD_BYTES);
        DeadLetters.Letter letter = new DeadLetters.Letter(dead.key(), dead.value(), dead.headers());
        assertTrue(letter.size() <= bound, letter.size() + " bytes");
        assertEquals("unknown_model", DeadLetters.read(dead.headers()).orElseThrow().reason());
        assertEquals(Topics.INFERENCE_SAMPLES, DeadLetters.read(dead.headers()).orElseThrow().sourceTopic());
        assertEquals("true", header(dead, DeadLetters.TRUNCATED));
        assertEquals(Integer.toString(large.length), header(dead, DeadLetters.ORIGINAL_SIZE));
        assertEquals(DeadLetters.sha256(large), header(dead, DeadLetters.ORIGINAL_SHA256));
        assertArrayEquals(Arrays.copyOf(large, dead.value().length), dead.value(), "a prefix of the original value");
        await().atMost(DEADLINE).until(() -> processed() == VALID_AFTER);
        assertEquals(KafkaStreams.State.RUNNING, streams.state());
        assertEquals(threads, threadNames(), "the stream thread was never replaced");
        assertEquals(0, failures.threadReplacements());
        assertEquals(1, failures.deadLettersTruncated());
        assertEquals(0, failures.deadLetterSendFailures(DeadLetterSendFailure.RECORD_TOO_LARGE));
    }

    @Test
    void shouldSkipAndCountTheDeadLetterWhenTheBoundIsSetAboveWhatTheProducerTakes() throws Exception {
        streams = start(config(Map.of("resalign.streams.dlq-max-record-bytes", Integer.toString(8 << 20))),
                serviceStreamsProperties(StreamsConfig.AT_LEAST_ONCE), 5);
        Set<String> threads = threadNames();

        send();

        await().atMost(DEADLINE).until(() -> processed() == VALID_AFTER);
        assertEquals(1, failures.deadLetterSendFailures(DeadLetterSendFailure.RECORD_TOO_LARGE));
        assertEquals(0, failures.threadReplacements());
        assertEquals(threads, threadNames());
        // a small bad record after them: once its dead letter is there, it is the only one
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, DemoRecords.bytes("{\"model_name\":")));
        }
        ConsumerRecord<byte[], byte[]> marker = deadLetters(1).get(0);
        assertEquals("malformed_json", DeadLetters.read(marker.headers()).orElseThrow().reason());
    }

    /**
     * The dead letter's send fails every time: under at_least_once with Kafka's default production handler
     * (FAIL), and under exactly_once_v2 even with the service's (the failed send leaves the transactional
     * producer in an error state, so CONTINUE cannot save the transaction and the thread dies anyway).
     */
    @ParameterizedTest(name = "{0}, service production handler {1}")
    @CsvSource({"at_least_once, false", "exactly_once_v2, true"})
    void shouldShutTheClientDownAfterTheAllowedReplacementsWhenARecordKillsEveryThreadThatTakesIt(String guarantee,
            boolean serviceHandler) throws Exception {
        Properties props = serviceStreamsProperties(guarantee);
        if (!serviceHandler) {
            props.remove(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG);
        }
        streams = start(config(Map.of("resalign.streams.dlq-max-record-bytes", Integer.toString(8 << 20))), props, 2);

        send();

        // the stream threads' deaths are the subject here, not a failure of the test
        await().atMost(DEADLINE).dontCatchUncaughtExceptions().until(() -> streams.state() == KafkaStreams.State.ERROR);
        assertEquals(2, failures.threadReplacements(), "replaced twice, then the client shut down");
    }

    private KafkaStreams start(ResalignConfig config, Properties props, int maxReplacements) throws Exception {
        kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.ephemeral());
        kafka.createTopics(List.of(Topics.INFERENCE_SAMPLES_DLQ, Topics.ALIGNMENT_REPORTS), 1);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(Topics.INFERENCE_SAMPLES, 1, (short) 1)
                    .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(LARGE_TOPIC_BYTES))))).all().get();
        }
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "failures");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // A dead thread's consumer stays in the group until its session expires (45 s by default) and only then
        // do its tasks move to the replacement: the broker's minimum keeps each replacement short here.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
        props.put(SendFailurePolicy.METRICS_CONFIG, metrics);
        KafkaStreams instance = new KafkaStreams(new TopologyProducer().buildTopology(registry, metrics, new MonitorBoard(), config), props);
        instance.setUncaughtExceptionHandler(new StreamThreadFailurePolicy(maxReplacements, Duration.ofMinutes(10), failures,
                System::currentTimeMillis));
        instance.start();
        await().atMost(DEADLINE).until(() -> instance.state() == KafkaStreams.State.RUNNING);
        return instance;
    }

    /** Returns the service's settings (the test profile's batches and drift) with {@code overrides}. */
    private static ResalignConfig config(Map<String, String> overrides) {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder().withMapping(ResalignConfig.class)
                .withDefaultValue("resalign.batch.size", "4")
                .withDefaultValue("resalign.batch.max-wait-ms", "100")
                .withDefaultValue("resalign.drift.window-size", "20")
                .withDefaultValue("resalign.drift.window-advance", "20")
                .withDefaultValue("resalign.drift.reference-size", "40")
                .withDefaultValue("resalign.drift.bootstrap-replicates", "200");
        overrides.forEach(builder::withDefaultValue);
        return builder.build().getConfigMapping(ResalignConfig.class);
    }

    /**
     * Returns the {@code kafka-streams.*} properties of the service's application.properties (the test
     * profile's over the others), as Quarkus passes them to Kafka Streams, with {@code guarantee}.
     */
    static Properties serviceStreamsProperties(String guarantee) throws Exception {
        Properties file = new Properties();
        try (var in = StreamFailuresTest.class.getResourceAsStream("/application.properties")) {
            file.load(in);
        }
        Properties props = new Properties();
        for (String prefix : List.of("kafka-streams.", "%test.kafka-streams.")) {
            for (String name : file.stringPropertyNames()) {
                String value = file.getProperty(name);
                if (name.startsWith(prefix) && !value.contains("${")) { // the state directory is the test's own
                    props.put(name.substring(prefix.length()), value);
                }
            }
        }
        assertTrue(props.containsKey(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG), "the service sets it: " + props);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        return props;
    }

    /** Sends the large rejected record, then {@link #VALID_AFTER} valid samples. */
    private void send() {
        byte[] key = DemoRecords.MODEL.getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, key, large));
            for (int i = 0; i < VALID_AFTER; i++) {
                producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, key, DemoRecords.valid(i, T0 + 100L * i)));
            }
            producer.flush();
        }
    }

    private KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, LARGE_TOPIC_BYTES), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Reads the dead-letter topic from the start until it holds {@code count} records (committed ones only). */
    private List<ConsumerRecord<byte[], byte[]>> deadLetters(int count) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "failures-reader-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.INFERENCE_SAMPLES_DLQ));
            await().atMost(DEADLINE).pollDelay(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
                return out.size() >= count;
            });
        }
        assertEquals(count, out.size(), "dead letters");
        return out;
    }

    private double processed() {
        Counter c = meterRegistry.find(ResalignMetrics.SAMPLES_PROCESSED).tags("model", DemoRecords.MODEL, "version", DemoRecords.VERSION)
                .counter();
        return c == null ? 0 : c.count();
    }

    private Set<String> threadNames() {
        Set<String> names = new TreeSet<>();
        for (ThreadMetadata t : streams.metadataForLocalThreads()) {
            names.add(t.threadName());
        }
        return names;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
