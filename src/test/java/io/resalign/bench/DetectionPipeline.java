package io.resalign.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.ResalignConfig;
import io.resalign.demo.DemoRecords;
import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorGauges;
import io.resalign.embedded.EmbeddedKafka;
import io.resalign.streams.ModelRegistryProducer;
import io.resalign.streams.MonitorBoard;
import io.resalign.config.Topics;
import io.resalign.streams.TopologyProducer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Runs a {@link DetectionStream} through the real pipeline: Kafka's own KRaft broker in process,
 * the service's topology ({@link TopologyProducer}, the same one the Quarkus application runs) in
 * {@link KafkaStreams} over the service's configuration, the samples as the demo producer writes them
 * (JSON, UINT8, labelled; docs/sample-format.md), and the windows read back as an external consumer
 * reads them: from the {@code alignment-reports} topic, JSON (docs/reports.md).
 *
 * <p>Sample {@code i} of the stream carries event time {@code epoch + i} ms, so each report's window
 * is checked twice: by its sample ordinals and by its event-time bounds.
 */
final class DetectionPipeline {
    /** The alignment detector's name in tables (resalign's RA metrics: the report's {@code drift}). */
    static final String ALIGNMENT = "alignment";
    /** The output detector's name in tables (entropy and confidence: the report's {@code output_drift}). */
    static final String OUTPUT = "output";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String APPLICATION_ID = "resalign-detection-bench";
    private static final long EPOCH = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

    private DetectionPipeline() {}

