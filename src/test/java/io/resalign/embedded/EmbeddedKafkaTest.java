package io.resalign.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-process broker on its own, without Quarkus: it starts on loopback, takes topics and
 * records, keeps them across a restart when it has a data directory, and releases its port and
 * temporary files when closed.
 */
class EmbeddedKafkaTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @Test
    void shouldDeliverProducedRecordsAndReleaseItsPortWhenClosed() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.ephemeral());
        Path dataDir = kafka.dataDir();
        int port = kafka.port();
        try {
            assertTrue(kafka.bootstrapServers().startsWith("127.0.0.1:"), kafka.bootstrapServers());
            kafka.createTopics(List.of("t"), 2);
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                var description = admin.describeTopics(List.of("t")).allTopicNames().get(10, TimeUnit.SECONDS).get("t");
                assertEquals(2, description.partitions().size());
            }
            produce(kafka, "t", List.of("a", "b", "c"));
            assertEquals(List.of("a", "b", "c"), consume(kafka, "t", 3));
        } finally {
            kafka.close();
        }
        assertTrue(isFree(port), "port " + port + " still bound after close");
        assertFalse(Files.exists(dataDir), "temporary data directory " + dataDir + " left behind");
    }

    @Test
    void shouldKeepRecordsAcrossARestartWhenGivenADataDirectory(@TempDir Path dir) throws Exception {
        EmbeddedKafka.Settings settings = new EmbeddedKafka.Settings(0, Optional.of(dir.resolve("kafka")));
        try (EmbeddedKafka first = EmbeddedKafka.start(settings)) {
            first.createTopics(List.of("kept"), 1);
            produce(first, "kept", List.of("before-restart"));
        }
        try (EmbeddedKafka second = EmbeddedKafka.start(settings)) {
            second.createTopics(List.of("kept"), 1); // exists already: no error
            assertEquals(List.of("before-restart"), consume(second, "kept", 1));
        }
        assertTrue(Files.isDirectory(dir.resolve("kafka")), "a configured data directory is kept");
    }

    private static void produce(EmbeddedKafka kafka, String topic, List<String> values) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            for (String value : values) {
                // one key: one partition, so the order of the values is kept
                producer.send(new ProducerRecord<>(topic, "k", value)).get(10, TimeUnit.SECONDS);
            }
        }
    }

    private static List<String> consume(EmbeddedKafka kafka, String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "embedded-kafka-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    private static boolean isFree(int port) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
            return true;
        } catch (java.net.BindException e) {
            return false;
        }
    }
}
