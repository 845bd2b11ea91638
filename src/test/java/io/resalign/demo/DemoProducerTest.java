package io.resalign.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import io.resalign.embedded.EmbeddedKafka;
import io.resalign.config.Topics;
import io.resalign.sample.SampleRecord;

/** The standalone producer against a real (in-process) broker: what it sends arrives and decodes. */
class DemoProducerTest {

    @Test
    void sendsTheRequestedNumberOfValidSamplesWithTheScheduledPhases() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.ephemeral())) {
            kafka.createTopics(Topics.ALL, 2);
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            long started = System.nanoTime();
            int status = DemoProducer.run(new String[] {
                "--bootstrap", kafka.bootstrapServers(), "--count", "100", "--rate", "400",
                "--schedule", "clean*60,rotate:90+noise:sigma=10*40", "--seed=3", "--property", "acks=all"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), new AtomicBoolean());
            double seconds = (System.nanoTime() - started) / 1e9;
            String log = err.toString(StandardCharsets.UTF_8);
            assertEquals(DemoProducer.OK, status, log);
            assertTrue(log.contains("sent 100 samples, 0 failed"), log);
            assertTrue(log.contains("sample 60 starts phase rotate:90+noise:sigma=10"), log);
            assertTrue(seconds >= 0.2, "paced at 400/s: 100 samples take at least 0.25 s, took " + seconds);

            List<ConsumerRecord<String, byte[]>> records = consume(kafka, 100);
            assertEquals(100, records.size());
            Set<String> ids = new HashSet<>();
            Map<String, Integer> phases = new HashMap<>();
            catalogReady();
            for (ConsumerRecord<String, byte[]> r : records) {
                assertEquals("demo-mlp", r.key());
                ProducerRecord<String, byte[]> asSent = new ProducerRecord<>(r.topic(), null, r.key(), r.value(), r.headers());
                SampleRecord s = DemoRecordsTest.decodeOne(asSent);
                assertTrue(s.label().isPresent());
                ids.add(s.id());
                phases.merge(new String(r.headers().lastHeader(DemoRecords.PHASE_HEADER).value(), StandardCharsets.UTF_8), 1, Integer::sum);
            }
            assertEquals(100, ids.size(), "ids are unique");
            assertEquals(Map.of("clean", 60, "rotate:90+noise:sigma=10", 40), phases);
        }
    }

    @Test
    void badArgumentsExitWithUsage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err);
        PrintStream o = new PrintStream(new ByteArrayOutputStream());
        assertEquals(DemoProducer.USAGE_ERROR, DemoProducer.run(new String[] {"--count", "5"}, o, e, new AtomicBoolean()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--bootstrap HOST:PORT is required"));
        assertEquals(DemoProducer.USAGE_ERROR, DemoProducer.run(new String[] {"--bootstrap", "x:1", "--schedule", "blur:3"}, o, e, new AtomicBoolean()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown transform 'blur'"));
        assertEquals(DemoProducer.USAGE_ERROR, DemoProducer.run(new String[] {"--bootstrap", "x:1", "--rate", "0"}, o, e, new AtomicBoolean()));
        assertEquals(DemoProducer.USAGE_ERROR, DemoProducer.run(new String[] {"--bootstrap", "x:1", "--frobnicate"}, o, e, new AtomicBoolean()));
        assertEquals(DemoProducer.RUNTIME_ERROR, DemoProducer.run(new String[] {"--bootstrap", "x:1", "--model", "nope"}, o, e, new AtomicBoolean()));
        assertEquals(DemoProducer.OK, DemoProducer.run(new String[] {"--help"}, o, e, new AtomicBoolean()));
    }

    private static void catalogReady() throws Exception {
        DemoRecordsTest.catalog();
    }

    private static List<ConsumerRecord<String, byte[]>> consume(EmbeddedKafka kafka, int expected) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "demo-producer-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.INFERENCE_SAMPLES));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            // Nothing more than asked for arrives.
            consumer.poll(Duration.ofMillis(500)).forEach(out::add);
        }
        return out;
    }
}
