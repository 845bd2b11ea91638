package io.resalign.service;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * Holds what resalign says about one closed window of one model version: the window, a summary of
 * every feature in it, the reference it was tested against, the alignment drift decision with the
 * blocks and features that moved most, the output drift decision (entropy and confidence of the
 * predictions), the engine's device and, when the records carried them, the served predictions and
 * labels. It is the value of the {@code alignment-reports} topic; the JSON form
 * ({@link #toJson()}, snake_case, NaN written as {@code null}) is the contract in docs/reports.md.
 *
 * @param schemaVersion version of this JSON schema, {@link #SCHEMA_VERSION}
 * @param model model name
 * @param version model version
 * @param window which samples the window holds
 * @param features summary of every feature, in the model's feature schema order
 * @param reference the reference the window was tested against
 * @param drift the alignment decision (every feature but the output features)
 * @param engineDevice device label of the engine ({@code cpu}, {@code gpu0})
 * @param output served predictions and labels in the window; null when no record carried either
 * @param outputDrift the output decision over the output features; null in reports written before it existed
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"schema_version", "model", "version", "window", "reference", "drift", "output_drift", "features", "engine_device",
    "output"})
public record AlignmentReport(
        int schemaVersion,
        String model,
        String version,
        Window window,
        List<FeatureStatistics> features,
        Reference reference,
        Drift drift,
        String engineDevice,
        OutputContext output,
        OutputDrift outputDrift) {

    /** The schema version this build writes. */
    public static final int SCHEMA_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.INDENT_OUTPUT, false);

    /** Checks that the required parts are present. */
    public AlignmentReport {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(window, "window");
        features = List.copyOf(features);
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(drift, "drift");
        Objects.requireNonNull(engineDevice, "engineDevice");
    }

    /**
     * Describes the samples of a window: event-time bounds and the model version's sample ordinals.
     *
     * @param startTime earliest sample timestamp, epoch ms
     * @param endTime latest sample timestamp, epoch ms
     * @param firstSample ordinal of the window's first sample among the model version's samples (0-based, reference included)
     * @param lastSample ordinal of the window's last sample (inclusive)
     * @param sampleCount samples in the window
     * @param size configured window size, samples
     * @param advance configured window advance, samples
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Window(long startTime, long endTime, long firstSample, long lastSample, int sampleCount, int size, int advance) {}

    /**
     * Summarises one feature over the window: the defined values and how many were undefined.
     *
     * @param feature feature name ({@code line_shape}, {@code block:<block>:sigma1}, ...)
     * @param block the feature's block; null for a per-sample feature
     * @param count defined values
     * @param nanCount undefined values
     * @param mean mean of the defined values; null when there are none
     * @param p50 median (type 7 interpolation); null when there are none
     * @param p90 90th percentile
     * @param p99 99th percentile
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record FeatureStatistics(String feature, String block, int count, int nanCount, Double mean, Double p50, Double p90,
            Double p99) {}

    /**
     * Describes the reference profile.
     *
     * @param source {@code first_samples} or {@code pinned_window}
     * @param createdAt creation time, epoch ms (event time of the N-th sample, or the pin's wall-clock time)
     * @param sampleCount samples in the reference
     * @param ageSeconds window end minus creation time, seconds
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Reference(String source, long createdAt, int sampleCount, double ageSeconds) {}

    /**
     * Holds the drift decision and its localisation.
     *
     * @param statistic combined statistic (max |z| by default); null when no feature could be tested
     * @param threshold calibrated threshold for this window size
     * @param pValue bootstrap p-value
     * @param alarm 1 when the statistic exceeds the threshold, else 0
     * @param falseAlarmRate configured per-window false-alarm rate
     * @param combiner {@code max_abs} or {@code sum_of_squares}
     * @param testedFeatures features with enough defined values in window and reference
     * @param topBlocks the blocks that moved most, largest score first (at most {@link #TOP})
     * @param topFeatures the features that moved most, largest |z| first (at most {@link #TOP})
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Drift(Double statistic, Double threshold, double pValue, int alarm, double falseAlarmRate, String combiner,
            int testedFeatures, List<BlockScore> topBlocks, List<FeatureScore> topFeatures) {

        /** How many blocks and features a report lists. */
        public static final int TOP = 5;

        /** Copies the lists. */
        public Drift {
            topBlocks = List.copyOf(topBlocks);
            topFeatures = List.copyOf(topFeatures);
        }
    }

    /**
     * Holds the output drift decision: the same test as {@link Drift} over the output features
     * ({@code output_entropy}, {@code output_confidence}) only, with its own calibrated threshold.
     *
     * @param statistic combined statistic of the output features; null for a schema without them
     * @param threshold its calibrated threshold for this window size; null for a schema without output features
     * @param pValue bootstrap p-value; null for a schema without output features
     * @param alarm 1 when the statistic exceeds the threshold, else 0
     * @param falseAlarmRate configured per-window false-alarm rate (the same as the alignment decision's)
     * @param testedFeatures output features with enough defined values in window and reference
     * @param features the output features, largest |z| first
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record OutputDrift(Double statistic, Double threshold, Double pValue, int alarm, double falseAlarmRate, int testedFeatures,
            List<OutputFeatureScore> features) {

        /** Copies the features. */
        public OutputDrift {
            features = List.copyOf(features);
        }
    }

    /**
     * Scores one output feature.
     *
     * @param feature feature name ({@code output_entropy} or {@code output_confidence})
     * @param z standardised normal-score shift, window minus reference; null when not tested
     * @param windowMean mean in the window
     * @param referenceMean mean in the reference
     * @param shiftInReferenceSd (window mean - reference mean) / reference standard deviation
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record OutputFeatureScore(String feature, Double z, Double windowMean, Double referenceMean, Double shiftInReferenceSd) {}

    /**
     * Scores one block: the largest |z| among its features.
     *
     * @param block block name
     * @param score max |z| over its tested features; null when none was tested
     * @param topFeature its feature with the largest |z|
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BlockScore(String block, Double score, String topFeature) {}

    /**
     * Scores one feature.
     *
     * @param feature feature name
     * @param block its block; null for a per-sample feature
     * @param z standardised normal-score shift, window minus reference; null when not tested
     * @param windowMean mean in the window
     * @param referenceMean mean in the reference
     * @param shiftInReferenceSd (window mean - reference mean) / reference standard deviation
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record FeatureScore(String feature, String block, Double z, Double windowMean, Double referenceMean,
            Double shiftInReferenceSd) {}

    /**
     * Compares the engine's replayed predictions with what the records said.
     *
     * @param servedCount samples whose record carried the served prediction
     * @param servedAgreement share of those where the engine's argmax equals the served class
     *     (below 1: the replay does not reproduce the server, e.g. other weights or preprocessing)
     * @param labelledCount samples whose record carried a label
     * @param accuracy share of labelled samples the engine's argmax gets right
     * @param servedAccuracy share of samples with both where the served class equals the label
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record OutputContext(int servedCount, Double servedAgreement, int labelledCount, Double accuracy, Double servedAccuracy) {}

    /** Returns the value as JSON will carry it: null for NaN and infinities. */
    static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    /** Returns the compact JSON form. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns the indented JSON form, for people and docs. */
    public String toPrettyJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns the JSON form as UTF-8 bytes (the Kafka record value). */
    public byte[] toJsonBytes() {
        return toJson().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a report from its JSON form; unknown fields are ignored so that older readers accept
     * newer reports of the same schema version.
     *
     * @throws IllegalArgumentException when the JSON is not a report
     */
    public static AlignmentReport fromJson(String json) {
        try {
            return JSON.readValue(json, AlignmentReport.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an alignment report: " + e.getMessage(), e);
        }
    }

    /** Reads a report from UTF-8 JSON bytes. */
    public static AlignmentReport fromJson(byte[] json) {
        return fromJson(new String(json, StandardCharsets.UTF_8));
    }
}
