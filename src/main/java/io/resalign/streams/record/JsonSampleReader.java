package io.resalign.streams.record;

import io.resalign.sample.Datatype;
import io.resalign.sample.ModelSpec;
import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;
import io.resalign.sample.SampleRecord;
import io.resalign.sample.ServedPrediction;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads the JSON form: an Open Inference Protocol inference request with the model's name and
 * version, an optional timestamp, served prediction and label (docs/sample-format.md).
 */
final class JsonSampleReader {
    private static final int MAX_DEPTH = 64;
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    // Python's json.dumps writes NaN and Infinity bare; read them to reject them by name.
                    .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonSampleReader() {
    }

    static List<SampleRecord> read(byte[] value, boolean cloudEvent, SampleContext ctx) throws RejectedException {
        JsonNode root = parse(value);
        String ceId = null;
        String ceTime = null;
        String ceService = null;
        if (cloudEvent) {
            requireObject(root, "(CloudEvent)");
            ceId = optionalText(root, "id", "id");
            ceTime = optionalText(root, "time", "time");
            ceService = optionalText(root, "inferenceservicename", "inferenceservicename");
            root = root.get("data");
            if (root == null || root.isNull()) {
                throw new RejectedException(RejectReason.MISSING_FIELD,
                        "data is missing from the CloudEvent; expected the inference request as the event's data");
            }
        }
        requireObject(root, "(root)");

        String name = optionalText(root, "model_name", "model_name");
        String version = root.path("model_version").isNumber() && root.get("model_version").isIntegralNumber()
                ? root.get("model_version").asText() : optionalText(root, "model_version", "model_version");
        ModelSpec spec = ctx.model(name != null ? name : ceService, "model_name", version, "model_version");
        String payloadId = optionalText(root, "id", "id");
        String id = ctx.id(payloadId != null ? payloadId : ceId, "id");
        long timestamp = ctx.timestamp(timestamp(root.get("timestamp"), ceTime));

        JsonNode inputs = root.get("inputs");
        if (inputs == null || inputs.isNull()) {
            String hint = SampleHeaders.text(ctx.headers, SampleHeaders.CE_TYPE).filter(t -> t.endsWith(".response"))
                    .map(t -> " (this is a " + t + " event: configure the payload logger with mode: request)").orElse("");
            throw new RejectedException(RejectReason.MISSING_FIELD, "inputs is missing; expected a list with one input tensor" + hint);
        }
        if (!inputs.isArray()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, "inputs is a " + kind(inputs) + "; expected a list with one input tensor");
        }
        if (inputs.isEmpty()) {
            throw new RejectedException(RejectReason.MISSING_FIELD, "inputs is empty; expected a list with one input tensor");
        }
        if (inputs.size() > 1) {
            throw new RejectedException(RejectReason.MULTIPLE_INPUTS, "inputs has " + inputs.size()
                    + " tensors; expected exactly one (the models resalign watches take one input)");
        }
        JsonNode input = inputs.get(0);
        requireObject(input, "inputs[0]");

