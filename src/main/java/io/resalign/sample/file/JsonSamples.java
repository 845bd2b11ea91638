package io.resalign.sample.file;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Parses samples one at a time from a JSON token stream and checks that they all have the same
 * shape. A sample is a number, a nested array of numbers (its nesting gives its shape), or a
 * KServe V2 style tensor object {@code {"shape": [...], "data": [...]}} whose {@code shape} is
 * the shape of that one sample.
 */
final class JsonSamples {

    /** A factory that also accepts {@code NaN} and {@code Infinity}, which the engine rejects later. */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private static final int MAX_DEPTH = 32;
    private static final Set<String> TENSOR_KEYS = Set.of("name", "shape", "datatype", "parameters", "data");
    private static final Set<String> NUMERIC_DATATYPES = Set.of("UINT8", "UINT16", "UINT32", "UINT64",
            "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BF16");

    private final Path file;
    private final boolean lines;
    private final FloatAccumulator values = new FloatAccumulator();
    private long[] shape;
    private String firstKind;
    private int count;
    private int lineNumber;

    /**
     * Creates a parser for the samples of {@code file}.
     *
     * @param lines whether the file is JSON Lines (positions then name the file's line)
     */
    JsonSamples(Path file, boolean lines) {
        this.file = file;
        this.lines = lines;
    }

    /** Sets the line of a JSON Lines file that the next sample is on. */
    void atLine(int line) {
        this.lineNumber = line;
    }

    /** Parses the sample whose first token is the current token of {@code p}. */
    void sample(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        String kind = t == JsonToken.START_OBJECT ? "tensor object" : t == JsonToken.START_ARRAY ? "array" : "number";
        if (firstKind == null) {
            firstKind = kind;
        } else if (!firstKind.equals(kind)) {
            throw error(p, "sample " + count + " is a " + kind + " but sample 0 is a " + firstKind
                    + "; all samples must have the same form");
        }
        if (t == JsonToken.START_OBJECT) {
            tensor(p);
        } else {
            nested(p);
        }
        count++;
    }

    /** Returns the samples parsed so far as a batch, failing when there are none. */
    SampleBatch batch() throws InputFormatException {
        if (count == 0) {
            throw new InputFormatException(file, null, "contains no samples");
        }
        return new SampleBatch(values.toArray(), shape, file);
    }

    /** Wraps a Jackson syntax error into an {@link InputFormatException} naming its position. */
    InputFormatException syntaxError(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String where = loc == null ? null : position(loc);
        return new InputFormatException(file, where, "invalid JSON: " + e.getOriginalMessage(), e);
    }

    InputFormatException error(JsonParser p, String detail) {
        return new InputFormatException(file, position(p.currentTokenLocation()), detail);
    }

