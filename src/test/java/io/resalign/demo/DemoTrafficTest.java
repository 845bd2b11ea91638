package io.resalign.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.resalign.embedded.EmbeddedKafkaConfigSource;
import io.resalign.config.Topics;
import io.resalign.sample.SampleRecord;

/**
 * The application with no Kafka configured and demo traffic at its default ({@code auto}, which the
 * test profile otherwise turns off): it feeds itself valid samples on the embedded broker.
 */
@QuarkusTest
@TestProfile(DemoTrafficTest.DemoOn.class)
class DemoTrafficTest {

    /** Demo traffic on, fast, with a short schedule. */
    public static class DemoOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "resalign.demo.enabled", "auto",
                    "resalign.demo.rate", "200",
                    "resalign.demo.schedule", "clean*30,occlude:10*30");
        }
    }

    @Inject
    DemoTraffic demo;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void feedsItselfValidSamplesWhenTheEmbeddedBrokerRuns() throws Exception {
        assertTrue(EmbeddedKafkaConfigSource.running().isPresent());
        assertTrue(demo.running(), "demo traffic starts in auto mode with the embedded broker");
        await().atMost(Duration.ofSeconds(30)).until(() -> demo.sent() >= 60);
        DemoRecordsTest.catalog();
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "demo-traffic-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.INFERENCE_SAMPLES));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < 60 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertTrue(records.size() >= 60, "received " + records.size());
        long occluded = 0;
        for (ConsumerRecord<String, byte[]> r : records) {
            SampleRecord s = DemoRecordsTest.decodeOne(new ProducerRecord<>(r.topic(), null, r.key(), r.value(), r.headers()));
            assertEquals("demo-mlp", s.model());
            assertTrue(s.label().isPresent());
            if (new String(r.headers().lastHeader(DemoRecords.PHASE_HEADER).value(), StandardCharsets.UTF_8).equals("occlude:10")) {
                occluded++;
            }
        }
        assertTrue(occluded >= 20, "the second phase follows the first: " + occluded + " occluded samples");
        demo.stop();
        assertTrue(!demo.running());
    }
}
