package io.resalign.demo;

import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.resalign.embedded.EmbeddedKafkaConfigSource;
import io.resalign.config.ResalignConfig;
import io.resalign.config.ResalignConfig.DemoConfig;
import io.resalign.config.ResalignConfig.DemoMode;
import io.resalign.demo.DriftSchedule.Phase;
import io.resalign.config.Topics;

/**
 * Feeds the service demo traffic (docs/demo.md): in the embedded default mode, dataset images for
 * the bundled demo model, sent to {@code inference-samples} at {@code resalign.demo.rate} per
 * second on one daemon thread, drifting as {@code resalign.demo.schedule} says. Starts on
 * {@link StartupEvent} (the embedded broker is up by then: it starts while Quarkus builds its
 * configuration) and stops on {@link ShutdownEvent}, before Kafka Streams and the broker close.
 *
 * <p>A bad schedule or rate fails the start-up. A model or data set that cannot be loaded fails it
 * when {@code resalign.demo.enabled=true}; in {@code auto} it only logs a warning and the service
 * runs without demo traffic.
 */
@ApplicationScoped
public class DemoTraffic {

    private static final Logger LOG = Logger.getLogger(DemoTraffic.class);
    private static final String CLIENT_ID = "resalign-demo";

    @Inject
    ResalignConfig config;

    @Inject
    Config mpConfig;

    private volatile boolean stopping;
    private ExecutorService executor;
    private Producer<String, byte[]> producer;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    void onStart(@Observes StartupEvent event) {
        DemoConfig demo = config.demo();
        Optional<String> bootstrap = bootstrapServers();
        boolean embedded = EmbeddedKafkaConfigSource.running().isPresent();
        boolean on = demo.enabled() == DemoMode.TRUE || (demo.enabled() == DemoMode.AUTO && embedded);
        if (!on) {
            LOG.debugf("Demo traffic off (resalign.demo.enabled=%s, embedded broker %s)",
                    demo.enabled().name().toLowerCase(Locale.ROOT), embedded ? "running" : "not running");
            return;
        }
        if (bootstrap.isEmpty()) {
            throw new IllegalStateException("resalign.demo.enabled=true but no kafka.bootstrap.servers to send demo traffic to");
        }
        DriftSchedule schedule;
        try {
            schedule = DriftSchedule.parse(demo.schedule());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resalign.demo.schedule: " + e.getMessage(), e);
        }
        if (!(demo.rate() > 0) || !Double.isFinite(demo.rate())) {
            throw new IllegalArgumentException("resalign.demo.rate must be a positive number of samples per second, got " + demo.rate());
        }
        DemoStream stream;
        try {
            DemoModel model = DemoModel.find(demo.modelsDir().orElse(config.modelsDir()), demo.model());
            DemoDataset dataset = DemoDataset.load(demo.data(), demo.labels(), model.directory(), model.sampleLength());
            LOG.infof("Demo traffic: %s", dataset.description());
            stream = new DemoStream(Topics.INFERENCE_SAMPLES, model.name(), model.version(), model.sampleShape(), dataset,
                    schedule, demo.seed(), "demo-" + Long.toString(System.currentTimeMillis(), 36), Clock.systemUTC());
            LOG.infof("Demo traffic: %s:%s, %s samples/s to %s on %s, schedule %s%s (resalign.demo.*, docs/demo.md)",
                    model.name(), model.version(), DriftSchedule.format(demo.rate()), Topics.INFERENCE_SAMPLES,
                    bootstrap.get(), schedule, schedule.repeats() ? " (repeating)" : "");
        } catch (IOException | RuntimeException e) {
            if (demo.enabled() == DemoMode.TRUE) {
                throw new IllegalStateException("resalign.demo.enabled=true but the demo cannot start: " + e.getMessage(), e);
            }
            LOG.warnf("Demo traffic off: %s (set resalign.models-dir or resalign.demo.models-dir / resalign.demo.data, or resalign.demo.enabled=false)",
                    e.getMessage());
            return;
        }
        producer = new KafkaProducer<>(producerProperties(bootstrap.get()), new StringSerializer(), new ByteArraySerializer());
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "resalign-demo-traffic");
            t.setDaemon(true);
            return t;
        });
        double rate = demo.rate();
        executor.execute(() -> run(stream, rate));
    }

    void onStop(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event) {
        stop();
    }

    /** Returns the number of samples handed to the producer so far. */
    public long sent() {
        return sent.get();
    }

    /** Returns whether demo traffic is being sent. */
    public boolean running() {
        return executor != null && !executor.isShutdown();
    }

    synchronized void stop() {
        stopping = true;
        if (executor != null) {
            executor.shutdownNow();
            try {
                if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.warn("Demo traffic thread did not stop within 5 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            executor = null;
        }
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(5));
            producer = null;
            LOG.infof("Demo traffic stopped after %d samples (%d failed sends)", sent.get(), failures.get());
        }
    }

    private void run(DemoStream stream, double rate) {
        DemoStream.Listener listener = new DemoStream.Listener() {
            @Override
            public void phaseStarted(long sequence, Phase phase) {
                LOG.infof("Demo traffic: sample %d starts phase %s%s", sequence, phase.name(),
                        phase.count().isPresent() ? " for " + phase.count().getAsLong() + " samples" : " (until stopped)");
            }

            @Override
            public void sent(long sequence) {
                sent.incrementAndGet();
            }

            @Override
            public void failed(long sequence, Exception e) {
                long n = failures.incrementAndGet();
                if (n == 1 || n % 100 == 0) {
                    LOG.warnf("Demo traffic: sending sample %d failed (%d failures so far): %s", sequence, n, e.toString());
                }
            }
        };
        try {
            stream.produce(producer, rate, 0, () -> stopping, listener);
        } catch (RuntimeException e) {
            if (!stopping) {
                LOG.error("Demo traffic stopped by an error", e);
            }
        }
    }

    private Optional<String> bootstrapServers() {
        // Reading the address starts the embedded broker if it applies and is not up yet.
        return mpConfig.getOptionalValue("kafka.bootstrap.servers", String.class)
                .or(() -> mpConfig.getOptionalValue("quarkus.kafka-streams.bootstrap-servers", String.class))
                .filter(s -> !s.isBlank());
    }

    private Map<String, Object> producerProperties(String bootstrap) {
        Map<String, Object> p = new HashMap<>();
        // A real cluster's security settings, given for Kafka Streams as kafka-streams.*, apply here too.
        for (String name : mpConfig.getPropertyNames()) {
            if (name.startsWith("kafka-streams.security.") || name.startsWith("kafka-streams.sasl.")
                    || name.startsWith("kafka-streams.ssl.")) {
                mpConfig.getOptionalValue(name, String.class).ifPresent(v -> p.put(name.substring("kafka-streams.".length()), v));
            }
        }
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        return p;
    }
}