    private String position(JsonLocation loc) {
        if (lines) {
            return "line " + lineNumber + ", column " + loc.getColumnNr();
        }
        return "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    // ---- nested arrays: the nesting gives the shape ----

    private void nested(JsonParser p) throws IOException {
        long[] dims = new long[MAX_DEPTH];
        int leaf;
        if (shape == null) {
            Arrays.fill(dims, -1);
            leaf = -1;
        } else {
            System.arraycopy(shape, 0, dims, 0, shape.length);
            leaf = shape.length;
        }
        leaf = node(p, 0, dims, leaf);
        if (shape == null) {
            shape = Arrays.copyOf(dims, leaf);
        }
    }

    /** Parses the node at the current token; returns the depth of the numbers. */
    private int node(JsonParser p, int depth, long[] dims, int leaf) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.START_ARRAY) {
            if (leaf >= 0 && depth != leaf) {
                throw error(p, "ragged array: sample " + count + " has a " + describe(p) + " at depth " + depth
                        + " where an array was expected (sample shape " + expectedShape(dims, leaf) + ")");
            }
            values.add(number(p));
            return depth;
        }
        if (leaf >= 0 && depth == leaf) {
            throw error(p, "ragged array: sample " + count + " has an array at depth " + depth
                    + " where a number was expected (sample shape " + expectedShape(dims, leaf) + ")");
        }
        if (depth + 1 >= MAX_DEPTH) {
            throw error(p, "arrays nested deeper than " + MAX_DEPTH + " levels");
        }
        long n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() == null) {
                throw error(p, "truncated: the file ends inside sample " + count);
            }
            if (dims[depth] >= 0 && n == dims[depth]) {
                throw error(p, "ragged array: sample " + count + " axis " + depth + " has more than " + dims[depth]
                        + " entries, expected " + dims[depth] + " (sample shape " + expectedShape(dims, leaf) + ")");
            }
            leaf = node(p, depth + 1, dims, leaf);
            n++;
        }
        if (n == 0) {
            throw error(p, "sample " + count + " has an empty array at axis " + depth
                    + "; every axis needs at least one entry");
        }
        if (dims[depth] >= 0 && n != dims[depth]) {
            throw error(p, "ragged array: sample " + count + " axis " + depth + " has " + n + " entries, expected "
                    + dims[depth] + " (sample shape " + expectedShape(dims, leaf) + ")");
        }
        dims[depth] = n;
        return leaf;
    }

    private String expectedShape(long[] dims, int leaf) {
        if (shape != null) {
            return Shapes.format(shape) + " from sample 0";
        }
        List<String> parts = new ArrayList<>();
        int depth = leaf >= 0 ? leaf : MAX_DEPTH;
        for (int i = 0; i < depth && (leaf >= 0 || dims[i] >= 0); i++) {
            parts.add(dims[i] >= 0 ? String.valueOf(dims[i]) : "?");
        }
        return parts + " so far";
    }

    // ---- KServe V2 style tensor objects ----

    private void tensor(JsonParser p) throws IOException {
        long[] tensorShape = null;
        int before = values.size();
        boolean sawData = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (!TENSOR_KEYS.contains(key)) {
                throw error(p, "sample " + count + " has unknown key '" + key + "'; expected "
                        + "\"shape\" and \"data\" (optional \"name\", \"datatype\", \"parameters\")");
            }
            JsonToken value = p.nextToken();
            switch (key) {
                case "shape":
                    tensorShape = shapeArray(p);
                    break;
                case "data":
                    if (value != JsonToken.START_ARRAY) {
                        throw error(p, "sample " + count + " \"data\" must be an array of numbers, found " + describe(p));
                    }
                    flatten(p);
                    sawData = true;
                    break;
                case "datatype":
                    if (value != JsonToken.VALUE_STRING || !NUMERIC_DATATYPES.contains(p.getText())) {
                        throw error(p, "sample " + count + " has datatype " + describe(p)
                                + "; expected a numeric one of " + new java.util.TreeSet<>(NUMERIC_DATATYPES));
                    }
                    break;
                default:
                    p.skipChildren();
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw error(p, "truncated: the file ends inside sample " + count);
        }
        if (tensorShape == null || !sawData) {
            throw error(p, "sample " + count + " lacks \"" + (tensorShape == null ? "shape" : "data")
                    + "\"; a tensor object needs both \"shape\" and \"data\"");
        }
        long expected = Shapes.elementCount(tensorShape);
        int found = values.size() - before;
        if (found != expected) {
            throw error(p, "sample " + count + " has " + found + " values, expected " + expected
                    + " (shape " + Shapes.format(tensorShape) + ")");
        }
        if (shape == null) {
            shape = tensorShape;
        } else if (!Arrays.equals(shape, tensorShape)) {
            throw error(p, "sample " + count + " has shape " + Shapes.format(tensorShape) + ", expected "
                    + Shapes.format(shape) + " like sample 0; all samples must have the same shape");
        }
    }

    private long[] shapeArray(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw error(p, "sample " + count + " \"shape\" must be an array of positive integers, found " + describe(p));
        }
        List<Long> dims = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getLongValue() <= 0) {
                throw error(p, "sample " + count + " \"shape\" must be an array of positive integers, found "
                        + describe(p));
            }
            dims.add(p.getLongValue());
        }
        long[] s = dims.stream().mapToLong(Long::longValue).toArray();
        long n = Shapes.elementCount(s);
        if (n < 0 || n > Shapes.MAX_ELEMENTS) {
            throw error(p, "sample " + count + " \"shape\" " + Shapes.format(s) + " has too many values");
        }
        return s;
    }

    private void flatten(JsonParser p) throws IOException {
        int depth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw error(p, "truncated: the file ends inside sample " + count);
            } else if (t == JsonToken.START_ARRAY) {
                depth++;
            } else if (t == JsonToken.END_ARRAY) {
                depth--;
            } else {
                values.add(number(p));
            }
        }
    }

    // ---- numbers ----

    private float number(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            throw error(p, "sample " + count + ": expected a number, found " + describe(p));
        }
        double v = p.getDoubleValue();
        float f = (float) v;
        if (Float.isInfinite(f) && !Double.isInfinite(v)) {
            throw error(p, "sample " + count + ": value " + p.getText() + " is outside the float range (about 3.4e38)");
        }
        return f;
    }

    private static String describe(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            return "the end of the input";
        }
        switch (t) {
            case START_ARRAY: return "an array";
            case START_OBJECT: return "an object";
            case VALUE_STRING: return "the string \"" + p.getText() + "\"";
            case VALUE_NULL: return "null";
            case VALUE_TRUE: case VALUE_FALSE: return p.getText();
            default: return p.getText() == null ? t.toString() : "'" + p.getText() + "'";
        }
    }
}
