package io.resalign.streams.record;

import io.resalign.sample.ModelCatalog;
import io.resalign.sample.ModelSpec;
import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;
import io.resalign.sample.SampleRecord;
import io.resalign.sample.ServedPrediction;
import io.resalign.sample.TensorJson;

import static io.resalign.sample.RejectedException.show;
import static io.resalign.sample.RejectedException.shorten;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedSet;
import org.apache.kafka.common.header.Headers;

/**
 * Carries one Kafka record's coordinates and the rules that both forms share: fall-backs for
 * model, version, id and time, the batch rule against the model's input shape, the size limits
 * and the split of a batch into samples. The rules of the tensor itself (datatype, dimensions,
 * values) are {@link TensorJson}'s.
 */
final class SampleContext {
    final String topic;
    final int partition;
    final long offset;
    final long recordTimestamp;
    final Headers headers;
    private final ModelCatalog catalog;
    private final SampleDecoder.Limits limits;
    private final Clock clock;

    SampleContext(String topic, int partition, long offset, long recordTimestamp, Headers headers,
            ModelCatalog catalog, SampleDecoder.Limits limits, Clock clock) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.recordTimestamp = recordTimestamp;
        this.headers = headers;
        this.catalog = catalog;
        this.limits = limits;
        this.clock = clock;
    }

    // ---- model and version ----

    /**
     * Resolves the model: the payload's name, else header {@code resalign.model}, else KServe's
     * {@code ce_inferenceservicename}; the payload's version, else header
     * {@code resalign.version}, else the model's only version.
     */
    ModelSpec model(String name, String nameField, String version, String versionField) throws RejectedException {
        // The binary form names its fields by header: a missing one is a missing header.
        RejectReason missing = nameField.startsWith("header ") ? RejectReason.MISSING_HEADER : RejectReason.MISSING_FIELD;
        if (name == null) {
            name = SampleHeaders.text(headers, SampleHeaders.MODEL)
                    .or(() -> lenientText(SampleHeaders.CE_INFERENCE_SERVICE))
                    .orElseThrow(() -> new RejectedException(missing, nameField
                            + " is missing; expected the model name (one of " + catalog.names() + "), in the record or in header "
                            + SampleHeaders.MODEL));
        }
        SortedSet<String> versions = catalog.versions(name);
        if (versions.isEmpty()) {
            throw new RejectedException(RejectReason.UNKNOWN_MODEL, nameField + " '" + shorten(name)
                    + "' is not a known model; expected one of " + catalog.names());
        }
        if (version == null) {
            Optional<String> header = SampleHeaders.text(headers, SampleHeaders.VERSION);
            if (header.isPresent()) {
                version = header.get();
            } else if (versions.size() == 1) {
                version = versions.first();
            } else {
                throw new RejectedException(missing, versionField + " is missing and model '" + name
                        + "' has several versions; expected one of " + versions);
            }
        }
        String v = version;
        String n = name;
        return catalog.find(name, version).orElseThrow(() -> new RejectedException(RejectReason.UNKNOWN_VERSION,
                versionField + " '" + shorten(v) + "' is not a known version of model '" + n + "'; expected one of " + versions));
    }

    private Optional<String> lenientText(String header) {
        try {
            return SampleHeaders.text(headers, header);
        } catch (RejectedException e) {
            return Optional.empty();
        }
    }

    // ---- id and timestamp ----

    /** Returns the payload's id, else header {@code resalign.id}, else {@code ce_id}, else topic-partition@offset. */
    String id(String payloadId, String field) throws RejectedException {
        String id = payloadId;
        if (id == null) {
            id = SampleHeaders.text(headers, SampleHeaders.ID).or(() -> lenientText(SampleHeaders.CE_ID)).orElse(null);
        }
        if (id == null) {
            return topic + "-" + partition + "@" + offset;
        }
        if (id.isBlank() || id.length() > limits.maxIdLength()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, field + " has " + id.length()
                    + " characters; expected a non-blank id of at most " + limits.maxIdLength());
        }
        return id;
    }

    /**
     * Returns the payload's time, else header {@code resalign.timestamp}, else {@code ce_time},
     * else the Kafka record's timestamp, else (no timestamp at all) the wall clock.
     */
    long timestamp(Long payload) throws RejectedException {
        if (payload != null) {
            return payload;
        }
        Optional<String> header = SampleHeaders.text(headers, SampleHeaders.TIMESTAMP);
        if (header.isPresent()) {
            return parseTimestamp(header.get(), "header " + SampleHeaders.TIMESTAMP);
        }
        Optional<String> ce = SampleHeaders.text(headers, SampleHeaders.CE_TIME);
        if (ce.isPresent()) {
            return parseTimestamp(ce.get(), "header " + SampleHeaders.CE_TIME);
        }
        return recordTimestamp >= 0 ? recordTimestamp : clock.millis();
    }

    /** Parses epoch milliseconds or an RFC 3339 instant. */
    static long parseTimestamp(String text, String field) throws RejectedException {
        String expected = "; expected epoch milliseconds (a non-negative integer) or an RFC 3339 instant such as 2026-11-27T10:15:30.123Z";
        if (!text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new RejectedException(RejectReason.INVALID_TIMESTAMP, field + " '" + shorten(text) + "' is out of range" + expected);
            }
        }
        try {
            long ms = Instant.parse(text).toEpochMilli();
            if (ms < 0) {
                throw new RejectedException(RejectReason.INVALID_TIMESTAMP, field + " '" + text + "' is before 1970" + expected);
            }
            return ms;
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new RejectedException(RejectReason.INVALID_TIMESTAMP, field + " '" + shorten(text) + "' cannot be read" + expected);
        }
    }

    // ---- batch and size ----

    /**
     * Returns the batch size B for which the declared shape holds B samples of the model's
     * input shape, and checks the size limits. The first axis is the batch axis; a shape that
     * is exactly one sample (no batch axis) is a batch of one. Axes of size 1 may be added or
     * left out; anything else (flattening, transposing) is a mismatch.
     */
    int batch(long[] shape, ModelSpec spec, String field) throws RejectedException {
        TensorJson.REQUEST_INPUT.checkDims(shape, field);
        long[] sample = spec.sampleShape();
        long b;
        if (Arrays.equals(squeeze(Arrays.copyOfRange(shape, 1, shape.length)), squeeze(sample))) {
            b = shape[0];
        } else if (Arrays.equals(squeeze(shape), squeeze(sample))) {
            b = 1;
        } else {
            throw new RejectedException(RejectReason.SHAPE_MISMATCH, field + " " + Arrays.toString(shape)
                    + " does not fit model " + spec.name() + ":" + spec.version() + "; expected [batch] + input.shape "
                    + Arrays.toString(sample) + ", e.g. " + Arrays.toString(withBatch(suggestedBatch(shape, spec), sample))
                    + "; axes of size 1 may be omitted" + reshapeHint(shape, spec));
        }
        long limit = Math.min(spec.maxElements(), limits.maxElements());
        if (b > limit / spec.sampleSize()) {
            throw new RejectedException(RejectReason.TENSOR_TOO_LARGE, field + " " + Arrays.toString(shape) + " holds "
                    + b + " samples of " + spec.sampleSize() + " values; expected at most " + limit
                    + " values per record for " + spec.name() + ":" + spec.version() + " (" + limit / spec.sampleSize() + " samples)");
        }
        return (int) b;
    }

    /**
     * Returns the batch size to suggest for a shape that does not fit: the number of samples its
     * values make when their count is a whole number of samples (a flat [784] on [1, 28, 28] is one
     * sample, not 784), else its first axis when it has several (likely meant as the batch), else 1.
     */
    private static long suggestedBatch(long[] shape, ModelSpec spec) {
        long n = TensorJson.elementCount(shape);
        if (n > 0 && n % spec.sampleSize() == 0) {
            return n / spec.sampleSize();
        }
        return shape.length > 1 ? shape[0] : 1;
    }

    /** Says, when the values are a whole number of samples, how many and which shape to send them in. */
    private static String reshapeHint(long[] shape, ModelSpec spec) {
        long n = TensorJson.elementCount(shape);
        if (n <= 0 || n % spec.sampleSize() != 0) {
            return "";
        }
        long samples = n / spec.sampleSize();
        long[] sample = spec.sampleShape();
        String batched = Arrays.toString(withBatch(samples, sample));
        return samples == 1
                ? " (its " + n + " values are the element count of one sample of input.shape " + Arrays.toString(sample)
                        + ", but values are never reshaped by resalign: send shape " + Arrays.toString(sample) + ", or "
                        + batched + " with the batch axis first)"
                : " (its " + n + " values are the element count of " + samples + " samples of input.shape "
                        + Arrays.toString(sample) + ", but values are never reshaped by resalign: reshape to " + batched
                        + ", batch axis first, before sending)";
    }

    private static long[] withBatch(long batch, long[] sample) {
        long[] out = new long[sample.length + 1];
        out[0] = batch;
        System.arraycopy(sample, 0, out, 1, sample.length);
        return out;
    }

    private static long[] squeeze(long[] shape) {
        return Arrays.stream(shape).filter(d -> d != 1).toArray();
    }

    // ---- labels and predictions ----

    /** Checks a class index against the model's classes. */
    static int classIndex(double v, ModelSpec spec, RejectReason reason, String field) throws RejectedException {
        if (!(v == Math.rint(v) && v >= 0 && v < spec.numClasses())) {
            throw new RejectedException(reason, field + " is " + show(v) + "; expected an integer class index in [0, "
                    + spec.numClasses() + ") of model " + spec.name() + ":" + spec.version());
        }
        return (int) v;
    }

    /** Checks logits: C finite values. */
    static ServedPrediction.Logits logits(float[] values, ModelSpec spec, String field) throws RejectedException {
        if (values.length != spec.numClasses()) {
            throw new RejectedException(RejectReason.INVALID_PREDICTION, field + " has " + values.length
                    + " logits; expected " + spec.numClasses() + " (one per class of " + spec.name() + ":" + spec.version() + ")");
        }
        for (float f : values) {
            if (!Float.isFinite(f)) {
                throw new RejectedException(RejectReason.INVALID_PREDICTION, field + " has a logit " + f + "; expected finite logits");
            }
        }
        return new ServedPrediction.Logits(values);
    }

    /**
     * Splits the batch into samples. A batch of one keeps its id; the samples of a larger batch
     * get the suffix {@code #i}.
     */
    static List<SampleRecord> split(ModelSpec spec, String id, long timestamp, float[] values, int batch,
            ServedPrediction[] predictions, Integer[] labels) {
        int n = (int) spec.sampleSize();
        List<SampleRecord> out = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            float[] data = batch == 1 ? values : Arrays.copyOfRange(values, i * n, (i + 1) * n);
            out.add(new SampleRecord(spec.name(), spec.version(), batch == 1 ? id : id + "#" + i, timestamp, data,
                    spec.sampleShape(), Optional.ofNullable(predictions == null ? null : predictions[i]),
                    labels == null || labels[i] == null ? OptionalInt.empty() : OptionalInt.of(labels[i])));
        }
        return out;
    }
}
