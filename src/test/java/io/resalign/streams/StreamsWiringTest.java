package io.resalign.streams;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.resalign.config.EmbeddedKafkaConfigSource;

/**
 * The application with no Kafka configured: it starts its embedded broker before Kafka Streams,
 * the placeholder topology forwards samples to the reports topic, and Quarkus reports the
 * pipeline ready. No Docker, no dev services.
 */
@QuarkusTest
class StreamsWiringTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Inject
    KafkaStreams streams;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/q/health/ready")
    URI readiness;

    @Test
    void shouldRunTheEmbeddedBrokerWhenNoKafkaIsConfigured() {
        var broker = EmbeddedKafkaConfigSource.running();
        assertTrue(broker.isPresent(), "no embedded broker running");
        assertEquals(broker.get().bootstrapServers(), bootstrapServers);
        assertTrue(bootstrapServers.startsWith("127.0.0.1:"), bootstrapServers);
    }

    @Test
    void shouldReachRunningAndReportReady() {
        await().atMost(DEADLINE).until(() -> streams.state() == KafkaStreams.State.RUNNING);
        await().atMost(DEADLINE).until(() -> readinessStatus() == 200);
    }

    @Test
    void shouldForwardSamplesToTheReportsTopicUntilTheEngineIsWired() throws Exception {
        List<String> ids = List.of("sample-1", "sample-2", "sample-3");
        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.subscribe(List.of(Topics.ALIGNMENT_REPORTS));
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                    new StringSerializer(), new StringSerializer())) {
                for (String id : ids) {
                    producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, "demo-mlp", "{\"id\":\"" + id + "\"}"))
                            .get(10, TimeUnit.SECONDS);
                }
            }
            Map<String, String> received = new HashMap<>();
            await().atMost(DEADLINE).pollDelay(Duration.ZERO).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    received.put(record.value(), record.key());
                }
                return received.size() >= ids.size();
            });
            for (String id : ids) {
                assertEquals("demo-mlp", received.get("{\"id\":\"" + id + "\"}"), "record " + id + " not forwarded with its key");
            }
            assertEquals(ids.size(), received.size(), "unexpected records: " + received);
        }
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "streams-wiring-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer());
    }

    private int readinessStatus() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(readiness).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return response.statusCode();
    }
}