    /**
     * Sends the stream and returns each detector's window decisions, in window order.
     *
     * @param stream the samples
     * @param config the service configuration (models directory, batch, drift settings)
     * @param model the model version the samples are for
     * @param progress hears the number of windows reported so far
     */
    static Map<String, List<WindowDecision>> run(DetectionStream stream, ResalignConfig config, ModelVersion model,
            IntConsumer progress) throws IOException {
        Path state = Files.createTempDirectory("resalign-detection-streams");
        try (ModelRegistry registry = ModelRegistryProducer.load(config);
                EmbeddedKafka broker = EmbeddedKafka.start(EmbeddedKafka.Settings.ephemeral())) {
            if (!registry.isLoaded(model)) {
                throw new IllegalStateException(model + " did not load from " + config.modelsDir() + ": " + registry.statuses());
            }
            // one partition: the monitor numbers samples in the order it takes them, which is then the stream's order
            broker.createTopics(Topics.ALL, 1);
            long[] shape = registry.catalog().find(model.model(), model.version()).orElseThrow().sampleShape();
            produce(broker, stream, model, shape);
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
            MonitorBoard board = new MonitorBoard();
            KafkaStreams streams = new KafkaStreams(new TopologyProducer().buildTopology(registry,
                    new ResalignMetrics(new SimpleMeterRegistry()), board, config), props);
            try {
                streams.start();
                int size = config.drift().windowSize();
                int advance = config.drift().windowAdvance();
                int expected = expectedWindows(stream.size(), stream.referenceSize(), size, advance);
                return consume(broker, streams, () -> board.values(model).map(MonitorGauges::samplesSeen).orElse(0L), expected, progress);
            } finally {
                // a slow engine may hold the stream thread past the timeout: then leave the state directory to the
                // deletion below rather than let cleanUp's "still running" hide why the run ended
                if (streams.close(Duration.ofSeconds(120))) {
                    streams.cleanUp();
                }
            }
        } finally {
            try (var files = Files.walk(state)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Returns how many windows the service closes on a stream: hopping windows over the samples after the reference. */
    static int expectedWindows(int samples, int referenceSize, int size, int advance) {
        int monitored = samples - referenceSize;
        return monitored < size ? 0 : (monitored - size) / advance + 1;
    }

    private static void produce(EmbeddedKafka broker, DetectionStream stream, ModelVersion model, long[] shape) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 20),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < stream.size(); i++) {
                byte[] json = DemoRecords.json(model.model(), model.version(), "detection-" + i, Instant.ofEpochMilli(EPOCH + i), shape,
                        stream.image(i), OptionalInt.of(stream.label(i)));
                producer.send(DemoRecords.record(Topics.INFERENCE_SAMPLES, model.model(), phase(stream, i), json));
            }
            producer.flush();
        }
    }

    private static String phase(DetectionStream stream, int index) {
        for (DetectionStream.Segment s : stream.segments()) {
            if (s.contains(index)) {
                return s.kind() == DetectionStream.Segment.Kind.SHIFT ? stream.scenarios().get(s.scenario()).name()
                        : s.kind().name().toLowerCase(java.util.Locale.ROOT);
            }
        }
        throw new IllegalArgumentException("sample " + index + " is in no segment");
    }

    /**
     * Reads reports until every expected window is in; fails when Kafka Streams stops, or when the
     * monitor takes no new sample for three minutes (a stall, however slow the engine).
     */
    private static Map<String, List<WindowDecision>> consume(EmbeddedKafka broker, KafkaStreams streams, LongSupplier samplesSeen,
            int expected, IntConsumer progress) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "resalign-detection-reader");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        TreeMap<Long, JsonNode> byLast = new TreeMap<>();
        long stallMillis = 180_000;
        long lastProgress = System.currentTimeMillis();
        long seen = 0;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.ALIGNMENT_REPORTS));
            while (byLast.size() < expected) {
                KafkaStreams.State st = streams.state();
                if (st == KafkaStreams.State.ERROR || st == KafkaStreams.State.NOT_RUNNING) {
                    throw new IllegalStateException("Kafka Streams stopped (" + st + ") after " + byLast.size() + " of " + expected
                            + " windows");
                }
                long now = samplesSeen.getAsLong();
                if (now > seen) {
                    seen = now;
                    lastProgress = System.currentTimeMillis();
                }
                if (System.currentTimeMillis() - lastProgress > stallMillis) {
                    throw new IllegalStateException("the monitor took no sample for " + stallMillis / 1000 + " s (" + seen
                            + " so far); " + byLast.size() + " of " + expected + " windows reported");
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode report = read(r.value());
                    if (byLast.put(report.path("window").path("last_sample").asLong(), report) == null) {
                        lastProgress = System.currentTimeMillis();
                        progress.accept(byLast.size());
                    }
                }
            }
        }
        Map<String, List<WindowDecision>> out = new TreeMap<>();
        out.put(ALIGNMENT, new ArrayList<>());
        out.put(OUTPUT, new ArrayList<>());
        for (JsonNode report : byLast.values()) {
            JsonNode w = report.path("window");
            int first = Math.toIntExact(w.path("first_sample").asLong());
            int last = Math.toIntExact(w.path("last_sample").asLong());
            if (w.path("start_time").asLong() != EPOCH + first || w.path("end_time").asLong() != EPOCH + last) {
                throw new IllegalStateException("window " + first + ".." + last + " has event times " + w.path("start_time") + ".."
                        + w.path("end_time") + ": the service took the samples out of order");
            }
            out.get(ALIGNMENT).add(decision(first, last, report.path("drift")));
            JsonNode output = report.path("output_drift");
            if (output.isMissingNode() || output.isNull()) {
                throw new IllegalStateException("report of window " + first + ".." + last + " has no output_drift");
            }
            out.get(OUTPUT).add(decision(first, last, output));
        }
        return out;
    }

    private static JsonNode read(String value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable report on " + Topics.ALIGNMENT_REPORTS, e);
        }
    }

    private static WindowDecision decision(int first, int last, JsonNode drift) {
        return new WindowDecision(first, last, number(drift.path("statistic")), number(drift.path("threshold")),
                drift.path("alarm").asInt() == 1);
    }

    private static double number(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }
}
