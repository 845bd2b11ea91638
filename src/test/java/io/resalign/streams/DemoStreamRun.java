package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resalign.config.Topics;
import io.resalign.processes.JavaProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The stream the process tests run and check from the outside: 3,000 demo-mlp samples on one
 * partition, 100 ms apart in event time, a reference of the first 400, windows of 200 every 100;
 * the packaged service as a process of its own against a broker that is one too; and the checks on
 * the reports topic (every window of ordinals 400 to 2,999, each holding exactly its samples).
 */
final class DemoStreamRun {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int SAMPLES = 3_000;
    static final int REFERENCE = 400;
    static final int WINDOW = 200;
    static final int ADVANCE = 100;
    static final long START = 1_796_000_000_000L;
    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    private final Path dir;
    private final String bootstrap;
    private final Map<JavaProcess, Integer> httpPorts = new IdentityHashMap<>();

    DemoStreamRun(Path dir, String bootstrap) {
        this.dir = dir;
        this.bootstrap = bootstrap;
    }

    String bootstrap() {
        return bootstrap;
    }

    /** Creates the three topics, one partition each. */
    void createTopics() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(Topics.INFERENCE_SAMPLES, 1, (short) 1),
                    new NewTopic(Topics.INFERENCE_SAMPLES_DLQ, 1, (short) 1), new NewTopic(Topics.ALIGNMENT_REPORTS, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Produces samples {@code from} (inclusive) to {@code to} (exclusive) of the stream, acknowledged by the broker. */
    void produce(int from, int to) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                long time = START + 100L * i;
                producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, 0, time, DemoRecords.MODEL.getBytes(),
                        DemoRecords.valid(i, time)));
            }
            producer.flush();
        }
    }

    /**
     * Starts the packaged service on its own state directory, with the stream's drift settings and
     * the given guarantee, system properties added ({@code -Dk=v} each).
     */
    JavaProcess service(String name, String guarantee, List<String> properties) throws IOException {
        assertTrue(Files.exists(JAR), JAR + " is built by the package phase (./mvnw verify runs the process tests after it)");
        int http = freePort();
        List<String> args = new ArrayList<>(List.of("-Xmx2g",
                "-Dkafka.bootstrap.servers=" + bootstrap,
                "-Dquarkus.http.port=" + http,
                "-Dkafka-streams.processing.guarantee=" + guarantee,
                "-Dkafka-streams.state.dir=" + Files.createDirectories(dir.resolve("state-" + name)),
                "-Dresalign.models-dir=models/demo-mlp",
                "-Dresalign.device=cpu",
                "-Dresalign.drift.reference-size=" + REFERENCE,
                "-Dresalign.drift.window-size=" + WINDOW,
                "-Dresalign.drift.window-advance=" + ADVANCE,
                "-Dresalign.drift.bootstrap-replicates=200",
                // a killed instance stays in the consumer group until its session times out (45 s by default)
                "-Dkafka-streams.consumer.session.timeout.ms=6000",
                "-Dkafka-streams.consumer.heartbeat.interval.ms=1000"));
        args.addAll(properties);
        args.addAll(List.of("-jar", JAR.toString()));
        JavaProcess p = JavaProcess.start(name, args, Map.of(), dir.resolve("service-" + name + ".log"));
        httpPorts.put(p, http);
        return p;
    }

    /** Answers a GET on the service's HTTP port: the status and body, or status -1 while it does not listen. */
    HttpResponse<String> get(JavaProcess service, String path) throws InterruptedException {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(service) + path))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        }
    }

    /** Returns the last sample ordinal of the service's latest report, -1 before its first. */
    long lastReportedSample(JavaProcess service) throws Exception {
        HttpResponse<String> r = get(service, "/api/models/demo-mlp/1/report");
        return r != null && r.statusCode() == 200 ? JSON.readTree(r.body()).get("window").get("last_sample").asLong() : -1;
    }

    /** Waits until the service's latest report reaches sample {@code ordinal}. */
    void awaitReported(JavaProcess service, long ordinal, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(service.isAlive(), "the service died:\n" + service.tail());
            if (lastReportedSample(service) >= ordinal) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the service did not report up to sample " + ordinal + " within " + timeout + ":\n" + service.tail());
    }

    /**
     * Waits until the service's latest report is the window that ends at the stream's last sample
     * (more samples counted would have moved the windows, fewer would not reach it).
     */
    void awaitLastWindow(JavaProcess service) throws Exception {
        awaitReported(service, SAMPLES - 1, Duration.ofSeconds(240));
    }

    /** Reads the reports topic from the beginning and checks its windows (see {@link #assertWindows}). */
    void assertReports(boolean exactlyOnce, String what) throws IOException {
        List<JsonNode> reports = new ArrayList<>();
        for (String value : read(Topics.ALIGNMENT_REPORTS)) {
            reports.add(JSON.readTree(value));
        }
        assertWindows(reports, exactlyOnce, what);
        assertEquals(List.of(), read(Topics.INFERENCE_SAMPLES_DLQ), what + ": no valid sample is dead-lettered");
    }

    /**
     * Checks that the windows from ordinal 400 to 2,999 are each reported (exactly once when
     * {@code exactlyOnce}; else at least once, the same window), each holding exactly the samples of
     * its ordinals (its first and last event times), against a reference of the first 400 samples.
     */
    static void assertWindows(List<JsonNode> reports, boolean exactlyOnce, String what) {
        Map<Long, List<JsonNode>> byFirst = new TreeMap<>();
        for (JsonNode r : reports) {
            byFirst.computeIfAbsent(r.get("window").get("first_sample").asLong(), k -> new ArrayList<>()).add(r);
        }
        List<Long> expected = new ArrayList<>();
        for (long first = REFERENCE; first + WINDOW <= SAMPLES; first += ADVANCE) {
            expected.add(first);
        }
        assertEquals(expected, List.copyOf(byFirst.keySet()), what + ": the windows by their first ordinal");
        for (Map.Entry<Long, List<JsonNode>> e : byFirst.entrySet()) {
            List<JsonNode> copies = e.getValue();
            if (exactlyOnce) {
                assertEquals(1, copies.size(), what + ": window " + e.getKey() + " reported once");
            }
            for (JsonNode r : copies) {
                assertSameWindow(copies.get(0), r, what + ": window " + e.getKey() + " reported again");
                JsonNode w = r.get("window");
                long first = e.getKey();
                assertEquals(first + WINDOW - 1, w.get("last_sample").asLong(), what);
                assertEquals(WINDOW, w.get("sample_count").asInt(), what);
                // event times are 100 ms apart and unique: a window holds exactly its samples iff its bounds are theirs
                assertEquals(START + 100 * first, w.get("start_time").asLong(), what + ": window " + first + " starts at its first sample");
                assertEquals(START + 100 * (first + WINDOW - 1), w.get("end_time").asLong(), what + ": and ends at its last");
                assertEquals(REFERENCE, r.get("reference").get("sample_count").asInt(), what);
                assertEquals(START + 100L * (REFERENCE - 1), r.get("reference").get("created_at").asLong(),
                        what + ": the reference is the first 400 samples");
            }
        }
    }

    /**
     * A window reported again after a crash holds the same samples against the same reference; its
     * numbers agree to float32 precision, not bit for bit: a sample's metrics depend in their last
     * digits on the batch it was analysed in, and batches form anew after a restart.
     */
    static void assertSameWindow(JsonNode first, JsonNode again, String what) {
        assertEquals(first.get("window"), again.get("window"), what + ": the same window");
        assertEquals(first.get("reference"), again.get("reference"), what + ": the same reference");
        JsonNode a = first.get("features");
        JsonNode b = again.get("features");
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("feature"), b.get(i).get("feature"), what);
            assertEquals(a.get(i).get("count"), b.get(i).get("count"), what);
            if (a.get(i).get("mean").isNumber()) {
                double x = a.get(i).get("mean").asDouble();
                assertEquals(x, b.get(i).get("mean").asDouble(), 1e-5 * Math.max(1, Math.abs(x)),
                        what + ": " + a.get(i).get("feature") + " mean");
            }
        }
    }

    /** Reads a topic's committed records from the beginning, as text. */
    List<String> read(String topic) {
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            // under exactly_once_v2 a killed instance's open transaction holds read_committed back until it times out
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            assertTrue(consumer.position(tp) >= end, topic + ": read up to " + consumer.position(tp) + " of " + end);
        }
        return out;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