        Datatype dt = datatype(input.get("datatype"), "inputs[0].datatype");
        long[] shape = shape(input.get("shape"), "inputs[0].shape");
        int batch = ctx.batch(shape, spec, "inputs[0].shape");
        JsonNode data = input.get("data");
        if (data == null || data.isNull()) {
            throw new RejectedException(RejectReason.MISSING_FIELD, "inputs[0].data is missing; expected the tensor's values");
        }
        if (!data.isArray()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, "inputs[0].data is a " + kind(data)
                    + "; expected an array of numbers, flat or nested (for raw bytes use the binary form)");
        }
        float[] values = new float[Math.toIntExact(batch * spec.sampleSize())];
        new DataWalk(values, shape, dt).walk(data);

        ServedPrediction[] predictions = JsonPredictions.read(root, batch, spec);
        Integer[] labels = JsonPredictions.labels(root.get("label"), batch, spec);
        return SampleContext.split(spec, id, timestamp, values, batch, predictions, labels);
    }

    private static JsonNode parse(byte[] value) throws RejectedException {
        try {
            JsonNode root = JSON.readTree(value);
            if (root == null || root.isMissingNode()) {
                throw new RejectedException(RejectReason.MALFORMED_JSON, "the value holds no JSON; expected a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new RejectedException(RejectReason.MALFORMED_JSON, "the value is not valid JSON" + where + ": "
                    + RejectedException.shorten(String.valueOf(e.getOriginalMessage())) + "; expected a JSON object (or set header "
                    + SampleHeaders.CONTENT_TYPE + ": " + SampleHeaders.BINARY_CONTENT_TYPE + " for the binary form)");
        } catch (IOException e) {
            throw new RejectedException(RejectReason.MALFORMED_JSON, "the value cannot be read as JSON: " + e.getMessage());
        }
    }

    static void requireObject(JsonNode node, String field) throws RejectedException {
        if (!node.isObject()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, field + " is a " + kind(node) + "; expected a JSON object");
        }
    }

    private static String optionalText(JsonNode root, String key, String field) throws RejectedException {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual() || n.asText().isBlank()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, field + " is " + (n.isTextual() ? "blank" : "a " + kind(n))
                    + "; expected a non-empty string");
        }
        return n.asText();
    }

    private static Long timestamp(JsonNode n, String ceTime) throws RejectedException {
        if (n == null || n.isNull()) {
            return ceTime == null ? null : SampleContext.parseTimestamp(ceTime, "time");
        }
        if (n.isTextual()) {
            return SampleContext.parseTimestamp(n.asText(), "timestamp");
        }
        if (n.isIntegralNumber() && n.canConvertToLong() && n.asLong() >= 0) {
            return n.asLong();
        }
        throw new RejectedException(RejectReason.INVALID_TIMESTAMP, "timestamp is " + RejectedException.shorten(n.toString())
                + "; expected epoch milliseconds (a non-negative integer) or an RFC 3339 instant such as 2026-11-27T10:15:30.123Z");
    }

    static Datatype datatype(JsonNode n, String field) throws RejectedException {
        if (n == null || n.isNull()) {
            throw new RejectedException(RejectReason.MISSING_FIELD, field + " is missing; expected one of " + Datatype.supportedNames());
        }
        if (!n.isTextual()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, field + " is a " + kind(n) + "; expected one of " + Datatype.supportedNames());
        }
        return datatype(n.asText(), field);
    }

    static Datatype datatype(String text, String field) throws RejectedException {
        Datatype dt = Datatype.parse(text).orElseThrow(() -> new RejectedException(RejectReason.UNSUPPORTED_DATATYPE,
                field + " '" + RejectedException.shorten(text) + "' is not supported; expected one of " + Datatype.supportedNames()
                        + (Datatype.parse(text.toUpperCase(Locale.ROOT)).isPresent() ? " (datatypes are upper case)" : "")));
        if (dt == Datatype.BYTES) {
            throw new RejectedException(RejectReason.BYTES_DATATYPE, field + " is BYTES; expected a numeric datatype such as "
                    + "FP32 or UINT8: strings and encoded images cannot be replayed (decode images before sending)");
        }
        return dt;
    }

    private static long[] shape(JsonNode n, String field) throws RejectedException {
        if (n == null || n.isNull()) {
            throw new RejectedException(RejectReason.MISSING_FIELD, field + " is missing; expected the tensor's shape with the batch size first, e.g. [1, 28, 28]");
        }
        if (!n.isArray()) {
            throw new RejectedException(RejectReason.INVALID_SHAPE, field + " is a " + kind(n) + "; expected a list of positive integers");
        }
        long[] shape = new long[n.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = n.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong()) {
                throw new RejectedException(RejectReason.INVALID_SHAPE, field + "[" + i + "] is " + RejectedException.shorten(d.toString())
                        + "; expected a positive integer");
            }
            shape[i] = d.asLong();
        }
        SampleContext.checkDims(shape, field);
        return shape;
    }

    static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "list";
            case OBJECT -> "object";
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case NULL -> "null";
            default -> n.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /** Reads a number node (or a boolean, for BOOL) as a double; rejects everything else. */
    static double number(JsonNode v, Datatype dt, String field, long index) throws RejectedException {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isBoolean() && dt == Datatype.BOOL) {
            return v.booleanValue() ? 1 : 0;
        }
        if (v.isTextual()) {
            String t = v.asText().trim().toLowerCase(Locale.ROOT);
            if (List.of("nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity").contains(t)) {
                throw new RejectedException(RejectReason.NON_FINITE_VALUE, field + " value " + index + " is \"" + v.asText()
                        + "\"; expected finite numbers only");
            }
        }
        throw new RejectedException(RejectReason.NON_NUMERIC_VALUE, field + " value " + index + " is a " + kind(v) + " ("
                + RejectedException.shorten(v.toString()) + "); expected " + (dt == Datatype.BOOL ? "true or false" : "a number")
                + " (datatype " + dt + ")");
    }

    /**
     * Flattens {@code data} row-major into {@code out}: flat (a list of numbers of length
     * prod(shape)) or nested exactly as the shape says.
     */
    private static final class DataWalk {
        private static final String FIELD = "inputs[0].data";
        private final float[] out;
        private final long[] shape;
        private final Datatype dt;
        private int n;

        DataWalk(float[] out, long[] shape, Datatype dt) {
            this.out = out;
            this.shape = shape;
            this.dt = dt;
        }

        void walk(JsonNode data) throws RejectedException {
            boolean nested = !data.isEmpty() && data.get(0).isArray();
            if (nested) {
                nested(data, 0);
            } else {
                for (JsonNode v : data) {
                    if (v.isArray()) {
                        throw mismatch("is ragged: a list at value " + n + " of a flat list");
                    }
                    add(v);
                }
            }
            if (n != out.length) {
                throw mismatch("has " + n + " values");
            }
        }

        private void nested(JsonNode node, int depth) throws RejectedException {
            if (depth >= shape.length || node.size() != shape[depth]) {
                throw mismatch("is nested differently: axis " + depth + " has "
                        + (depth >= shape.length ? "an extra level" : node.size() + " entries where the shape says " + shape[depth]));
            }
            for (JsonNode child : node) {
                if (depth == shape.length - 1) {
                    if (child.isArray()) {
                        throw mismatch("is nested deeper than the shape's " + shape.length + " axes");
                    }
                    add(child);
                } else if (!child.isArray()) {
                    throw mismatch("is ragged: a " + kind(child) + " at axis " + (depth + 1) + " where a list was expected");
                } else {
                    nested(child, depth + 1);
                }
            }
        }

        private void add(JsonNode v) throws RejectedException {
            if (n >= out.length) {
                throw mismatch("has more than " + out.length + " values");
            }
            out[n] = SampleContext.value(number(v, dt, FIELD, n), dt, FIELD, n);
            n++;
        }

        private RejectedException mismatch(String what) {
            return new RejectedException(RejectReason.DATA_LENGTH_MISMATCH, FIELD + " " + what + "; expected "
                    + out.length + " values for shape " + Arrays.toString(shape) + ", flat (row-major) or nested as the shape");
        }
    }
}
