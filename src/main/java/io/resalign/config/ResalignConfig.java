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

    /** The demo traffic producer of the embedded default mode (docs/demo.md). */
    DemoConfig demo();

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

    /**
     * Describes the demo traffic: Fashion-MNIST images sent to {@code inference-samples} for the
     * bundled demo model, with a drift schedule ({@code io.resalign.demo.DemoTraffic}).
     */
    interface DemoConfig {

        /**
         * {@code auto} (the default) sends demo traffic when the embedded broker runs and never to a
         * configured cluster; {@code true} always (also to a configured cluster); {@code false} never.
         */
        @WithDefault("auto")
        DemoMode enabled();

        /** Samples per second. */
        @WithDefault("20")
        double rate();

        /** Name of the model (its manifest's {@code name}) the samples are for. */
        @WithDefault("demo-mlp")
        String model();

        /** Directory of model directories, each with a {@code manifest.json}. */
        @WithDefault("models")
        Path modelsDir();

        /**
         * Drift schedule: comma-separated phases {@code TRANSFORM[+TRANSFORM...]*COUNT}, transforms
         * {@code clean}, {@code noise:sigma=S}, {@code contrast:F}, {@code rotate:DEGREES},
         * {@code occlude:SIZE}; repeats unless the last phase has no count (then it lasts forever).
         */
        @WithDefault(io.resalign.demo.DriftSchedule.DEFAULT)
        String schedule();

        /** Seed of the image order, the noise and the patch positions. */
        @WithDefault("42")
        long seed();

        /**
         * {@code auto}: the Fashion-MNIST test set of Debian's {@code dataset-fashion-mnist} when
         * installed, else the model's bundled {@code samples.npy}; or a samples file (.npy, IDX, ...).
         */
        @WithDefault("auto")
        String data();

        /** Labels file for {@code data}; when absent, found beside it, else samples go without labels. */
        Optional<Path> labels();
    }

    /** When the demo traffic runs. */
    enum DemoMode {
        AUTO, TRUE, FALSE
    }

    /** When the in-process broker runs. */
    enum EmbeddedMode {
        AUTO, TRUE, FALSE
    }
}
