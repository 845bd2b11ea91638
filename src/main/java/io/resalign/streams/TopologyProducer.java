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
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * Wires the service's Kafka Streams topology, two stages (docs/architecture.md):
 *
 * <ol>
 *   <li>the analysis stage ({@link AnalysisProcessor}), on every partition of {@link Topics#INFERENCE_SAMPLES}
 *       whatever the producer's key: decode, micro-batch, engine; the feature rows of each analysed part
 *       go keyed by model version through the internal topic {@code <application.id>-feature-rows-repartition};
 *       bad records go to {@link Topics#INFERENCE_SAMPLES_DLQ};</li>
 *   <li>the monitor stage ({@link MonitorProcessor}), on the partitions of that topic: one task owns each
 *       model version's monitor (windows, reference, drift test) and sends its reports to
 *       {@link Topics#ALIGNMENT_REPORTS}.</li>
 * </ol>
 *
 * Every Serde is explicit; keys and values of the samples stay bytes so that a dead letter is the
 * original record.
 */
@ApplicationScoped
public class TopologyProducer {
    /** The source node reading the samples topic. */
    public static final String SOURCE = "samples-source";
    /** The node that decodes, batches and analyses. */
    public static final String ANALYSIS = "analysis";
    /** The node that holds the monitors. */
    public static final String MONITOR = "monitor";
    /** The name of the feature-row topic (Kafka Streams prefixes the application id and appends {@code -repartition}). */
    public static final String FEATURE_ROWS = "feature-rows";
    /** The node that keeps each rejected record of the analysis stage within the size bound on its way to the sink ({@link DeadLetterBound}). */
    public static final String DLQ_BOUND = "dead-letter-bound";
    /** The sink of rejected records of the analysis stage. */
    public static final String DLQ_SINK = "dead-letter-sink";
    /** The sink of reports. */
    public static final String REPORTS_SINK = "reports-sink";
    /**
     * The store of an analysis task: the records whose samples wait for their batch ({@link PendingRecord}).
     * Named for its history: before the monitor stage, the monitors lived here too (records an older
     * build left are read as pending records or ignored). One store, hence one changelog partition per task;
     * not cached, so that the changelog gets the writes in the order they are made.
     */
    public static final String ANALYSIS_STORE = "model-monitors";
    /**
     * The store of a monitor task: per model version a head under {@code model:version}, the reference
     * in chunks and the last window ({@link MonitorRecords}), whose order a crash keeps (docs/kafka.md,
     * "Delivery guarantees"); not cached.
     */
    public static final String MONITOR_STORE = "monitors";
    /** The commit counter of an analysis task ({@link CommitEpochs}); no data, no changelog. */
    public static final String COMMIT_EPOCHS = "commit-epochs";
    /**
     * The store in which earlier builds kept the records whose samples wait for their batch. They
     * are kept in the analysis store now ({@link PendingRecord}); this one stays registered so that its
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
        // one budget for the replica's tasks: together they may take the configured share of engine time
        EngineBudget budget = new EngineBudget(settings.engineShare(), registry::engineNanos);
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ANALYSIS_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LEGACY_PENDING_STORE), Serdes.ByteArray(),
                Serdes.ByteArray()).withCachingDisabled());
        builder.addStateStore(CommitEpochs.builder(COMMIT_EPOCHS));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MONITOR_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled());

        KStream<Object, Emitted> analysed = builder.stream(Topics.INFERENCE_SAMPLES,
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE))
                .process(() -> new AnalysisProcessor(registry, engine, decoder, metrics, budget, settings), Named.as(ANALYSIS),
                        ANALYSIS_STORE, LEGACY_PENDING_STORE, COMMIT_EPOCHS);
        deadLetters(analysed, "", metrics, dlqMaxRecordBytes);

        KStream<Object, Emitted> monitored = analysed
                .filter((k, v) -> v instanceof Emitted.Rows || v instanceof Emitted.Transfer, Named.as("rows"))
                .map((k, v) -> KeyValue.pair((String) k, v.bytes()), Named.as("row-bytes"))
                .repartition(Repartitioned.<String, byte[]>as(FEATURE_ROWS).withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray()))
                .process(() -> new MonitorProcessor(registry, metrics, board, settings), Named.as(MONITOR), MONITOR_STORE);
        monitored.filter((k, v) -> v instanceof Emitted.Report, Named.as("reports"))
                .map((k, v) -> KeyValue.pair((String) k, v.bytes()), Named.as("report-bytes"))
                .to(Topics.ALIGNMENT_REPORTS, Produced.with(Serdes.String(), Serdes.ByteArray()).withName(REPORTS_SINK));
        deadLetters(monitored, "monitor-", metrics, dlqMaxRecordBytes);
        return builder.build();
    }

    /** Sends a stage's dead letters, each kept within the size bound, to the dead-letter topic. */
    private static void deadLetters(KStream<Object, Emitted> out, String prefix, ResalignMetrics metrics, int dlqMaxRecordBytes) {
        out.filter((k, v) -> v instanceof Emitted.DeadLetter, Named.as(prefix + "dead-letters"))
                .mapValues(Emitted::bytes, Named.as(prefix + "dead-letter-bytes"))
                .process(() -> new DeadLetterBound(dlqMaxRecordBytes, metrics.streamFailures()), Named.as(prefix + DLQ_BOUND))
                .to(Topics.INFERENCE_SAMPLES_DLQ, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(prefix + DLQ_SINK));
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
