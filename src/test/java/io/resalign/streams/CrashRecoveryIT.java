package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resalign.config.Topics;
import io.resalign.processes.BrokerMain;
import io.resalign.processes.JavaProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The packaged service killed with SIGKILL at a named point of its processing, and a new instance
 * started on an empty state directory (a rescheduled pod), against a Kafka broker that is a process
 * of its own and outlives both. 3,000 demo-mlp samples wait on the samples topic, 100 ms apart in
 * event time; the reference is the first 400, windows are 200 samples every 100. Checked from the
 * outside, on the reports topic: the 25 windows from ordinal 400 to 2,999 each reported (exactly
 * once under {@code exactly_once_v2}; at least once, the same window, under {@code at_least_once}),
 * each holding exactly the samples of its ordinals (its first and last event times), against a
 * reference of the first 400 samples; no valid sample dead-lettered.
 *
 * <p>Crash points ({@code io.resalign.service.CrashPoints}): after the first batch's head is saved
 * and before any commit; mid-batch (analysed, nothing written) at about half the stream; between a
 * reference chunk and the head that names it; between a window's report and the head that counts it.
 */
class CrashRecoveryIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SAMPLES = 3_000;
    private static final int REFERENCE = 400;
    private static final int WINDOW = 200;
    private static final int ADVANCE = 100;
    private static final long START = 1_796_000_000_000L;
    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} killed at {1}")
    @CsvSource({
            "at_least_once, batch-saved:1",
            "at_least_once, batch-analysed:90",
            "at_least_once, reference-chunk-written:1",
            "at_least_once, window-reported:10",
            "exactly_once_v2, batch-saved:1",
            "exactly_once_v2, batch-analysed:90",
            "exactly_once_v2, reference-chunk-written:1",
            "exactly_once_v2, window-reported:10"})
    void shouldCountEverySampleOnceWhenTheServiceIsKilledAndRestartedOnEmptyState(String guarantee, String crashAt) throws Exception {
        assertTrue(Files.exists(JAR), JAR + " is built by the package phase (./mvnw verify runs this test after it)");
        int port = freePort();
        String bootstrap = "127.0.0.1:" + port;
        try (JavaProcess broker = JavaProcess.startMain("broker", BrokerMain.class, List.of(Integer.toString(port),
                dir.resolve("kafka").toString()), dir.resolve("broker.log"))) {
            broker.awaitOutput("broker ready on", Duration.ofSeconds(60));
            createTopics(bootstrap);
            produce(bootstrap);

            JavaProcess first = service("first", bootstrap, guarantee, crashAt);
            first.awaitOutput("resalign crash point " + crashAt.replace(':', ' ') + " reached", Duration.ofSeconds(180));
            first.kill();

            try (JavaProcess second = service("second", bootstrap, guarantee, null)) {
                awaitLastWindow(second);
                second.close(); // a clean stop: whatever it still holds is committed
            }
            List<JsonNode> reports = new ArrayList<>();
            for (String value : read(bootstrap, Topics.ALIGNMENT_REPORTS)) {
                reports.add(JSON.readTree(value));
            }
            assertWindows(reports, guarantee.equals("exactly_once_v2"), guarantee + " " + crashAt);
            assertEquals(List.of(), read(bootstrap, Topics.INFERENCE_SAMPLES_DLQ), "no valid sample is dead-lettered");
        }
    }

    private void assertWindows(List<JsonNode> reports, boolean exactlyOnce, String what) {
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
    private static void assertSameWindow(JsonNode first, JsonNode again, String what) {
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

    private JavaProcess service(String name, String bootstrap, String guarantee, String crashAt) throws IOException {
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
                // the killed instance stays in the consumer group until its session times out (45 s by default)
                "-Dkafka-streams.consumer.session.timeout.ms=6000",
                "-Dkafka-streams.consumer.heartbeat.interval.ms=1000"));
        if (crashAt != null) {
            args.add("-Dio.resalign.crash-at=" + crashAt);
        }
        args.addAll(List.of("-jar", JAR.toString()));
        JavaProcess p = JavaProcess.start(name, args, Map.of(), dir.resolve("service-" + name + ".log"));
        httpPorts.put(p, http);
        return p;
    }

    private final Map<JavaProcess, Integer> httpPorts = new java.util.IdentityHashMap<>();

    /**
     * Waits until the service's latest report is the window that ends at the stream's last sample
     * (more samples counted would have moved the windows, fewer would not reach it).
     */
    private void awaitLastWindow(JavaProcess service) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        HttpClient http = HttpClient.newHttpClient();
        URI report = URI.create("http://127.0.0.1:" + httpPorts.get(service) + "/api/models/demo-mlp/1/report");
        while (System.nanoTime() < deadline) {
            assertTrue(service.isAlive(), "the restarted service died:\n" + service.tail());
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(report).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && JSON.readTree(r.body()).get("window").get("last_sample").asLong() >= SAMPLES - 1) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the restarted service did not report the last window:\n" + service.tail());
    }

    private static void createTopics(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(Topics.INFERENCE_SAMPLES, 1, (short) 1),
                    new NewTopic(Topics.INFERENCE_SAMPLES_DLQ, 1, (short) 1), new NewTopic(Topics.ALIGNMENT_REPORTS, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    private static void produce(String bootstrap) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < SAMPLES; i++) {
                long time = START + 100L * i;
                producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, 0, time, DemoRecords.MODEL.getBytes(),
                        DemoRecords.valid(i, time)));
            }
            producer.flush();
        }
    }

    /** Reads a topic's committed records from the beginning, as text. */
    private static List<String> read(String bootstrap, String topic) {
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            // under exactly_once_v2 the killed instance's open transaction holds read_committed back until it times out
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            assertTrue(consumer.position(tp) >= end, topic + ": read up to " + consumer.position(tp) + " of " + end);
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
