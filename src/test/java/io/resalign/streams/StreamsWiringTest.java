package io.resalign.streams;

import io.resalign.config.Topics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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

import jakarta.enterprise.inject.Instance;
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
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.kafka.streams.runtime.KafkaStreamsProducer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.resalign.embedded.EmbeddedKafkaConfigSource;

/**
 * The application with no Kafka configured: it starts its embedded broker before Kafka Streams,
 * the topology sends a bad record to the dead-letter topic, Kafka Streams runs with the service's
 * failure policies, and Quarkus reports the pipeline ready. No Docker, no dev services.
 */
@QuarkusTest
class StreamsWiringTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Inject
    KafkaStreams streams;

    @Inject
    KafkaStreamsProducer streamsProducer;

    @Inject
    Instance<StreamsUncaughtExceptionHandler> uncaughtExceptionHandler;

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
    void shouldGiveKafkaStreamsTheServicesFailurePoliciesWhenQuarkusBuildsIt() {
        // the bean Quarkus sets with KafkaStreams.setUncaughtExceptionHandler before it starts the client
        assertTrue(uncaughtExceptionHandler.isResolvable(), "one StreamsUncaughtExceptionHandler bean");
        assertInstanceOf(StreamThreadFailurePolicy.class, uncaughtExceptionHandler.get());
        // the production handler as Kafka Streams creates it from kafka-streams.* (configure finds the meters through CDI)
        assertInstanceOf(SendFailurePolicy.class, streamsProducer.getStreamsConfig().productionExceptionHandler());
    }

    @Test
    void shouldSendABadRecordToTheDeadLetterTopic() throws Exception {
        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.subscribe(List.of(Topics.INFERENCE_SAMPLES_DLQ));
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, "demo-mlp", "{\"id\":\"wiring-1\"}"))
                        .get(10, TimeUnit.SECONDS);
            }
            Map<String, String> received = new HashMap<>();
            await().atMost(DEADLINE).pollDelay(Duration.ZERO).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    received.put(record.value(), new String(record.headers().lastHeader("resalign.dlq.reason").value(),
                            StandardCharsets.UTF_8));
                }
                return received.containsKey("{\"id\":\"wiring-1\"}");
            });
            assertEquals("missing_field", received.get("{\"id\":\"wiring-1\"}"));
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
