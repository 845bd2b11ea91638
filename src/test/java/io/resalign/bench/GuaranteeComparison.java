package io.resalign.bench;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.resalign.config.ResalignConfig;
import io.resalign.embedded.EmbeddedKafka;
import io.resalign.service.ModelRegistry;
import io.resalign.streams.MonitorBoard;
import io.resalign.streams.TopologyProducer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Phase (d) of the streaming benchmark: the end-to-end maximum rate under each processing
 * guarantee, back to back in the same run, each a new application (its own consumer group and
 * state) taking the whole samples topic from its start: what exactly_once_v2's transactions (a
 * commit every 100 ms, the changelog, reports and offsets in one transaction) cost against
 * at_least_once (a commit every 30 s), on the same records, model and machine load.
 */
final class GuaranteeComparison {
    private GuaranteeComparison() {}

    /** One guarantee's run: its rate and the time from its first applied batch to its last sample. */
    record Rate(double samplesPerSecond, double seconds) {}

    /**
     * Runs the topology once per guarantee over the {@code records} records on the samples topic and
     * prints each rate and its ratio to the first guarantee's.
     */
    static Map<String, Rate> run(EmbeddedKafka broker, ModelRegistry registry, ResalignConfig config, List<String> guarantees,
            int records, double engineRate, Path root, String applicationId) {
        System.out.printf("%n== (d) end-to-end max rate under each processing guarantee: the %d records of the samples topic, "
                + "from its start, a new application each ==%n", records);
        Map<String, Rate> rates = new LinkedHashMap<>();
        for (String guarantee : guarantees) {
            AppliedSamples applied = new AppliedSamples(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId + "-" + guarantee.replace('_', '-'));
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            props.put(StreamsConfig.STATE_DIR_CONFIG, root.resolve("streams-" + guarantee).toString());
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
            KafkaStreams streams = new KafkaStreams(new TopologyProducer().buildTopology(registry, applied, new MonitorBoard(), config), props);
            try {
                streams.start();
                StreamingBenchmark.awaitApplied(streams, applied, 1, Duration.ofSeconds(120));
                StreamingBenchmark.awaitApplied(streams, applied, records, Duration.ofSeconds(120 + (long) (10 * records / engineRate)));
                List<AppliedSamples.Applied> all = applied.range(0, records);
                long first = all.get(0).atMillis();
                long last = all.get(all.size() - 1).atMillis();
                long firstBatch = all.stream().filter(a -> a.atMillis() == first).count();
                Rate rate = new Rate((records - firstBatch) / ((last - first) / 1e3), (last - first) / 1e3);
                rates.put(guarantee, rate);
                System.out.printf("%-16s %8.2f samples/s (%d samples in %.2f s after the first batch); load average %s%n", guarantee,
                        rate.samplesPerSecond(), records - firstBatch, rate.seconds(), MachineRates.loadAverage());
            } finally {
                streams.close(Duration.ofSeconds(30));
                streams.cleanUp();
            }
        }
        double base = rates.values().iterator().next().samplesPerSecond();
        System.out.println();
        System.out.println("| guarantee | end-to-end max rate | ratio to " + guarantees.get(0) + " | of the engine-only rate |");
        System.out.println("|---|---|---|---|");
        rates.forEach((g, r) -> System.out.printf("| %s | %.2f samples/s | %.3f | %.3f |%n", g, r.samplesPerSecond(),
                r.samplesPerSecond() / base, r.samplesPerSecond() / engineRate));
        return rates;
    }
}
