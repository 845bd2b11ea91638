package io.resalign.streams.record;

import io.resalign.sample.Datatype;
import io.resalign.sample.ModelSpec;
import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;
import io.resalign.sample.SampleRecord;
import io.resalign.sample.ServedPrediction;
import io.resalign.sample.TensorJson;

import static io.resalign.sample.RejectedException.shorten;
import static io.resalign.sample.TensorJson.kind;
import static io.resalign.sample.TensorJson.requireObject;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;

/**
 * Reads the JSON form: an Open Inference Protocol inference request with the model's name and
 * version, an optional timestamp, served prediction and label (docs/sample-format.md). The
 * input tensor itself is read by {@link TensorJson}, as the CLI reads the tensors of its sample
 * files; this class adds what belongs to a record: the envelope, the headers' fall-backs and the
 * batch against the model.
 */
final class JsonSampleReader {
    private static final String INPUT_NAME = "inputs[0]";

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
        requireObject(input, INPUT_NAME);

        Datatype dt = TensorJson.REQUEST_INPUT.datatype(input.get("datatype"), INPUT_NAME);
        long[] shape = TensorJson.REQUEST_INPUT.shape(input.get("shape"), INPUT_NAME);
        // The batch is checked against the model before the data is read: a record too large is refused unread.
        int batch = ctx.batch(shape, spec, INPUT_NAME + ".shape");
        float[] values = TensorJson.REQUEST_INPUT.data(input.get("data"), shape, dt, INPUT_NAME);

        ServedPrediction[] predictions = JsonPredictions.read(root, batch, spec);
        Integer[] labels = JsonPredictions.labels(root.get("label"), batch, spec);
        return SampleContext.split(spec, id, timestamp, values, batch, predictions, labels);
    }

    private static JsonNode parse(byte[] value) throws RejectedException {
        try {
            JsonNode root = TensorJson.parse(value);
            if (root == null || root.isMissingNode()) {
                throw new RejectedException(RejectReason.MALFORMED_JSON, "the value holds no JSON; expected a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new RejectedException(RejectReason.MALFORMED_JSON, "the value is not valid JSON" + where + ": "
                    + shorten(TensorJson.reason(e)) + "; expected a JSON object (or set header "
                    + SampleHeaders.CONTENT_TYPE + ": " + SampleHeaders.BINARY_CONTENT_TYPE + " for the binary form)");
        } catch (IOException e) {
            throw new RejectedException(RejectReason.MALFORMED_JSON, "the value cannot be read as JSON: " + e.getMessage());
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
        throw new RejectedException(RejectReason.INVALID_TIMESTAMP, "timestamp is " + shorten(n.toString())
                + "; expected epoch milliseconds (a non-negative integer) or an RFC 3339 instant such as 2026-11-27T10:15:30.123Z");
    }
}
