package io.resalign.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.resalign.demo.DriftSchedule.Phase;
import io.resalign.config.Topics;

/**
 * Sends demo traffic to any Kafka cluster, for people running resalign against a real one
 * (docs/demo.md). The same records as the embedded mode's {@link DemoTraffic}:
 *
 * <pre>
 *   ./mvnw -q exec:exec@demo-producer -Ddemo.args="--bootstrap kafka:9092 --rate 50 --schedule 'clean*1000,rotate:30*1000'"
 *   java -cp target/quarkus-app/lib/main/*:target/classes io.resalign.demo.DemoProducer --bootstrap localhost:9092
 * </pre>
 */
public final class DemoProducer {

    /** Exit status: all samples sent. */
    public static final int OK = 0;
    /** Exit status: a send or the set-up failed. */
    public static final int RUNTIME_ERROR = 1;
    /** Exit status: bad arguments. */
    public static final int USAGE_ERROR = 2;

    static final String USAGE = String.join("\n",
            "usage: DemoProducer --bootstrap HOST:PORT [options]",
            "  --bootstrap HOST:PORT[,...]  Kafka bootstrap servers (required)",
            "  --topic NAME                 topic (default " + Topics.INFERENCE_SAMPLES + ")",
            "  --rate N                     samples per second (default 20)",
            "  --count N                    samples to send, 0 = until Ctrl-C (default 0)",
            "  --schedule SPEC              drift schedule (default " + DriftSchedule.DEFAULT + ")",
            "                               phases TRANSFORM[+TRANSFORM]*COUNT, comma-separated; transforms",
            "                               clean, noise:sigma=S, contrast:F, brightness:DELTA, rotate:DEGREES, occlude:SIZE",
            "  --model NAME                 model name in its manifest (default demo-mlp)",
            "  --models-dir DIR             models directory (default models)",
            "  --data auto|FILE             images: auto = Debian Fashion-MNIST test set, else the model's samples.npy",
            "  --labels FILE                labels for --data FILE (default: found beside it)",
            "  --seed N                     seed of order, noise and patches (default 42)",
            "  --property KEY=VALUE         extra Kafka producer property (repeatable; e.g. security.protocol=SSL)",
            "  --quiet                      no progress lines");

    /** The parsed command line. */
    record Options(String bootstrap, String topic, double rate, long count, String schedule, String model,
            Path modelsDir, String data, Optional<Path> labels, long seed, Map<String, String> properties, boolean quiet) {
    }

    private DemoProducer() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, new AtomicBoolean()));
    }

    /**
     * Runs the producer until {@code --count} samples are sent (and acknowledged), or Ctrl-C, or
     * {@code stop} is set.
     *
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err, AtomicBoolean stop) {
        Options o;
        DriftSchedule schedule;
        try {
            o = parse(args);
            if (o == null) {
                out.println(USAGE);
                return OK;
            }
            schedule = DriftSchedule.parse(o.schedule());
        } catch (IllegalArgumentException e) {
            err.println("DemoProducer: " + e.getMessage());
            err.println(USAGE);
            return USAGE_ERROR;
        }
        DemoStream stream;
        try {
            DemoModel model = DemoModel.find(o.modelsDir(), o.model());
            DemoDataset dataset = DemoDataset.load(o.data(), o.labels(), model.directory(), model.sampleLength());
            if (!o.quiet()) {
                err.println("DemoProducer: " + dataset.description());
                err.println("DemoProducer: " + model.name() + ":" + model.version() + ", " + DriftSchedule.format(o.rate())
                        + " samples/s to " + o.topic() + " on " + o.bootstrap() + ", schedule " + schedule
                        + (schedule.repeats() ? " (repeating)" : ""));
            }
            stream = new DemoStream(o.topic(), model.name(), model.version(), model.sampleShape(), dataset, schedule,
                    o.seed(), "demo-" + Long.toString(System.currentTimeMillis(), 36), Clock.systemUTC());
        } catch (IOException | RuntimeException e) {
            err.println("DemoProducer: " + e.getMessage());
            return RUNTIME_ERROR;
        }
        Map<String, Object> props = new HashMap<>(o.properties());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap());
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "resalign-demo-producer");
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "20");
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        AtomicLong failures = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-producer-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long sent;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            sent = stream.produce(producer, o.rate(), o.count(), stop::get, new DemoStream.Listener() {
                @Override
                public void phaseStarted(long sequence, Phase phase) {
                    if (!o.quiet()) {
                        err.println("DemoProducer: sample " + sequence + " starts phase " + phase.name()
                                + (phase.count().isPresent() ? " for " + phase.count().getAsLong() + " samples" : ""));
                    }
                }

                @Override
                public void failed(long sequence, Exception e) {
                    long n = failures.incrementAndGet();
                    if (n == 1 || n % 100 == 0) {
                        err.println("DemoProducer: sending sample " + sequence + " failed (" + n + " so far): " + e);
                    }
                }
            });
            producer.flush();
        } catch (RuntimeException e) {
            err.println("DemoProducer: " + e.getMessage());
            return RUNTIME_ERROR;
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running: it waits for done, released above
            }
        }
        if (!o.quiet()) {
            err.println("DemoProducer: sent " + sent + " samples, " + failures.get() + " failed");
        }
        return failures.get() == 0 ? OK : RUNTIME_ERROR;
    }

    /** Parses the arguments; returns null for {@code --help}. */
    static Options parse(String[] args) {
        String bootstrap = null;
        String topic = Topics.INFERENCE_SAMPLES;
        double rate = 20;
        long count = 0;
        String schedule = DriftSchedule.DEFAULT;
        String model = "demo-mlp";
        Path modelsDir = Path.of("models");
        String data = "auto";
        Optional<Path> labels = Optional.empty();
        long seed = 42;
        Map<String, String> properties = new HashMap<>();
        boolean quiet = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "-h", "--help" -> {
                    return null;
                }
                case "--quiet" -> quiet = true;
                default -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(a + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (a) {
                        case "--bootstrap" -> bootstrap = value;
                        case "--topic" -> topic = value;
                        case "--rate" -> rate = positive(a, value);
                        case "--count" -> count = whole(a, value);
                        case "--schedule" -> schedule = value;
                        case "--model" -> model = value;
                        case "--models-dir" -> modelsDir = Path.of(value);
                        case "--data" -> data = value;
                        case "--labels" -> labels = Optional.of(Path.of(value));
                        case "--seed" -> seed = whole(a, value);
                        case "--property" -> {
                            int e = value.indexOf('=');
                            if (e <= 0) {
                                throw new IllegalArgumentException("--property takes KEY=VALUE, got '" + value + "'");
                            }
                            properties.put(value.substring(0, e), value.substring(e + 1));
                        }
                        default -> throw new IllegalArgumentException("unknown option " + a);
                    }
                }
            }
        }
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("--bootstrap HOST:PORT is required");
        }
        return new Options(bootstrap, topic, rate, count, schedule, model, modelsDir, data, labels, seed, properties, quiet);
    }

    private static double positive(String option, String value) {
        try {
            double v = Double.parseDouble(value);
            if (v > 0 && Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + " must be a positive number, got '" + value + "'");
    }

    private static long whole(String option, String value) {
        try {
            long v = Long.parseLong(value);
            if (v >= 0 || option.equals("--seed")) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + " must be a whole number" + (option.equals("--seed") ? "" : " >= 0")
                + ", got '" + value + "'");
    }
}
