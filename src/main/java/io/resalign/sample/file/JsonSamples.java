package io.resalign.sample.file;

import io.resalign.sample.RejectedException;
import io.resalign.sample.TensorJson;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Parses samples one at a time from a JSON token stream (made by {@link TensorJson#parser}, so
 * with its depth limit and its refusal of duplicate keys) and checks that they all have the same
 * shape. A sample is a number, a nested array of numbers (its nesting gives its shape), or an
 * Open Inference Protocol tensor object {@code {"shape": [...], "data": [...]}} whose
 * {@code shape} is the shape of that one sample. Tensor objects are read by {@link TensorJson},
 * as the service reads a record's input tensor: their datatype and values are checked then.
 * Nested arrays are walked token by token here, so that errors name their line and column.
 */
final class JsonSamples {

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

    /**
     * Wraps a Jackson syntax error into an {@link InputFormatException} naming its position, or
     * the sample being read when Jackson knows none (a document nested too deep).
     */
    InputFormatException syntaxError(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String where = loc != null ? position(loc) : lines ? "line " + lineNumber : "sample " + count;
        return new InputFormatException(file, where, "invalid JSON: " + TensorJson.reason(e), e);
    }

    InputFormatException error(JsonParser p, String detail) {
        return error(p.currentTokenLocation(), detail);
    }

    private InputFormatException error(JsonLocation at, String detail) {
        return new InputFormatException(file, position(at), detail);
    }

    private String position(JsonLocation loc) {
        if (lines) {
            return "line " + lineNumber + ", column " + loc.getColumnNr();
        }
        return "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    // ---- nested arrays: the nesting gives the shape ----

    private void nested(JsonParser p) throws IOException {
        // The parser refuses documents nested deeper than MAX_DEPTH, so no sample has more axes.
        long[] dims = new long[TensorJson.MAX_DEPTH];
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
        int depth = leaf >= 0 ? leaf : TensorJson.MAX_DEPTH;
        for (int i = 0; i < depth && (leaf >= 0 || dims[i] >= 0); i++) {
            parts.add(dims[i] >= 0 ? String.valueOf(dims[i]) : "?");
        }
        return parts + " so far";
    }

    // ---- Open Inference Protocol tensor objects ----

    private void tensor(JsonParser p) throws IOException {
        // Errors name where the sample starts: once read as a tree, its tokens have no position.
        JsonLocation start = p.currentTokenLocation();
        JsonNode node = TensorJson.readTree(p);
        // The protocol defines only these keys. A record may carry others (a model server's body passes as
        // it is), but a file is written for resalign: another key here is a typo, such as "dta".
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext();) {
            String key = keys.next();
            if (!TensorJson.KEYS.contains(key)) {
                throw error(start, "sample " + count + " has unknown key '" + key + "'; expected "
                        + "\"shape\" and \"data\" (optional \"name\", \"datatype\", \"parameters\")");
            }
        }
        TensorJson.Tensor tensor;
        try {
            tensor = TensorJson.SAMPLE.read(node, "sample " + count);
        } catch (RejectedException e) {
            throw error(start, e.getMessage());
        }
        if (shape == null) {
            shape = tensor.shape();
        } else if (!Arrays.equals(shape, tensor.shape())) {
            throw error(start, "sample " + count + " has shape " + Shapes.format(tensor.shape()) + ", expected "
                    + Shapes.format(shape) + " like sample 0; all samples must have the same shape");
        }
        values.addAll(tensor.values());
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
