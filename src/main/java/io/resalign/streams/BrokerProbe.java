package io.resalign.streams;

import io.quarkus.kafka.streams.runtime.KafkaStreamsProducer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.resalign.config.ResalignConfig;
import io.resalign.metrics.ResalignMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Asks the Kafka cluster every {@code resalign.health.broker-probe-interval-seconds} to describe
 * itself, with an admin client built from the Kafka Streams client's own configuration (the same
 * bootstrap servers, TLS and SASL settings, so a probe that answers means the stream threads can
 * connect too), and notes each answer or failure in {@link BrokerReachability}. One daemon thread;
 * the client is closed at shutdown.
 */
@ApplicationScoped
public class BrokerProbe {
    /** The client id of the probe's admin client, as the broker's logs and quotas see it. */
    static final String CLIENT_ID = "resalign-broker-probe";

    @Inject
    KafkaStreamsProducer streams;

    @Inject
    ResalignConfig config;

    @Inject
    ResalignMetrics metrics;

    private BrokerReachability reachability;
    private ScheduledExecutorService executor;
    private Admin admin;

    /** Returns whether the cluster answers, for readiness. */
    public BrokerReachability.State state() {
        return reachability().state();
    }

    synchronized BrokerReachability reachability() {
        if (reachability == null) {
            reachability = new BrokerReachability(Duration.ofSeconds(config.health().brokerUnreachableAfterSeconds()), metrics.broker(),
                    System::currentTimeMillis);
        }
        return reachability;
    }

    void start(@Observes StartupEvent event) {
        int interval = config.health().brokerProbeIntervalSeconds();
        Map<String, Object> props = streams.getStreamsConfig().getAdminConfigs(CLIENT_ID);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, interval * 1000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, interval * 1000);
        admin = Admin.create(props);
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, CLIENT_ID);
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(() -> probe(interval), 0, interval, TimeUnit.SECONDS);
    }

    private void probe(int timeoutSeconds) {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutSeconds * 1000)).clusterId()
                    .get(timeoutSeconds + 1L, TimeUnit.SECONDS);
            reachability().answered();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            reachability().failed(e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (executor != null) {
            executor.shutdownNow();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }
}
