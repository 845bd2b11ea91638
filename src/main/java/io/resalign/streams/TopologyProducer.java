package io.resalign.streams;

import io.resalign.config.Topics;

import io.resalign.config.ResalignConfig;
import io.resalign.drift.Combiner;
import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.EngineBudget;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorRecords;
import io.resalign.streams.record.DeadLetters;
import io.resalign.streams.record.SampleDecoder;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Wires the service's Kafka Streams topology: sample records from {@link Topics#INFERENCE_SAMPLES}
 * through the {@link AlignmentProcessor} (with its monitor and pending-sample stores) to {@link Topics#ALIGNMENT_REPORTS},
 * bad records to {@link Topics#INFERENCE_SAMPLES_DLQ}. Every Serde is explicit; keys and values
 * of the samples stay bytes so that a dead letter is the original record.
 */
@ApplicationScoped
public class TopologyProducer {
    /** The source node reading the samples topic. */
    public static final String SOURCE = "samples-source";
    /** The node that decodes, batches, analyses and monitors. */
    public static final String PROCESSOR = "alignment";
    /** The node that keeps each rejected record within the size bound on its way to the sink ({@link DeadLetterBound}). */
    public static final String DLQ_BOUND = "dead-letter-bound";
    /** The sink of rejected records. */
    public static final String DLQ_SINK = "dead-letter-sink";
    /** The sink of reports. */
    public static final String REPORTS_SINK = "reports-sink";
    /**
     * The key-value store of the task's state: per model version a head under {@code model:version},
     * the reference in chunks and the last window ({@link MonitorRecords}), and the records whose
     * samples wait for their batch ({@link PendingRecord}). One store, hence one changelog partition
     * per task, whose order a crash keeps (docs/kafka.md, "Delivery guarantees"); not cached, so that
     * the changelog gets the writes in the order they are made.
     */
    public static final String MONITOR_STORE = "model-monitors";
    /**
     * The store in which earlier builds kept the records whose samples wait for their batch. They
     * are kept in the monitor store now ({@link PendingRecord}); this one stays registered so that its
     * changelog is restored once more and its records are moved over ({@link PendingSamples}), and is
     * empty afterwards.
     */
    public static final String LEGACY_PENDING_STORE = "pending-samples";

    @Produces
    public Topology buildTopology(ModelRegistry registry, ResalignMetrics metrics, MonitorBoard board, ResalignConfig config) {
        return topology(registry, metrics, board, settings(config), config.streams().dlqMaxRecordBytes());
    }

    /** Builds the topology from its parts with the default dead-letter bound (also for the TopologyTestDriver tests). */
    static Topology topology(ModelRegistry registry, ResalignMetrics metrics, MonitorBoard board, ProcessorSettings settings) {
        return topology(registry, metrics, board, settings, Integer.parseInt(ResalignConfig.StreamsFailureConfig.DEFAULT_DLQ_MAX_RECORD_BYTES));
    }

    /** Builds the topology from its parts; dead letters are kept within {@code dlqMaxRecordBytes}. */
    static Topology topology(ModelRegistry registry, ResalignMetrics metrics, MonitorBoard board, ProcessorSettings settings,
            int dlqMaxRecordBytes) {
        return topology(registry, registry::analyse, metrics, board, settings, dlqMaxRecordBytes);
    }

    /**
     * Builds the topology with batches analysed by {@code engine} instead of the registry's engines:
     * for the tests of failing batches, which wrap {@code registry::analyse}.
     */
    static Topology topology(ModelRegistry registry, BatchAnalysis.Engine engine, ResalignMetrics metrics, MonitorBoard board,
            ProcessorSettings settings) {
        return topology(registry, engine, metrics, board, settings,
                Integer.parseInt(ResalignConfig.StreamsFailureConfig.DEFAULT_DLQ_MAX_RECORD_BYTES));
    }

    private static Topology topology(ModelRegistry registry, BatchAnalysis.Engine engine, ResalignMetrics metrics, MonitorBoard board,
            ProcessorSettings settings, int dlqMaxRecordBytes) {
        DeadLetters.requireBound(dlqMaxRecordBytes); // at start, naming the setting
        // at start, not at the first sample: a window too large for one store record would fail every batch
        // (every model version that does not fit is named at once, so one restart fixes them all)
        List<String> tooLarge = new ArrayList<>();
        for (ModelVersion mv : registry.loaded()) {
            try {
                MonitorRecords.requireBounded(mv, registry.schema(mv), settings.drift());
            } catch (IllegalArgumentException e) {
                tooLarge.add(e.getMessage());
            }
        }
        if (!tooLarge.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", tooLarge));
        }
        SampleDecoder decoder = new SampleDecoder(registry.catalog());
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), Topics.INFERENCE_SAMPLES);
        // one budget for the replica's tasks: together they may take the configured share of engine time
        EngineBudget budget = new EngineBudget(settings.engineShare(), registry::engineNanos);
        topology.addProcessor(PROCESSOR, () -> new AlignmentProcessor(registry, engine, decoder, metrics, board, budget, settings), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MONITOR_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled(), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LEGACY_PENDING_STORE), Serdes.ByteArray(),
                Serdes.ByteArray()).withCachingDisabled(), PROCESSOR);
        topology.addProcessor(DLQ_BOUND, () -> new DeadLetterBound(dlqMaxRecordBytes, metrics.streamFailures()), PROCESSOR);
        topology.addSink(DLQ_SINK, Topics.INFERENCE_SAMPLES_DLQ, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(),
                DLQ_BOUND);
        topology.addSink(REPORTS_SINK, Topics.ALIGNMENT_REPORTS, Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                PROCESSOR);
        return topology;
    }

    /** Reads the processor settings from the configuration. */
    static ProcessorSettings settings(ResalignConfig config) {
        ResalignConfig.BatchConfig b = config.batch();
        return new ProcessorSettings(b.size(), b.maxWaitMs(), b.rateLimit(), b.engineShare(), b.maxEngineSeconds(),
                b.maxPendingRecordBytes(), driftSettings(config));
    }

    /** Returns the drift settings the service's monitors run with under {@code config}. */
    public static DriftSettings driftSettings(ResalignConfig config) {
        ResalignConfig.DriftConfig d = config.drift();
        DriftSettings defaults = DriftSettings.defaults();
        return new DriftSettings(d.windowSize(), d.windowAdvance(), d.referenceSize(), d.falseAlarmRate(),
                d.bootstrapReplicates(), Math.min(defaults.minDefinedValues(), Math.min(d.windowSize(), d.referenceSize())),
                Combiner.MAX_ABS, defaults.seed());
    }
}
