package io.resalign.config;

import java.nio.file.Path;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Holds resalign's own settings, everything under the prefix {@code resalign.}. Kafka and Kafka
 * Streams settings are not here: they go through Quarkus's standard keys ({@code kafka.*},
 * {@code kafka-streams.*}, {@code quarkus.kafka-streams.*}).
 */
@ConfigMapping(prefix = "resalign")
public interface ResalignConfig {

    /** The in-process default broker (docs/kafka.md). */
    EmbeddedKafkaConfig kafka();

    /**
     * Describes the in-process broker. These keys are read twice: by {@link EmbeddedKafkaConfigSourceFactory},
     * before this mapping exists, to start the broker; and through this mapping, which validates them
     * and documents their defaults. The defaults are the constants of {@link EmbeddedKafkaConfigSourceFactory}.
     */
    interface EmbeddedKafkaConfig {

        /**
         * {@code auto} (the default) runs the in-process broker unless {@code kafka.bootstrap.servers} or
         * {@code quarkus.kafka-streams.bootstrap-servers} is set; {@code true} always runs it and points
         * the clients at it; {@code false} never runs it.
         */
        @WithDefault(EmbeddedKafkaConfigSourceFactory.DEFAULT_MODE)
        EmbeddedMode embedded();

        /** Port of the broker's loopback listener; 0 picks a free port at each start. */
        @WithDefault(EmbeddedKafkaConfigSourceFactory.DEFAULT_PORT)
        int port();

        /**
         * Directory of the broker's logs and metadata, kept across restarts. When absent, a temporary
         * directory is used and deleted on shutdown: every start begins with empty topics.
         */
        Optional<Path> dataDir();

        /** Partitions of the service's topics when the embedded broker creates them. */
        @WithDefault(EmbeddedKafkaConfigSourceFactory.DEFAULT_PARTITIONS)
        int partitions();
    }

    /** When the in-process broker runs. */
    enum EmbeddedMode {
        AUTO, TRUE, FALSE
    }
}
