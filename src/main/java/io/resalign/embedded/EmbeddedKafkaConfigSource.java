package io.resalign.embedded;

import java.util.Set;

import org.eclipse.microprofile.config.spi.ConfigSource;
import org.jboss.logging.Logger;

import io.resalign.embedded.EmbeddedKafka;
import io.resalign.config.Topics;

/**
 * Supplies the Kafka client settings of the embedded mode and starts the in-process broker the
 * first time its address is read (see {@link EmbeddedKafkaConfigSourceFactory} for why the address
 * comes from a config source). One broker runs per application class loader; {@link #stop()}
 * ends it on shutdown.
 */
public final class EmbeddedKafkaConfigSource implements ConfigSource {

    static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    static final String STREAMS_BOOTSTRAP_SERVERS = "quarkus.kafka-streams.bootstrap-servers";

    private static final Logger LOG = Logger.getLogger(EmbeddedKafkaConfigSource.class);

    private static EmbeddedKafka running;

    private final EmbeddedKafka.Settings settings;
    private final int partitions;
    private final int ordinal;

    EmbeddedKafkaConfigSource(EmbeddedKafka.Settings settings, int partitions, int ordinal) {
        this.settings = settings;
        this.partitions = partitions;
        this.ordinal = ordinal;
    }

    /**
     * Returns no names although the source has values: Quarkus's build reads every listed property
     * while it augments the application, which would start a broker during the build and record
     * its address in the packaged defaults. Unlisted, the values are only read where they are used,
     * by name, at run time.
     */
    @Override
    public Set<String> getPropertyNames() {
        return Set.of();
    }

    @Override
    public String getValue(String propertyName) {
        switch (propertyName) {
            case KAFKA_BOOTSTRAP_SERVERS:
            case STREAMS_BOOTSTRAP_SERVERS:
                return ensureStarted(settings, partitions).bootstrapServers();
            default:
                return null;
        }
    }

    @Override
    public String getName() {
        return "resalign embedded Kafka";
    }

    @Override
    public int getOrdinal() {
        return ordinal;
    }

    /** Returns the running embedded broker, if one was started. */
    public static synchronized java.util.Optional<EmbeddedKafka> running() {
        return java.util.Optional.ofNullable(running);
    }

    /** Stops the embedded broker if it runs; a later read of its address starts a new one. */
    public static synchronized void stop() {
        if (running == null) {
            return;
        }
        try {
            running.close();
        } finally {
            running = null;
        }
    }

    private static synchronized EmbeddedKafka ensureStarted(EmbeddedKafka.Settings settings, int partitions) {
        if (running == null) {
            LOG.info("No Kafka configured (kafka.bootstrap.servers): starting the embedded broker");
            EmbeddedKafka kafka = EmbeddedKafka.start(settings);
            try {
                kafka.createTopics(Topics.ALL, partitions);
            } catch (RuntimeException e) {
                kafka.close();
                throw e;
            }
            // Stopped on ShutdownEvent, after Kafka Streams (EmbeddedKafkaShutdown). No JVM shutdown
            // hook: hooks run concurrently with Quarkus's shutdown and stopped the broker under a
            // closing Kafka Streams (measured). A start that fails ends in System.exit in prod mode.
            running = kafka;
        }
        return running;
    }
}
