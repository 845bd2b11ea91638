package io.resalign.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.resalign.drift.ModelVersion;
import io.resalign.service.AlignmentReport;
import io.resalign.service.ModelStatus;
import io.resalign.service.MonitorGauges;
import io.resalign.sample.RejectReason;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Names every meter the service exports (docs/metrics.md is the list operators read; a test keeps
 * both equal). Prefix {@code resalign_}, base units, {@code _total} on counters (Micrometer's
 * Prometheus naming adds the suffix and the unit), labels only from the bounded set {@code model},
 * {@code version}, {@code block}, {@code position}, {@code stage}, {@code kind}, {@code reason}, {@code feature},
 * {@code device}.
 *
 * <p>Counters are incremented by the stream threads; the monitor gauges read the latest
 * {@link MonitorGauges} a stream task published, so a scrape never touches a monitor, and exist
 * only while a task of this instance holds the monitor ({@link #publish} to {@link #retire}).
 */
@Singleton
public class ResalignMetrics {
    public static final String RECORDS_IN = "resalign.records.in";
    public static final String RECORDS_REJECTED = "resalign.records.rejected";
    public static final String SAMPLES_IN = "resalign.samples.in";
    public static final String SAMPLES_PROCESSED = "resalign.samples.processed";
    public static final String SAMPLES_SKIPPED = "resalign.samples.skipped";
    public static final String SAMPLES_FAILED = "resalign.samples.failed";
    public static final String ANALYSIS_FAILURES = "resalign.analysis.failures";
    public static final String CONSECUTIVE_FAILED_BATCHES = "resalign.consecutive.failed.batches";
    public static final String REPORTS = "resalign.reports";
    public static final String DRIFT_ALARMS = "resalign.drift.alarms";
    public static final String OUTPUT_DRIFT_ALARMS = "resalign.output.drift.alarms";
    public static final String BATCH_DURATION = "resalign.batch.duration";
    public static final String BATCH_PENDING = "resalign.batch.pending.samples";
    public static final String SAMPLE_LATENCY = "resalign.sample.latency";
    public static final String ENGINE_DEVICE = "resalign.engine.device";
    public static final String MODEL_LOADED = "resalign.model.loaded";
    public static final String MODEL_CLASSES = "resalign.model.classes";
    public static final String BLOCK_INFO = "resalign.block.info";
    public static final String WINDOW_FEATURE_MEAN = "resalign.window.feature.mean";
    public static final String WINDOW_BLOCK_FEATURE_MEAN = "resalign.window.block.feature.mean";
    public static final String REFERENCE_FEATURE_MEAN = "resalign.reference.feature.mean";
    public static final String REFERENCE_FEATURE_BAND_LOW = "resalign.reference.feature.band.low";
    public static final String REFERENCE_FEATURE_BAND_HIGH = "resalign.reference.feature.band.high";
    public static final String REFERENCE_BLOCK_FEATURE_MEAN = "resalign.reference.block.feature.mean";
    public static final String REFERENCE_BLOCK_FEATURE_BAND_LOW = "resalign.reference.block.feature.band.low";
    public static final String REFERENCE_BLOCK_FEATURE_BAND_HIGH = "resalign.reference.block.feature.band.high";
    public static final String DRIFT_STATISTIC = "resalign.drift.statistic";
    public static final String DRIFT_THRESHOLD = "resalign.drift.threshold";
    public static final String DRIFT_DECISION = "resalign.drift.decision";
    public static final String OUTPUT_DRIFT_STATISTIC = "resalign.output.drift.statistic";
    public static final String OUTPUT_DRIFT_THRESHOLD = "resalign.output.drift.threshold";
    public static final String OUTPUT_DRIFT_DECISION = "resalign.output.drift.decision";
    public static final String REFERENCE_AGE = "resalign.reference.age";
    public static final String REFERENCE_SAMPLES = "resalign.reference.samples";
    public static final String REFERENCE_COLLECTING = "resalign.reference.collecting";
    public static final String STREAM_THREAD_REPLACEMENTS = "resalign.stream.thread.replacements";
    public static final String DLQ_TRUNCATED = "resalign.dlq.truncated";
    public static final String DLQ_SEND_FAILURES = "resalign.dlq.send.failures";
    public static final String KAFKA_BROKER_REACHABLE = "resalign.kafka.broker.reachable";
    public static final String KAFKA_BROKER_OUTAGES = "resalign.kafka.broker.outages";
    public static final String KAFKA_BROKER_UNREACHABLE_SECONDS = "resalign.kafka.broker.unreachable.seconds";

    /**
     * Upper bounds of the sample latency histogram, seconds: fixed buckets rather than Micrometer's
     * percentile histogram (about 70 buckets over the same range), with a bound at the 2 s latency
     * target and at the usual alert thresholds, so that a "fraction under X" query is exact
     * (docs/metrics.md).
     */
    static final double[] LATENCY_BUCKETS_SECONDS = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

    private final MeterRegistry registry;
    private final Counter recordsIn;
    private final StreamFailureMeters streamFailures;
    private final BrokerMeters broker;
    private final Map<RejectReason, Counter> rejected = new ConcurrentHashMap<>();
    private final Map<ModelVersion, ModelVersionMeters> models = new ConcurrentHashMap<>();
    private final ModelGauges modelGauges;

    /** Creates the meters that exist before any traffic. */
    @Inject
    public ResalignMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.modelGauges = new ModelGauges(registry);
        this.recordsIn = counter(RECORDS_IN, "Records read from the samples topic", Tags.empty());
        this.streamFailures = new StreamFailureMeters(registry);
        this.broker = new BrokerMeters(registry);
    }

    private Counter counter(String name, String help, Tags tags) {
        return Counter.builder(name).description(help).tags(tags).register(registry);
    }

    private ModelVersionMeters of(ModelVersion mv) {
        return models.computeIfAbsent(mv, mv0 -> new ModelVersionMeters(registry, mv0));
    }

    /** Exports the engine device and one 0/1 gauge per model directory found. */
    public void modelsLoaded(String device, List<ModelStatus> statuses) {
        Gauge.builder(ENGINE_DEVICE, () -> 1).description("1, labelled with the device the engines run on")
                .tags("device", device).register(registry);
        statuses.forEach(this::modelStatus);
    }

    /**
     * Exports a model directory's state after an attempt to load it (at start, or a retry):
     * {@code resalign_model_loaded} 1 or 0 under the model version it declares, and for a loaded one
     * its classes and blocks ({@link ModelGauges}).
     */
    public void modelStatus(ModelStatus s) {
        modelGauges.status(s);
        if (s.loaded()) {
            of(new ModelVersion(s.model(), s.version()));
        }
    }

    /** Counts a record read from the samples topic. */
    public void recordIn() {
        recordsIn.increment();
    }

    /** Counts a record sent to the dead-letter topic by the decoder. */
    public void rejected(RejectReason reason) {
        rejected.computeIfAbsent(reason, r -> counter(RECORDS_REJECTED, "Records sent to the dead-letter topic, by reason",
                Tags.of("reason", r.code()))).increment();
    }

    /** Returns the meters of stream threads that died and of dead letters cut or not taken. */
    public StreamFailureMeters streamFailures() {
        return streamFailures;
    }

    /** Returns the meters of the Kafka cluster's reachability. */
    public BrokerMeters broker() {
        return broker;
    }

    /** Counts samples decoded for a model version. */
    public void samplesIn(ModelVersion mv, int count) {
        of(mv).in.increment(count);
    }

    /** Counts a sample the rate limit skipped. */
    public void skipped(ModelVersion mv) {
        of(mv).skipped.increment();
    }

    /** Records a batch analysed in {@code nanos}; it ends any run of failed batches of the model version. */
    public void batchDone(ModelVersion mv, int samples, long nanos) {
        ModelVersionMeters m = of(mv);
        m.processed.increment(samples);
        m.batch.record(Duration.ofNanos(nanos));
        m.failedInARow.set(0);
    }

    /**
     * Records the sample-to-metric latency of samples a monitor just took: from each one's event time
     * (epoch ms; its payload's timestamp, else its record's) to {@code nowMillis}, 0 for a time in the
     * future (clock skew), so that {@code _count} stays the number of samples applied.
     */
    public void rowsApplied(ModelVersion mv, long[] timestamps, long nowMillis) {
        Timer latency = of(mv).latency;
        for (long t : timestamps) {
            latency.record(Duration.ofMillis(Math.max(0, nowMillis - t)));
        }
    }

    /** Counts a batch of which no sample passed and its samples, and lengthens the model version's run of failed batches. */
    public void batchFailed(ModelVersion mv, int samples) {
        ModelVersionMeters m = of(mv);
        m.failures.increment();
        m.failedSamples.increment(samples);
        m.failedInARow.incrementAndGet();
    }

    /**
     * Records a batch analysed in {@code nanos} whose analysis failed for {@code failed} of its samples
     * (isolated by bisection) while {@code applied} passed: a failed batch, and its failed samples, but
     * not one that lengthens the run of failed batches, which it ends as {@link #batchDone} does.
     */
    public void batchPartlyFailed(ModelVersion mv, int applied, int failed, long nanos) {
        ModelVersionMeters m = of(mv);
        m.processed.increment(applied);
        m.batch.record(Duration.ofNanos(nanos));
        m.failures.increment();
        m.failedSamples.increment(failed);
        m.failedInARow.set(0);
    }

    /**
     * Returns how many batches of a model version failed in a row, up to now (0 when samples of the
     * last one passed, or none ran): the stream processor reports every batch's outcome here
     * ({@link #batchDone}, {@link #batchPartlyFailed}, {@link #batchFailed}), whether the engine or the
     * monitor failed it, and readiness reads it (docs/kafka.md, "Health").
     */
    public int consecutiveFailedBatches(ModelVersion mv) {
        ModelVersionMeters m = models.get(mv);
        return m == null ? 0 : m.failedInARow.get();
    }

    /**
     * Counts a report written and its alarms: every flagged window counts, also when several close
     * between two scrapes, which the decision gauges (the latest window only) cannot show.
     */
    public void report(ModelVersion mv, AlignmentReport report) {
        ModelVersionMeters m = of(mv);
        m.reports.increment();
        if (report.drift().alarm() == 1) {
            m.driftAlarms.increment();
        }
        if (report.outputDrift() != null && report.outputDrift().alarm() == 1) {
            m.outputDriftAlarms.increment();
        }
    }

    /** Adds {@code delta} to the samples the stream tasks hold for a model version's next batch. */
    public void pending(ModelVersion mv, int delta) {
        of(mv).pending.addAndGet(delta);
    }

    /**
     * Publishes a monitor's latest values, from the task that holds the monitor: its gauges
     * (drift, reference, per-feature window and reference) read them from now on, and are
     * registered if they are not (the first publication on this instance, or the first after
     * {@link #retire}).
     */
    public void publish(MonitorGauges gauges) {
        of(new ModelVersion(gauges.model(), gauges.version())).publish(gauges);
    }

    /**
     * Removes a model version's monitor gauges from the registry, once no task of this instance
     * holds its monitor (the task closed or moved away): the next scrape has none of its drift,
     * reference and feature series from this instance, rather than values frozen at the task's
     * last publication. The counts of this instance's work on it (counters, histograms, pending
     * samples, failed batches in a row) stay. Does nothing when they are not registered; a later
     * {@link #publish} registers them again. Safe to call from a stream thread while a scrape runs.
     */
    public void retire(ModelVersion mv) {
        ModelVersionMeters m = models.get(mv);
        if (m != null) {
            m.retire();
        }
    }
}
