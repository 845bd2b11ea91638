package io.resalign.streams;

import io.resalign.config.Topics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.resalign.service.AlignmentReport;
import io.resalign.streams.record.DeadLetters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import jakarta.inject.Inject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Scenario: the whole service on its embedded broker. 200 Fashion-MNIST samples for the demo
 * model arrive mixed with 25 kinds of broken record; every broken one must reach the dead-letter
 * topic with its reason, reports must appear for the closed windows (test profile: reference of 40,
 * windows of 20), the counters on /q/metrics must add up exactly, docs/metrics.md must name
 * exactly the meters the registry exports, and the REST API must show and steer the monitor.
 */
@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineEndToEndTest {
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int VALID = 200;
    private static final String CASE = "test.case";

    @Inject
    KafkaStreams streams;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URI root;

    @Test
    @Order(1)
    void shouldDeadLetterEveryBadRecordReportWindowsAndCountEverySample() throws Exception {
        await().atMost(DEADLINE).until(() -> streams.state() == KafkaStreams.State.RUNNING);
        Map<String, Double> before = metrics();
        List<DemoRecords.Bad> bad = DemoRecords.bad();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("e2e")) {
            consumer.subscribe(List.of(Topics.INFERENCE_SAMPLES_DLQ, Topics.ALIGNMENT_REPORTS));
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), new ByteArraySerializer(), new ByteArraySerializer())) {
                long t = Instant.parse("2026-11-27T10:00:00Z").toEpochMilli();
                int b = 0;
                for (int i = 0; i < VALID; i++) {
                    producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, DemoRecords.MODEL.getBytes(), DemoRecords.valid(i, t + i)));
                    if (i % 8 == 3 && b < bad.size()) {
                        DemoRecords.Bad one = bad.get(b++);
                        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(Topics.INFERENCE_SAMPLES, DemoRecords.MODEL.getBytes(), one.value());
                        one.headers().forEach(h -> r.headers().add(h));
                        r.headers().add(CASE, one.reason().code().getBytes(StandardCharsets.UTF_8));
                        producer.send(r);
                    }
                }
                assertEquals(bad.size(), b, "every bad record sent");
                producer.flush();
            }

            Map<String, String> deadReasons = new HashMap<>();
            List<AlignmentReport> reports = new ArrayList<>();
            int expectedReports = (VALID - 40) / 20;
            await().atMost(DEADLINE).pollDelay(Duration.ZERO).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(Topics.ALIGNMENT_REPORTS)) {
                        reports.add(AlignmentReport.fromJson(r.value()));
                    } else if (r.headers().lastHeader(CASE) != null) {
                        deadReasons.put(new String(r.headers().lastHeader(CASE).value(), StandardCharsets.UTF_8),
                                DeadLetters.read(r.headers()).orElseThrow().reason());
                    }
                }
                return deadReasons.size() >= bad.size() && reports.size() >= expectedReports;
            });
            for (DemoRecords.Bad one : bad) {
                assertEquals(one.reason().code(), deadReasons.get(one.reason().code()), "dead letter of " + one.reason());
            }
            assertEquals(expectedReports, reports.size(), "one report per closed window");
            assertTrue(reports.stream().allMatch(r -> r.model().equals("demo-mlp") && r.window().sampleCount() == 20));
        }

        await().atMost(DEADLINE).until(() -> delta(before, metrics(), "resalign_samples_processed_total") == VALID);
        Map<String, Double> after = metrics();
        double in = delta(before, after, "resalign_records_in_total");
        double rejected = delta(before, after, "resalign_records_rejected_total");
        double processed = delta(before, after, "resalign_samples_processed_total");
        double skipped = delta(before, after, "resalign_samples_skipped_total");
        double failed = delta(before, after, "resalign_samples_failed_total");
        assertEquals(VALID + bad.size(), in);
        assertEquals(bad.size(), rejected);
        assertEquals(in, processed + rejected + skipped + failed, "in = processed + rejected + skipped + failed");
        assertEquals(0.0, after.getOrDefault("resalign_batch_pending_samples", 0.0));
        assertEquals(1.0, after.get("resalign_model_loaded"));
    }

    @Test
    @Order(2)
    void shouldDocumentExactlyTheMetersTheRegistryExports() throws Exception {
        Set<String> exported = new TreeSet<>();
        // counters are typed under their family name; their samples (what PromQL uses) end in _total
        Matcher m = Pattern.compile("(?m)^# TYPE (resalign_[a-z0-9_]+) ([a-z]+)").matcher(get("q/metrics").body());
        while (m.find()) {
            exported.add(m.group(2).equals("counter") ? m.group(1) + "_total" : m.group(1));
        }
        Set<String> documented = new TreeSet<>();
        Matcher d = Pattern.compile("(?m)^\\| `(resalign_[a-z0-9_]+)`").matcher(Files.readString(Path.of("docs/metrics.md")));
        while (d.find()) {
            documented.add(d.group(1));
        }
        assertEquals(documented, exported);
    }

    @Test
    @Order(3)
    void shouldShowTheModelsAndSteerTheReferenceThroughTheApi() throws Exception {
        HttpResponse<String> models = get("api/models");
        assertEquals(200, models.statusCode());
        assertTrue(models.body().contains("\"model\":\"demo-mlp\"") && models.body().contains("\"state\":\"loaded\""), models.body());
        assertEquals(200, get("api/models/demo-mlp/1/report").statusCode());
        assertEquals(404, get("api/models/demo-mlp/9/report").statusCode());
        assertEquals(200, post("api/models/demo-mlp/1/reference/pin").statusCode());
        assertEquals(409, post("api/models/demo-mlp/1/reference/pin").statusCode(), "pinned: no window since");
        HttpResponse<String> reset = post("api/models/demo-mlp/1/reference/reset");
        assertEquals(200, reset.statusCode(), reset.body());
        assertTrue(get("api/models").body().contains("\"collecting\":true"));
        assertEquals(404, post("api/models/nope/1/reference/reset").statusCode());
        assertEquals(200, get("q/health/ready").statusCode());
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name) {
        return after.getOrDefault(name, 0.0) - before.getOrDefault(name, 0.0);
    }

    /** Sums every sample of each resalign meter over its labels. */
    private Map<String, Double> metrics() throws Exception {
        Map<String, Double> sums = new HashMap<>();
        for (String line : get("q/metrics").body().split("\n")) {
            if (line.startsWith("resalign_")) {
                int space = line.lastIndexOf(' ');
                int brace = line.indexOf('{');
                String name = line.substring(0, brace > 0 ? brace : line.indexOf(' '));
                double v = Double.parseDouble(line.substring(space + 1));
                if (!Double.isNaN(v)) {
                    sums.merge(name, v, Double::sum);
                }
            }
        }
        return sums;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(root.resolve(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(root.resolve(path)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private KafkaConsumer<byte[], byte[]> consumer(String group) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
