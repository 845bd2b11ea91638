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
     * Directory of model directories (each with a {@code manifest.json}), searched at startup; a
     * directory that fails to load is tried again ({@link #modelRetry()}).
     */
    @WithDefault("models")
    Path modelsDir();

    /** How model directories that failed to load are tried again (docs/models.md, "Loading and retries"). */
    ModelRetryConfig modelRetry();

    /** Where the engines run: {@code auto} (the GPU when PyTorch sees one), {@code cpu} or {@code gpu}. */
    @WithDefault("auto")
    String device();

    /** Engine settings shared by every model (docs/engine.md). */
    EngineConfig engine();

    /** Micro-batching in front of the engine, per model version and stream task. */
    BatchConfig batch();

    /** Windows, reference and drift test (docs/drift.md). */
    DriftConfig drift();

    /** The operator REST API (docs/kafka.md, "REST API"). */
    ApiConfig api();

    /** Readiness (docs/kafka.md, "Health"). */
    HealthConfig health();

    /** What the stream threads do when something fails beyond one record (docs/kafka.md, "Failures"). */
    StreamsFailureConfig streams();

    /** Describes the engine options that operators tune. */
    interface EngineConfig {
        /** Singular triplets per block; 0 means the number of classes. */
        @WithDefault("0")
        int k();

        /** Extra sketch columns of the randomized SVD. */
        @WithDefault("10")
        int oversampling();

        /** Power steps of the matrix-free path. */
        @WithDefault("4")
        int powerSteps();
    }

    /** Describes how samples are grouped before the engine sees them. */
    interface BatchConfig {
        /** Samples per engine batch; 1 analyses each record as it arrives (strict at-least-once, docs/kafka.md). */
        @WithDefault("16")
        int size();

        /** Longest wall-clock time the oldest pending sample waits for its batch, milliseconds. */
        @WithDefault("200")
        long maxWaitMs();

        /** Samples per second per model version given to the engine; the rest are skipped and counted. 0 for no limit. */
        @WithDefault("0")
        double rateLimit();

        /**
         * Share of the wall-clock time the engine may work for this replica's model versions together,
         * averaged over a minute and split evenly among the active ones; samples over it are skipped and
         * counted, so a model whose samples cost seconds is sampled rather than falling behind its topic.
         * In [0, 1]; 0 for no limit (docs/kafka.md, "Engine share").
         */
        @WithDefault("0.75")
        double engineShare();

        /**
         * Engine seconds, at a model version's measured cost per sample, at which a batch is analysed
         * before it is full: a model whose samples cost seconds gets smaller batches, and the stream
         * thread returns to its consumer well within {@code max.poll.interval.ms}.
         */
        @WithDefault("20")
        double maxEngineSeconds();

        /**
         * Largest record, in bytes of key, value and headers, kept in the state store while its samples
         * wait for their batch; the batch of a larger record is analysed at once, so that no store
         * record nears the changelog's record size limit (1 MiB by default; docs/kafka.md, "Delivery guarantees").
         */
        @WithDefault(DEFAULT_MAX_PENDING_RECORD_BYTES)
        long maxPendingRecordBytes();

        /** Default of {@link #maxPendingRecordBytes()}: 512 KiB, half of Kafka's default 1 MiB record limit. */
        String DEFAULT_MAX_PENDING_RECORD_BYTES = "524288";

        /** Most samples one record may carry (a V2 request with a batch axis). */
        @WithDefault("64")
        int maxRecordSamples();
    }

    /** Describes windows, reference and test. */
    interface DriftConfig {
        /** Samples per window. */
        @WithDefault("200")
        int windowSize();

        /** Samples between window starts; equal to the size for tumbling windows. */
        @WithDefault("200")
        int windowAdvance();

        /** Samples the first-N reference takes. */
        @WithDefault("2000")
        int referenceSize();

        /** Probability that a window of a stationary stream is flagged. */
        @WithDefault("0.001")
        double falseAlarmRate();

        /** Bootstrap replicates of the threshold calibration; 0 picks max(2,000, 100 / rate). */
        @WithDefault("0")
        int bootstrapReplicates();
    }

    /** Describes the back-off of model directories that failed to load. */
    interface ModelRetryConfig {
        /** Seconds from a directory's first failed load to its next attempt; each further failure doubles the wait. */
        @WithDefault("10")
        long firstDelaySeconds();

        /** Longest wait between two attempts at one directory, seconds. */
        @WithDefault("600")
        long maxDelaySeconds();
    }

    /** Describes when readiness turns DOWN for a model version whose batches keep failing. */
    interface HealthConfig {
        /**
         * Batches in a row of which no sample passed (engine or monitor) after which a model version
         * counts as failing and readiness is DOWN, until samples of one of its batches pass. 5 by
         * default: a bad sample is isolated in its batch (whose other samples pass) and a one-off
         * resource spike fails one batch and the next passes, while a sticky fault (a native error, a
         * device out of memory) fails every batch and reaches 5 within seconds of traffic. 0 never
         * marks a model version failing.
         */
        @WithDefault("5")
        int maxConsecutiveFailedBatches();

        /**
         * Seconds between two probes of the Kafka cluster (an admin {@code describeCluster} with the
         * Kafka Streams client's own connection settings); each probe waits at most this long.
         */
        @WithDefault("5")
        int brokerProbeIntervalSeconds();

        /**
         * Seconds without an answer from the Kafka cluster after which the broker counts as
         * unreachable: readiness DOWN and {@code resalign_kafka_broker_reachable} 0, until the next
         * probe that answers. Three probes by default, so that one slow answer is not an outage.
         */
        @WithDefault("15")
        int brokerUnreachableAfterSeconds();
    }

    /** Describes how the REST API hands commands to the stream tasks. */
    interface ApiConfig {
        /**
         * Milliseconds a reference command (reset, pin) waits for the stream task that holds the
         * monitor to take it; one not taken by then is withdrawn, never applied, and answered 503.
         * The task takes commands between batches, so keep it above {@code resalign.batch.max-engine-seconds}
         * for models whose batches take that long.
         */
        @WithDefault("10000")
        long commandTimeoutMs();
    }

    /**
     * Describes the failure policy of the stream threads and the bound on dead-letter records
     * (docs/kafka.md, "Failures").
     */
    interface StreamsFailureConfig {
        /** Default of {@link #dlqMaxRecordBytes()}: 900 KiB, 124 KiB under Kafka's 1 MiB default request and message limits. */
        String DEFAULT_DLQ_MAX_RECORD_BYTES = "921600";

        /**
         * Stream threads replaced within {@link #threadReplacementWindowSeconds()} before the client
         * shuts down instead: a record that kills its thread every time it is processed would
         * otherwise be replayed and kill the next thread forever. 0 shuts down at the first death.
         */
        @WithDefault("5")
        int maxThreadReplacements();

        /** The window, in seconds, over which {@link #maxThreadReplacements()} counts replacements. */
        @WithDefault("600")
        long threadReplacementWindowSeconds();

        /**
         * Most bytes of one dead-letter record (key, value, and each header's key, value and 10 bytes
         * of framing); a larger one is sent with its value cut to a prefix and headers saying so.
         * Must stay under the producer's {@code max.request.size} and the dead-letter topic's
         * {@code max.message.bytes} (both 1 MiB by default), less Kafka's own framing.
         */
        @WithDefault(DEFAULT_DLQ_MAX_RECORD_BYTES)
        int dlqMaxRecordBytes();
    }

    /**
     * Describes the in-process broker. These keys are read twice: by
     * {@code io.resalign.embedded.EmbeddedKafkaConfigSourceFactory}, before this mapping exists, to
     * start the broker; and through this mapping, which validates them and documents their defaults.
     * Both read the defaults from the constants below.
     */
    interface EmbeddedKafkaConfig {
        /** Default of {@link #embedded()}. */
        String DEFAULT_MODE = "auto";
        /** Default of {@link #port()}. */
        String DEFAULT_PORT = "0";
        /** Default of {@link #partitions()}. */
        String DEFAULT_PARTITIONS = "3";

        /**
         * {@code auto} (the default) runs the in-process broker unless {@code kafka.bootstrap.servers} or
         * {@code quarkus.kafka-streams.bootstrap-servers} is set; {@code true} always runs it and points
         * the clients at it; {@code false} never runs it.
         */
        @WithDefault(DEFAULT_MODE)
        EmbeddedMode embedded();

        /** Port of the broker's loopback listener; 0 picks a free port at each start. */
        @WithDefault(DEFAULT_PORT)
        int port();

        /**
         * Directory of the broker's logs and metadata, kept across restarts. When absent, a temporary
         * directory is used and deleted on shutdown: every start begins with empty topics.
         */
        Optional<Path> dataDir();

        /** Partitions of the service's topics when the embedded broker creates them. */
        @WithDefault(DEFAULT_PARTITIONS)
        int partitions();
    }

    /**
     * Describes the demo traffic: Fashion-MNIST images sent to {@code inference-samples} for the
     * bundled demo model, with a drift schedule ({@code io.resalign.demo.DemoTraffic}).
     */
    interface DemoConfig {
        /** Default of {@link #schedule()}: 2,000 clean, 2,000 with noise sigma 80, repeating. */
        String DEFAULT_SCHEDULE = "clean*2000,noise:sigma=80*2000";

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

        /**
         * Directory of model directories to find the demo model in; unset (the default), the
         * service's own {@code resalign.models-dir}, so the demo feeds a model the service loaded.
         */
        Optional<Path> modelsDir();

        /**
         * Drift schedule: comma-separated phases {@code TRANSFORM[+TRANSFORM...]*COUNT}, transforms
         * {@code clean}, {@code noise:sigma=S}, {@code contrast:F}, {@code brightness:DELTA},
         * {@code rotate:DEGREES}, {@code occlude:SIZE}; repeats unless the last phase has no count (then it lasts forever).
         */
        @WithDefault(DEFAULT_SCHEDULE)
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
