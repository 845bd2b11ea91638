package io.resalign.streams.record;

import io.resalign.sample.Datatype;
import io.resalign.sample.ModelSpec;
import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;
import io.resalign.sample.SampleRecord;
import io.resalign.sample.ServedPrediction;
import io.resalign.sample.TensorJson;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads the binary form: the value is the raw little-endian tensor, row-major, and the headers
 * carry the metadata (docs/sample-format.md).
 */
final class BinarySampleReader {
    private static final String VALUE = "value";

    private BinarySampleReader() {
    }

    static List<SampleRecord> read(byte[] value, SampleContext ctx) throws RejectedException {
        ModelSpec spec = ctx.model(null, "header " + SampleHeaders.MODEL, null, "header " + SampleHeaders.VERSION);
        String id = ctx.id(null, "header " + SampleHeaders.ID);
        long timestamp = ctx.timestamp(null);
        String dtField = "header " + SampleHeaders.DATATYPE;
        Datatype dt = TensorJson.parseDatatype(SampleHeaders.require(ctx.headers, SampleHeaders.DATATYPE,
                "the tensor datatype, one of " + Datatype.supportedNames()), dtField);
        String shapeField = "header " + SampleHeaders.SHAPE;
        long[] shape = shape(SampleHeaders.require(ctx.headers, SampleHeaders.SHAPE,
                "the tensor shape, comma-separated, e.g. 1,28,28"), shapeField);
        int batch = ctx.batch(shape, spec, shapeField);

        long count = batch * spec.sampleSize();
        long bytes = count * dt.size();
        if (value.length < bytes) {
            throw new RejectedException(RejectReason.TRUNCATED_PAYLOAD, "the value has " + value.length + " bytes; expected "
                    + bytes + " (" + count + " " + dt + " values of " + dt.size() + " bytes for " + shapeField + " "
                    + java.util.Arrays.toString(shape) + ")");
        }
        if (value.length > bytes) {
            throw new RejectedException(RejectReason.TRAILING_BYTES, "the value has " + value.length + " bytes; expected exactly "
                    + bytes + " (" + count + " " + dt + " values of " + dt.size() + " bytes for " + shapeField + " "
                    + java.util.Arrays.toString(shape) + ")");
        }
        ByteBuffer buf = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[(int) count];
        for (int i = 0; i < values.length; i++) {
            values[i] = TensorJson.value(dt.read(buf, i), dt, VALUE, i);
        }
        Integer[] labels = classes(ctx, SampleHeaders.LABEL, batch, spec, RejectReason.INVALID_LABEL);
        Integer[] predicted = classes(ctx, SampleHeaders.PREDICTION, batch, spec, RejectReason.INVALID_PREDICTION);
        ServedPrediction[] predictions = null;
        if (predicted != null) {
            predictions = new ServedPrediction[batch];
            for (int i = 0; i < batch; i++) {
                predictions[i] = predicted[i] == null ? null : new ServedPrediction.ClassIndex(predicted[i]);
            }
        }
        return SampleContext.split(spec, id, timestamp, values, batch, predictions, labels);
    }

    /** Parses {@code 1,28,28}; brackets and spaces are tolerated ({@code [1, 28, 28]}). */
    private static long[] shape(String text, String field) throws RejectedException {
        String s = text.strip();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        String[] parts = s.split(",", -1);
        if (parts.length > TensorJson.MAX_RANK) {
            throw new RejectedException(RejectReason.INVALID_SHAPE, field + " has " + parts.length
                    + " dimensions; expected 1 to " + TensorJson.MAX_RANK + " positive integers");
        }
        long[] shape = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                shape[i] = Long.parseLong(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new RejectedException(RejectReason.INVALID_SHAPE, field + " '" + RejectedException.shorten(text)
                        + "' has a non-integer dimension '" + RejectedException.shorten(parts[i].strip())
                        + "'; expected comma-separated positive integers, e.g. 1,28,28");
            }
        }
        TensorJson.REQUEST_INPUT.checkDims(shape, field);
        return shape;
    }

    /** Reads a header of B comma-separated class indices ({@code -} or empty for none), or null when absent. */
    private static Integer[] classes(SampleContext ctx, String header, int batch, ModelSpec spec, RejectReason reason)
            throws RejectedException {
        String text = SampleHeaders.text(ctx.headers, header).orElse(null);
        if (text == null) {
            return null;
        }
        String[] parts = text.split(",", -1);
        if (parts.length != batch) {
            throw new RejectedException(reason, "header " + header + " '" + RejectedException.shorten(text) + "' has "
                    + parts.length + " entries; expected " + batch + " class indices in [0, " + spec.numClasses()
                    + "), comma-separated, one per sample");
        }
        Integer[] out = new Integer[batch];
        for (int i = 0; i < batch; i++) {
            String p = parts[i].strip();
            if (p.isEmpty() || p.equals("-")) {
                continue;
            }
            double v;
            try {
                v = Long.parseLong(p);
            } catch (NumberFormatException e) {
                throw new RejectedException(reason, "header " + header + " entry " + i + " '" + RejectedException.shorten(p)
                        + "' is not an integer; expected a class index in [0, " + spec.numClasses() + ")");
            }
            out[i] = SampleContext.classIndex(v, spec, reason, "header " + header + " entry " + i);
        }
        return out;
    }
}
