package io.resalign.bench;

import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.resalign.config.ResalignConfig;
import io.resalign.demo.DemoRecords;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.testing.RandomModels;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelRegistry;
import io.resalign.embedded.EmbeddedKafka;
import io.resalign.streams.ModelRegistryProducer;
import io.resalign.streams.MonitorBoard;
import io.resalign.config.Topics;
import io.resalign.streams.TopologyProducer;
import io.resalign.sample.Datatype;
import io.resalign.streams.record.SampleDecoder;
import io.resalign.sample.SampleRecord;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Benchmarks the streaming service against its engine, in one JVM on one model: the W-mlp
 * workload's model (random resnet-mlp d=128, L=16, C=10, input [1,28,28], BatchNorm), loaded once
 * into a {@link ModelRegistry} with the service's default settings.
 *
 * <ol>
 *   <li><b>engine-only</b>: {@link ModelRegistry#analyse} on batches of the service's batch size,
 *       after warm-up; samples per second over the timed batches;</li>
 *   <li><b>end-to-end maximum rate</b>: N JSON (Open Inference Protocol, FP32) sample records are
 *       produced to the in-process broker first, then the service's topology runs in
 *       {@link KafkaStreams} with the service's defaults (at-least-once, batch size, max wait,
 *       Kafka Streams' own defaults otherwise); samples per second from the first applied batch to
 *       the last applied sample;</li>
 *   <li><b>latency at a fraction of that rate</b> (default 0.5): a producer paced at that rate
 *       for a fixed time, samples stamped when sent; p50/p99/max of the exact sample-to-metric
 *       latencies ({@link AppliedSamples}), which the service's meter
 *       {@code resalign_sample_latency_seconds} also records.</li>
 * </ol>
 *
 * <p>It prints numbers and asserts nothing. Run with
 * {@code ./mvnw -q test-compile exec:exec@stream-bench -Dstream-bench.args="..."}; flags:
 * {@code --samples N} (pre-produced samples, default 2400: the default reference of 2,000
 * completes and the first windows are tested in (b), so (c) sees the steady state),
 * {@code --engine-batches N} (timed engine-only batches, half before and half after (b), default 40), {@code --warmup-batches N} (default 3),
 * {@code --latency-seconds S} (paced phase, default 60), {@code --rate-fraction F} (default 0.5),
 * {@code --set resalign.KEY=VALUE} (a service setting other than its default, repeatable),
 * {@code --partitions N} (of the samples topic, default 3 as the embedded broker creates it),
 * {@code --guarantees G1,G2} (phase (d), {@link GuaranteeComparison}: the end-to-end maximum rate
 * under each, back to back; default at_least_once,exactly_once_v2; empty to skip).
 */
public final class StreamingBenchmark {
    private static final String MODEL = "W-mlp";
    private static final ModelVersion MV = new ModelVersion(MODEL, "1");
    private static final String APPLICATION_ID = "resalign-stream-bench";

    /** Parsed command-line settings. */
    private static final class Settings {
        int samples = 2400;
        int engineBatches = 40;
        int warmupBatches = 3;
        double latencySeconds = 60;
        double rateFraction = 0.5;
        Map<String, String> overrides = new java.util.LinkedHashMap<>();
        int partitions = 3;
        List<String> guarantees = List.of("at_least_once", "exactly_once_v2");

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("flag " + a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--samples" -> s.samples = Integer.parseInt(v);
                    case "--engine-batches" -> s.engineBatches = Integer.parseInt(v);
                    case "--warmup-batches" -> s.warmupBatches = Integer.parseInt(v);
                    case "--latency-seconds" -> s.latencySeconds = Double.parseDouble(v);
                    case "--rate-fraction" -> s.rateFraction = Double.parseDouble(v);
                    case "--set" -> {
                        int eq = v.indexOf('=');
                        if (!v.startsWith("resalign.") || eq < 0) {
                            throw new IllegalArgumentException("--set takes resalign.KEY=VALUE (docs/kafka.md, service settings), got " + v);
                        }
                        s.overrides.put(v.substring(0, eq), v.substring(eq + 1));
                    }
                    case "--partitions" -> s.partitions = Integer.parseInt(v);
                    case "--guarantees" -> s.guarantees = List.of(v.split(","));
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "'; flags: --samples N --engine-batches N "
                            + "--warmup-batches N --latency-seconds S --rate-fraction F --set resalign.KEY=VALUE --partitions N --guarantees G1,G2");
                }
            }
            return s;
        }
    }

    private StreamingBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args flags, see the class comment
     * @throws IOException when the model directory cannot be written
     */
    public static void main(String[] args) throws IOException {
        Locale.setDefault(Locale.ROOT);
        Settings s = Settings.parse(args);
        Path root = Files.createTempDirectory("resalign-stream-bench");
        try {
            run(s, root);
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(Settings s, Path root) throws IOException {
        Path models = root.resolve("models");
        Workload workload = Workload.mlp(MODEL, 128, 32);
        workload.writeModel(models);
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder().withMapping(ResalignConfig.class)
                .withDefaultValue("resalign.models-dir", models.toString())
                // the pipeline's maximum: the engine share would cap the streamed rate at a share of the engine's
                .withDefaultValue("resalign.batch.engine-share", "0");
        s.overrides.forEach(builder::withDefaultValue);
        ResalignConfig config = builder.build().getConfigMapping(ResalignConfig.class);
        int batch = config.batch().size();

        System.out.println("resalign streaming benchmark  " + ZonedDateTime.now());
        System.out.printf("JVM %s, available processors %d, env OMP_WAIT_POLICY=%s, load average %s%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), System.getenv("OMP_WAIT_POLICY"), MachineRates.loadAverage());
        System.out.printf("model %s (%s); service settings: batch size %d, max wait %d ms, rate limit %s, engine-share setting %s, reference %d samples, "
                + "window %d/%d; samples topic partitions %d%n", MODEL, workload.description().replace("batch 32, ", ""), batch,
                config.batch().maxWaitMs(), config.batch().rateLimit(), config.batch().engineShare(), config.drift().referenceSize(), config.drift().windowSize(),
                config.drift().windowAdvance(), s.partitions);

        try (ModelRegistry registry = ModelRegistryProducer.load(config)) {
            if (!registry.isLoaded(MV)) {
                throw new IllegalStateException("the benchmark model did not load: " + registry.statuses());
            }
            SamplePool pool = new SamplePool(workload.sampleShape(), 256);
            List<SampleRecord> records = decoded(registry, pool);
            for (int i = 0; i < s.warmupBatches; i++) {
                registry.analyse(MV, slice(records, i, batch));
            }
            // half the engine-only batches before the streaming phases and half after: on a shared
            // machine the load moves, and the two halves show by how much
            double before = engineOnly(registry, records, batch, s.engineBatches / 2, "(a) engine-only, before the streaming phases");
            try (EmbeddedKafka broker = EmbeddedKafka.start(EmbeddedKafka.Settings.ephemeral())) {
                broker.createTopics(List.of(Topics.INFERENCE_SAMPLES, Topics.INFERENCE_SAMPLES_DLQ, Topics.ALIGNMENT_REPORTS), s.partitions);
                streaming(broker, registry, config, pool, before, batch, s, root, records);
            }
        }
    }

    /** Decodes the pool's JSON records as the topology does, so the engine-only phase analyses the same inputs. */
    private static List<SampleRecord> decoded(ModelRegistry registry, SamplePool pool) {
        SampleDecoder decoder = new SampleDecoder(registry.catalog());
        List<SampleRecord> records = new ArrayList<>();
        for (int i = 0; i < pool.size(); i++) {
            long now = System.currentTimeMillis();
            records.addAll(decoder.decode(Topics.INFERENCE_SAMPLES, 0, i, now, pool.headers(), pool.json("engine-" + i, i, now)).samples());
        }
        return records;
    }

    /** Times {@link ModelRegistry#analyse} on {@code batches} batches; returns samples per second. */
    private static double engineOnly(ModelRegistry registry, List<SampleRecord> records, int batch, int batches, String title) {
        System.out.printf("%n== %s: ModelRegistry.analyse, %d batches of %d ==%n", title, batches, batch);
        double[] times = new double[batches];
        long t0 = System.nanoTime();
        for (int i = 0; i < batches; i++) {
            long b0 = System.nanoTime();
            registry.analyse(MV, slice(records, i, batch));
            times[i] = (System.nanoTime() - b0) / 1e9;
        }
        double total = (System.nanoTime() - t0) / 1e9;
        double rate = batches * (double) batch / total;
        Arrays.sort(times);
        System.out.printf("%.2f samples/s over %.2f s (batch min %.3f s, median %.3f s, max %.3f s); load average %s%n", rate, total,
                times[0], times[times.length / 2], times[times.length - 1], MachineRates.loadAverage());
        return rate;
    }

    private static List<SampleRecord> slice(List<SampleRecord> records, int index, int batch) {
        List<SampleRecord> out = new ArrayList<>(batch);
        for (int j = 0; j < batch; j++) {
            out.add(records.get((index * batch + j) % records.size()));
        }
        return out;
    }

    private static void streaming(EmbeddedKafka broker, ModelRegistry registry, ResalignConfig config, SamplePool pool,
            double engineBefore, int batch, Settings s, Path root, List<SampleRecord> records) {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AppliedSamples applied = new AppliedSamples(meters);
        MonitorBoard board = new MonitorBoard();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, root.resolve("streams").toString());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            System.out.printf("%n== (b) end-to-end maximum rate: %d samples pre-produced, then the topology in KafkaStreams ==%n", s.samples);
            long p0 = System.nanoTime();
            for (int i = 0; i < s.samples; i++) {
                producer.send(pool.record("max-" + i, i, System.currentTimeMillis()));
            }
            producer.flush();
            System.out.printf("produced %d records (%d bytes each, about) in %.2f s%n", s.samples, pool.json("x", 0, 0).length,
                    (System.nanoTime() - p0) / 1e9);

            KafkaStreams streams = new KafkaStreams(new TopologyProducer().buildTopology(registry, applied, board, config), props);
            try {
                long start = System.currentTimeMillis();
                streams.start();
                awaitApplied(streams, applied, 1, Duration.ofSeconds(120));
                // from the first applied batch, as the rate below: startup and group join are not the steady state
                StackSampler profile = StreamThreadProfile.start(StreamThreadProfile.streamThread(APPLICATION_ID), 5);
                awaitApplied(streams, applied, s.samples, Duration.ofSeconds(120 + (long) (10 * s.samples / engineBefore)));
                Map<String, Double> shares = profile.shares();
                List<AppliedSamples.Applied> max = applied.range(0, s.samples);
                long first = max.get(0).atMillis();
                long last = max.get(max.size() - 1).atMillis();
                long firstBatch = max.stream().filter(a -> a.atMillis() == first).count();
                double e2eRate = (s.samples - firstBatch) / ((last - first) / 1e3);
                System.out.printf("first batch (%d samples) applied %.2f s after start; last sample %.2f s after the first batch: "
                        + "%.2f samples/s; load average %s%n", firstBatch, (first - start) / 1e3, (last - first) / 1e3, e2eRate,
                        MachineRates.loadAverage());
                System.out.printf("where the stream thread's time went (stack sampling every 5 ms, %d samples):%n", profile.samples());
                shares.forEach((part, share) -> System.out.printf("  %-40s %5.1f%%%n", part, 100 * share));
                double engineShare = shares.get("engine (AlignmentEngine.analyse)");
                printMonitor(board);
                // the stream thread idles between phases (nothing to read), so the engine has the same CPUs as in (b)
                double after = engineOnly(registry, records, batch, s.engineBatches - s.engineBatches / 2,
                        "(a') engine-only, after the end-to-end phase");
                double engineRate = (engineBefore * (s.engineBatches / 2) + after * (s.engineBatches - s.engineBatches / 2)) / s.engineBatches;

                double paced = s.rateFraction * e2eRate;
                int count = (int) Math.floor(paced * s.latencySeconds);
                System.out.printf("%n== (c) latency at %.2f x the end-to-end rate: %.2f samples/s for %.0f s (%d samples) ==%n",
                        s.rateFraction, paced, s.latencySeconds, count);
                long c0 = System.nanoTime();
                long pacedStart = System.currentTimeMillis();
                for (int i = 0; i < count; i++) {
                    long due = c0 + (long) (i * 1e9 / paced);
                    for (long wait; (wait = due - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(wait);
                    }
                    producer.send(pool.record("paced-" + i, i, System.currentTimeMillis()));
                }
                producer.flush();
                double sentRate = count / ((System.nanoTime() - c0) / 1e9);
                awaitApplied(streams, applied, s.samples + count, Duration.ofSeconds(120));
                long[] latencies = applied.range(s.samples, s.samples + count).stream().mapToLong(AppliedSamples.Applied::latencyMillis)
                        .sorted().toArray();
                double p50 = quantile(latencies, 0.50) / 1e3;
                double p99 = quantile(latencies, 0.99) / 1e3;
                double worst = latencies[latencies.length - 1] / 1e3;
                System.out.printf("sent at %.2f samples/s; sample-to-metric latency of %d samples: p50 %.3f s, p99 %.3f s, max %.3f s; "
                        + "load average %s%n", sentRate, latencies.length, p50, p99, worst, MachineRates.loadAverage());
                Timer meter = meters.find(ResalignMetrics.SAMPLE_LATENCY).tags("model", MODEL).timer();
                System.out.printf("meter %s: count %d (expected %d)%n", ResalignMetrics.SAMPLE_LATENCY, meter.count(),
                        s.samples + count);
                List<AppliedSamples.Applied> slow = applied.range(s.samples, s.samples + count).stream()
                        .sorted(Comparator.comparingLong(AppliedSamples.Applied::latencyMillis).reversed()).limit(3).toList();
                System.out.printf("slowest: %s (seconds after the paced phase began)%n", slow.stream()
                        .map(a -> String.format("%.3f s at %.1f", a.latencyMillis() / 1e3, (a.atMillis() - pacedStart) / 1e3)).toList());
                printMonitor(board);
                summary(engineBefore, after, engineRate, e2eRate, engineShare, paced, batch, s, p50, p99, worst);
                streams.close(Duration.ofSeconds(30)); // off the cores before (d)
                if (!s.guarantees.isEmpty()) {
                    GuaranteeComparison.run(broker, registry, config, s.guarantees, s.samples + count, engineRate, root, APPLICATION_ID);
                }
            } finally {
                streams.close(Duration.ofSeconds(30));
                streams.cleanUp();
            }
        }
    }

    static void awaitApplied(KafkaStreams streams, AppliedSamples applied, int target, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
            KafkaStreams.State state = streams.state();
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException("Kafka Streams stopped (" + state + ") after " + applied.count() + " of " + target
                        + " samples");
            }
            return applied.count() >= target;
        });
    }

    private static void printMonitor(MonitorBoard board) {
        board.values(MV).ifPresent(g -> System.out.printf("monitor: %s, samples seen %d, windows tested %d%n",
                g.referenceCollecting() ? "collecting its reference (" + g.referenceSamples() + " so far)" : "testing windows",
                g.samplesSeen(), g.windowsTested()));
    }

    /** Nearest-rank quantile of sorted values. */
    private static double quantile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void summary(double before, double after, double engineRate, double e2eRate, double engineShare, double paced, int batch, Settings s, double p50, double p99,
            double worst) {
        double ratio = e2eRate / engineRate;
        System.out.println();
        System.out.println("== summary (markdown) ==");
        System.out.println();
        System.out.println("| measure | value | target | met |");
        System.out.println("|---|---|---|---|");
        System.out.printf("| engine-only rate (ModelRegistry.analyse, batch %d; before / after the streaming phase) | %.2f samples/s "
                + "(%.2f / %.2f) | | |%n", batch, engineRate, before, after);
        System.out.printf("| end-to-end max rate (%d pre-produced samples) | %.2f samples/s | | |%n", s.samples, e2eRate);
        System.out.printf("| end-to-end / engine-only | %.3f | >= 0.80 | %s |%n", ratio, ratio >= 0.8 ? "yes" : "no");
        System.out.printf("| share of the stream thread's time in the engine during (b) (same load) | %.3f | | |%n", engineShare);
        System.out.printf("| latency p50 at %.2f samples/s (%.2f x max) | %.3f s | | |%n", paced, s.rateFraction, p50);
        System.out.printf("| latency p99 | %.3f s | < 2 s | %s |%n", p99, p99 < 2 ? "yes" : "no");
        System.out.printf("| latency max | %.3f s | | |%n", worst);
    }

    /** Distinct Gaussian inputs (as the W-mlp workload draws them) and their JSON sample records. */
    private static final class SamplePool {
        private final long[] shape;
        private final float[][] inputs;

        SamplePool(long[] shape, int size) {
            this.shape = shape;
            int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            Random random = new Random(Workload.SEED + 2);
            inputs = new float[size][];
            for (int i = 0; i < size; i++) {
                inputs[i] = RandomModels.gaussian(random, n, 1.0);
            }
        }

        int size() {
            return inputs.length;
        }

        RecordHeaders headers() {
            RecordHeaders headers = new RecordHeaders();
            headers.add("content-type", "application/json".getBytes(StandardCharsets.UTF_8));
            return headers;
        }

        ProducerRecord<String, byte[]> record(String id, int index, long timestamp) {
            return new ProducerRecord<>(Topics.INFERENCE_SAMPLES, null, MODEL, json(id, index, timestamp), headers());
        }

        /** An Open Inference Protocol request as a model server's payload logger would write it (docs/sample-format.md). */
        byte[] json(String id, int index, long timestamp) {
            return DemoRecords.json(MODEL, "1", id, Instant.ofEpochMilli(timestamp), shape, Datatype.FP32, inputs[index % inputs.length],
                    OptionalInt.empty());
        }
    }
}
