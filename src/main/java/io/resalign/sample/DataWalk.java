package io.resalign.sample;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Flattens the {@code data} of a tensor object row-major into float32 values: flat (a list of
 * prod(shape) values) or nested exactly as the shape says, each value checked against the
 * datatype by {@link TensorJson#value}.
 */
final class DataWalk {
    private static final List<String> NON_FINITE_WORDS = List.of("nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity");

    private final String field;
    private final long[] shape;
    private final int count;
    private final Datatype dt;
    // Grown as values arrive, so that a shape claiming far more values than the data holds costs nothing.
    private float[] out;
    private int n;

    DataWalk(String field, long[] shape, int count, Datatype dt) {
        this.field = field;
        this.shape = shape;
        this.count = count;
        this.dt = dt;
        this.out = new float[Math.min(count, 1024)];
    }

    float[] walk(JsonNode data) throws RejectedException {
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
        if (n != count) {
            throw mismatch("has " + n + " values");
        }
        return out;
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
                throw mismatch("is ragged: a " + TensorJson.kind(child) + " at axis " + (depth + 1) + " where a list was expected");
            } else {
                nested(child, depth + 1);
            }
        }
    }

    private void add(JsonNode v) throws RejectedException {
        if (n >= count) {
            throw mismatch("has more than " + count + " values");
        }
        if (n == out.length) {
            out = Arrays.copyOf(out, (int) Math.min(count, 2L * out.length));
        }
        out[n] = TensorJson.value(number(v), dt, field, n);
        n++;
    }

    /** Reads a number node (or a boolean, for BOOL) as a double; rejects everything else. */
    private double number(JsonNode v) throws RejectedException {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isBoolean() && dt == Datatype.BOOL) {
            return v.booleanValue() ? 1 : 0;
        }
        if (v.isTextual() && NON_FINITE_WORDS.contains(v.asText().trim().toLowerCase(Locale.ROOT))) {
            throw new RejectedException(RejectReason.NON_FINITE_VALUE, field + " value " + n + " is \"" + v.asText()
                    + "\"; expected finite numbers only");
        }
        throw new RejectedException(RejectReason.NON_NUMERIC_VALUE, field + " value " + n + " is a " + TensorJson.kind(v) + " ("
                + RejectedException.shorten(v.toString()) + "); expected " + (dt == Datatype.BOOL ? "true or false" : "a number")
                + " (datatype " + dt + ")");
    }

    private RejectedException mismatch(String what) {
        return new RejectedException(RejectReason.DATA_LENGTH_MISMATCH, field + " " + what + "; expected "
                + count + " values for shape " + Arrays.toString(shape) + ", flat (row-major) or nested as the shape");
    }
}
