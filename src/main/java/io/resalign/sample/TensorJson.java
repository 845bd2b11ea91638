package io.resalign.sample;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * Reads one Open Inference Protocol (KServe V2) tensor object, {@code {"name", "shape",
 * "datatype", "parameters", "data"}}, from JSON into float32 values, with the rules that the
 * service's sample records and the CLI's sample files share (docs/sample-format.md): the
 * datatype is one of {@link Datatype}'s names and not BYTES; the shape is 1 to 16 positive
 * integers; the data is flat (row-major) or nested exactly as the shape; every value is finite,
 * an integer for integer datatypes, and within its datatype's range. It also owns the JSON
 * reading itself, so both readers refuse the same documents: duplicate keys, trailing tokens,
 * nesting deeper than {@link #MAX_DEPTH}; bare {@code NaN} and {@code Infinity} are read, to be
 * refused by name.
 *
 * <p>Messages name the field ({@code inputs[0].data}, {@code sample 3.shape}) and what was
 * expected.
 */
public final class TensorJson {
    /**
     * The deepest nesting of arrays and objects that a JSON document may have. A tensor needs at
     * most 16 levels for its data and a few for its envelope; the limit keeps a hostile document
     * from costing deep recursion.
     */
    public static final int MAX_DEPTH = 32;
    /** The most axes a shape may have. */
    public static final int MAX_RANK = 16;
    /** The most values one tensor may hold: the largest float array common JVMs allocate. */
    public static final long MAX_VALUES = Integer.MAX_VALUE - 8;
    /** The keys the protocol defines for an inference request's input tensor. */
    public static final Set<String> KEYS = Set.of("name", "shape", "datatype", "parameters", "data");

    /** The input tensor of an inference request: the shape has the batch size first, the datatype is required. */
    public static final TensorJson REQUEST_INPUT = new TensorJson("the batch size first", null,
            " (for raw bytes use the binary form)");
    /** The tensor of one sample in a sample file: the shape is the sample's, the datatype FP32 when absent. */
    public static final TensorJson SAMPLE = new TensorJson("no batch axis", Datatype.FP32, "");

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    // Python's json.dumps writes NaN and Infinity bare; read them to reject them by name.
                    .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    // A value inside a stream is followed by the rest of the stream: that is its reader's to judge.
    private static final ObjectReader VALUE_IN_STREAM = JSON.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final String axes;
    private final Datatype datatypeWhenAbsent;
    private final String rawBytesHint;

    private TensorJson(String axes, Datatype datatypeWhenAbsent, String rawBytesHint) {
        this.axes = axes;
        this.datatypeWhenAbsent = datatypeWhenAbsent;
        this.rawBytesHint = rawBytesHint;
    }

    /**
     * Holds a tensor read from JSON. The arrays are not copied.
     *
     * @param datatype the declared datatype (or the default of a tensor that has none)
     * @param shape the declared shape
     * @param values {@code prod(shape)} float32 values, row-major
     */
    public record Tensor(Datatype datatype, long[] shape, float[] values) {
    }

    // ---- JSON documents ----

    /**
     * Parses a whole JSON document.
     *
     * @return the tree; a missing node when the bytes hold no JSON value
     * @throws JsonProcessingException when the bytes are not one valid JSON value within the rules
     */
    public static JsonNode parse(byte[] json) throws IOException {
        return JSON.readTree(json);
    }

    /** Creates a streaming parser with the same rules, for readers that walk a file token by token. */
    public static JsonParser parser(InputStream in) throws IOException {
        return JSON.createParser(in);
    }

    /** Creates a streaming parser with the same rules over one piece of text (a JSON Lines line). */
    public static JsonParser parser(String json) throws IOException {
        return JSON.createParser(json);
    }

    /**
     * Reads the value that starts at the current token of a parser made by {@link #parser} as a
     * tree; the parser then continues after it.
     */
    public static JsonNode readTree(JsonParser p) throws IOException {
        return VALUE_IN_STREAM.readTree(p);
    }

    /** Returns why a document was refused, in the words of resalign's messages. */
    public static String reason(JsonProcessingException e) {
        String original = String.valueOf(e.getOriginalMessage());
        if (e instanceof StreamConstraintsException && original.contains("nesting depth")) {
            return "arrays and objects are nested deeper than " + MAX_DEPTH + " levels, the most resalign reads";
        }
        return original;
    }

    // ---- one tensor object ----

    /**
     * Reads a tensor object: its datatype, shape and data, in that order.
     *
     * @param node the tensor object
     * @param tensor the tensor's name in messages, e.g. {@code inputs[0]}
     */
    public Tensor read(JsonNode node, String tensor) throws RejectedException {
        requireObject(node, tensor);
        Datatype dt = datatype(node.get("datatype"), tensor);
        long[] shape = shape(node.get("shape"), tensor);
        return new Tensor(dt, shape, data(node.get("data"), shape, dt, tensor));
    }

    /** Reads the {@code datatype} of a tensor object; absent or null is refused, or the default. */
    public Datatype datatype(JsonNode n, String tensor) throws RejectedException {
        String field = tensor + ".datatype";
        if (n == null || n.isNull()) {
            if (datatypeWhenAbsent != null) {
                return datatypeWhenAbsent;
            }
            throw new RejectedException(RejectReason.MISSING_FIELD, field + " is missing; expected one of " + Datatype.supportedNames());
        }
        if (!n.isTextual()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, field + " is a " + kind(n) + "; expected one of " + Datatype.supportedNames());
        }
        return parseDatatype(n.asText(), field);
    }

    /** Reads the {@code shape} of a tensor object: a list of 1 to 16 positive integers. */
    public long[] shape(JsonNode n, String tensor) throws RejectedException {
        String field = tensor + ".shape";
        if (n == null || n.isNull()) {
            throw new RejectedException(RejectReason.MISSING_FIELD, field + " is missing; expected the tensor's shape with "
                    + axes + ", e.g. [1, 28, 28]");
        }
        if (!n.isArray()) {
            throw new RejectedException(RejectReason.INVALID_SHAPE, field + " is a " + kind(n) + "; expected a list of positive integers");
        }
        long[] shape = new long[n.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = n.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong()) {
                throw new RejectedException(RejectReason.INVALID_SHAPE, field + "[" + i + "] is "
                        + RejectedException.shorten(d.toString()) + "; expected a positive integer");
            }
            shape[i] = d.asLong();
        }
        checkDims(shape, field);
        return shape;
    }

    /** Checks a declared shape's dimensions, from JSON or elsewhere: 1 to 16 positive values. */
    public void checkDims(long[] shape, String field) throws RejectedException {
        if (shape.length == 0 || shape.length > MAX_RANK) {
            throw new RejectedException(RejectReason.INVALID_SHAPE, field + " has " + shape.length
                    + " dimensions; expected 1 to " + MAX_RANK + " positive integers");
        }
        for (long d : shape) {
            if (d <= 0) {
                throw new RejectedException(RejectReason.INVALID_SHAPE, field + " " + Arrays.toString(shape)
                        + " has a non-positive dimension; expected positive integers (" + axes + ")");
            }
        }
    }

    /**
     * Reads the {@code data} of a tensor object of that shape and datatype into
     * {@code prod(shape)} float32 values, row-major.
     */
    public float[] data(JsonNode n, long[] shape, Datatype dt, String tensor) throws RejectedException {
        String field = tensor + ".data";
        if (n == null || n.isNull()) {
            throw new RejectedException(RejectReason.MISSING_FIELD, field + " is missing; expected the tensor's values");
        }
        if (!n.isArray()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, field + " is a " + kind(n)
                    + "; expected an array of numbers, flat or nested" + rawBytesHint);
        }
        long count = elementCount(shape);
        if (count < 0 || count > MAX_VALUES) {
            throw new RejectedException(RejectReason.TENSOR_TOO_LARGE, tensor + ".shape " + Arrays.toString(shape)
                    + " holds more values than one tensor can; expected at most " + MAX_VALUES);
        }
        return new DataWalk(field, shape, (int) count, dt).walk(n);
    }

    // ---- rules and wording that other forms share ----

    /** Returns the datatype of a name, refusing unknown names (with a hint on case) and BYTES. */
    public static Datatype parseDatatype(String text, String field) throws RejectedException {
        Datatype dt = Datatype.parse(text).orElseThrow(() -> new RejectedException(RejectReason.UNSUPPORTED_DATATYPE,
                field + " '" + RejectedException.shorten(text) + "' is not supported; expected one of " + Datatype.supportedNames()
                        + (Datatype.parse(text.toUpperCase(Locale.ROOT)).isPresent() ? " (datatypes are upper case)" : "")));
        if (dt == Datatype.BYTES) {
            throw new RejectedException(RejectReason.BYTES_DATATYPE, field + " is BYTES; expected a numeric datatype such as "
                    + "FP32 or UINT8: strings and encoded images cannot be replayed (decode images before sending)");
        }
        return dt;
    }

    /** Converts one value of a tensor to the engine's float32, checking it against the datatype. */
    public static float value(double v, Datatype dt, String field, long index) throws RejectedException {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            throw new RejectedException(RejectReason.NON_FINITE_VALUE, field + " value " + index + " is " + v
                    + "; expected finite numbers only");
        }
        if (dt.integral() && v != Math.rint(v)) {
            throw new RejectedException(RejectReason.NON_INTEGER_VALUE, field + " value " + index + " is "
                    + RejectedException.show(v) + "; expected integers for datatype " + dt);
        }
        if (!dt.inRange(v)) {
            throw new RejectedException(RejectReason.VALUE_OUT_OF_RANGE, field + " value " + index + " is "
                    + RejectedException.show(v) + "; expected " + dt + " values " + dt.range());
        }
        return (float) v;
    }

    /** Refuses a node that is not a JSON object. */
    public static void requireObject(JsonNode node, String field) throws RejectedException {
        if (!node.isObject()) {
            throw new RejectedException(RejectReason.INVALID_FIELD, field + " is a " + kind(node) + "; expected a JSON object");
        }
    }

    /** Names the kind of a JSON node as messages say it: list, object, string, number, boolean, null. */
    public static String kind(JsonNode n) {
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

    /** Returns the product of the dims, or -1 when it overflows a long. */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d != 0 && n > Long.MAX_VALUE / d) {
                return -1;
            }
            n *= d;
        }
        return n;
    }
}
