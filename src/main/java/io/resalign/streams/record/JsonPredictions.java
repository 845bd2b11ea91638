package io.resalign.streams.record;

import io.resalign.sample.ModelSpec;
import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;
import io.resalign.sample.ServedPrediction;
import io.resalign.sample.TensorJson;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the optional served prediction and label of the JSON form. {@code prediction} is per
 * sample (a class index or C logits; a list of B of those for a batch); {@code outputs} is the
 * Open Inference Protocol response's output tensor, holding B class indices or B x C logits.
 */
final class JsonPredictions {
    private JsonPredictions() {
    }

    static ServedPrediction[] read(JsonNode root, int batch, ModelSpec spec) throws RejectedException {
        JsonNode prediction = root.get("prediction");
        if (prediction != null && !prediction.isNull()) {
            return perSample(prediction, batch, spec);
        }
        JsonNode outputs = root.get("outputs");
        if (outputs != null && !outputs.isNull()) {
            return outputs(outputs, batch, spec);
        }
        return null;
    }

    private static ServedPrediction[] perSample(JsonNode node, int batch, ModelSpec spec) throws RejectedException {
        ServedPrediction[] out = new ServedPrediction[batch];
        if (batch == 1 && !(node.isArray() && node.size() == 1 && !node.get(0).isNumber())) {
            out[0] = one(node, spec, "prediction");
            return out;
        }
        if (!node.isArray() || node.size() != batch) {
            throw new RejectedException(RejectReason.INVALID_PREDICTION, "prediction is "
                    + (node.isArray() ? "a list of " + node.size() : "a " + TensorJson.kind(node))
                    + "; expected a list of " + batch + " entries (one per sample of the batch), each a class index or "
                    + spec.numClasses() + " logits");
        }
        for (int i = 0; i < batch; i++) {
            JsonNode p = node.get(i);
            out[i] = p.isNull() ? null : one(p, spec, "prediction[" + i + "]");
        }
        return out;
    }

    private static ServedPrediction one(JsonNode p, ModelSpec spec, String field) throws RejectedException {
        if (p.isNumber()) {
            return new ServedPrediction.ClassIndex(SampleContext.classIndex(p.doubleValue(), spec, RejectReason.INVALID_PREDICTION, field));
        }
        if (p.isArray()) {
            float[] logits = new float[p.size()];
            for (int i = 0; i < logits.length; i++) {
                if (!p.get(i).isNumber()) {
                    throw new RejectedException(RejectReason.INVALID_PREDICTION, field + "[" + i + "] is a "
                            + TensorJson.kind(p.get(i)) + "; expected " + spec.numClasses() + " numeric logits");
                }
                logits[i] = (float) p.get(i).doubleValue();
            }
            return SampleContext.logits(logits, spec, field);
        }
        throw new RejectedException(RejectReason.INVALID_PREDICTION, field + " is a " + TensorJson.kind(p)
                + "; expected a class index in [0, " + spec.numClasses() + ") or " + spec.numClasses() + " logits");
    }

    private static ServedPrediction[] outputs(JsonNode outputs, int batch, ModelSpec spec) throws RejectedException {
        if (!outputs.isArray() || outputs.isEmpty() || !outputs.get(0).isObject()) {
            throw new RejectedException(RejectReason.INVALID_PREDICTION, "outputs is not a list of output tensors; expected "
                    + "[{\"name\", \"shape\", \"datatype\", \"data\"}] as in an Open Inference Protocol response");
        }
        JsonNode data = outputs.get(0).get("data");
        if (data == null || !data.isArray()) {
            throw new RejectedException(RejectReason.INVALID_PREDICTION, "outputs[0].data is missing or not a list; expected "
                    + batch + " class indices or " + batch + " x " + spec.numClasses() + " logits");
        }
        List<Double> values = new ArrayList<>();
        flatten(data, values, 0, (long) batch * spec.numClasses());
        ServedPrediction[] out = new ServedPrediction[batch];
        if (values.size() == batch) {
            for (int i = 0; i < batch; i++) {
                out[i] = new ServedPrediction.ClassIndex(SampleContext.classIndex(values.get(i), spec,
                        RejectReason.INVALID_PREDICTION, "outputs[0].data[" + i + "]"));
            }
        } else if (values.size() == batch * spec.numClasses()) {
            int c = spec.numClasses();
            for (int i = 0; i < batch; i++) {
                float[] logits = new float[c];
                for (int j = 0; j < c; j++) {
                    logits[j] = values.get(i * c + j).floatValue();
                }
                out[i] = SampleContext.logits(logits, spec, "outputs[0].data (sample " + i + ")");
            }
        } else {
            throw new RejectedException(RejectReason.INVALID_PREDICTION, "outputs[0].data has " + values.size()
                    + " values; expected " + batch + " class indices or " + batch + " x " + spec.numClasses() + " logits");
        }
        return out;
    }

    private static void flatten(JsonNode node, List<Double> out, int depth, long max) throws RejectedException {
        for (JsonNode v : node) {
            if (out.size() > max) {
                return;
            }
            if (v.isArray() && depth < 8) {
                flatten(v, out, depth + 1, max);
            } else if (v.isNumber()) {
                out.add(v.doubleValue());
            } else {
                throw new RejectedException(RejectReason.INVALID_PREDICTION, "outputs[0].data holds a " + TensorJson.kind(v)
                        + "; expected numbers (class indices or logits)");
            }
        }
    }

    static Integer[] labels(JsonNode node, int batch, ModelSpec spec) throws RejectedException {
        if (node == null || node.isNull()) {
            return null;
        }
        Integer[] out = new Integer[batch];
        if (node.isArray()) {
            if (node.size() != batch) {
                throw new RejectedException(RejectReason.INVALID_LABEL, "label is a list of " + node.size()
                        + "; expected " + batch + " class indices in [0, " + spec.numClasses() + "), one per sample");
            }
            for (int i = 0; i < batch; i++) {
                out[i] = node.get(i).isNull() ? null : label(node.get(i), spec, "label[" + i + "]");
            }
            return out;
        }
        if (batch != 1) {
            throw new RejectedException(RejectReason.INVALID_LABEL, "label is a single value for a batch of " + batch
                    + "; expected a list of " + batch + " class indices in [0, " + spec.numClasses() + ")");
        }
        out[0] = label(node, spec, "label");
        return out;
    }

    private static int label(JsonNode n, ModelSpec spec, String field) throws RejectedException {
        if (!n.isNumber()) {
            throw new RejectedException(RejectReason.INVALID_LABEL, field + " is a " + TensorJson.kind(n) + " ("
                    + RejectedException.shorten(n.toString()) + "); expected an integer class index in [0, " + spec.numClasses() + ")");
        }
        return SampleContext.classIndex(n.doubleValue(), spec, RejectReason.INVALID_LABEL, field);
    }
}
