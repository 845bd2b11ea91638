package io.resalign.streams;

import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;
import io.resalign.sample.RejectReason;
import io.resalign.streams.record.SampleHeaders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds sample records for the bundled demo model: valid V2 JSON records from its 64
 * Fashion-MNIST images, and one bad record per reject reason the decoder can meet on the wire
 * (as RejectReasonTest builds them, at the demo model's shape).
 */
final class DemoRecords {
    static final String MODEL = "demo-mlp";
    static final String VERSION = "1";
    static final Path MODELS = Path.of("models");
    private static final SampleBatch SAMPLES = read();
    private static final int[] LABELS = labels();

    /** A record to send: its reason when bad, headers and value. */
    record Bad(RejectReason reason, Headers headers, byte[] value) {}

    private DemoRecords() {
    }

    private static SampleBatch read() {
        try {
            return SampleReaders.read(MODELS.resolve(MODEL).resolve("samples.npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] labels() {
        try {
            return SampleReaders.readLabels(MODELS.resolve(MODEL).resolve("labels.npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns the V2 JSON of sample {@code i} (the bundled images, cycled), with id and label. */
    static byte[] valid(int i, long timestamp) {
        int k = i % SAMPLES.size();
        return json("\"id\":\"s-" + i + "\",\"timestamp\":" + timestamp + ",",
                "\"shape\":[1,1,28,28],\"datatype\":\"UINT8\",\"data\":" + pixels(k, null), ",\"label\":" + LABELS[k]);
    }

    /** Returns the V2 JSON of one record carrying samples {@code first} .. {@code first + count - 1} (a batch axis of {@code count}). */
    static byte[] validBatch(int first, int count, long timestamp) {
        StringBuilder data = new StringBuilder("[");
        for (int i = first; i < first + count; i++) {
            String p = pixels(i % SAMPLES.size(), null);
            data.append(i == first ? "" : ",").append(p, 1, p.length() - 1);
        }
        return json("\"id\":\"b-" + first + "\",\"timestamp\":" + timestamp + ",",
                "\"shape\":[" + count + ",1,28,28],\"datatype\":\"UINT8\",\"data\":" + data + "]", "");
    }

    private static String pixels(int k, String replaceFirst) {
        float[] x = SAMPLES.sample(k);
        StringBuilder sb = new StringBuilder("[");
        for (int j = 0; j < x.length; j++) {
            if (j > 0) {
                sb.append(',');
            }
            sb.append(j == 0 && replaceFirst != null ? replaceFirst : Integer.toString((int) x[j]));
        }
        return sb.append(']').toString();
    }

    private static byte[] json(String head, String tensor, String tail) {
        return bytes("{\"model_name\":\"" + MODEL + "\",\"model_version\":\"" + VERSION + "\"," + head
                + "\"inputs\":[{\"name\":\"input-0\"," + tensor + "}]" + tail + "}");
    }

    private static byte[] tensor(String tensor) {
        return json("", tensor, "");
    }

    private static byte[] good(String tail) {
        return json("", "\"shape\":[1,1,28,28],\"datatype\":\"UINT8\",\"data\":" + pixels(0, null), tail);
    }

    /** Returns one bad record per reason (25 kinds). */
    static List<Bad> bad() {
        List<Bad> out = new ArrayList<>();
        RecordHeaders none = new RecordHeaders();
        add(out, RejectReason.EMPTY_PAYLOAD, none, new byte[0]);
        add(out, RejectReason.UNSUPPORTED_CONTENT_TYPE, headers(SampleHeaders.CONTENT_TYPE, bytes("text/csv")), bytes("0,1,2"));
        add(out, RejectReason.MALFORMED_JSON, none, bytes("{\"model_name\":\"demo-mlp\",\"inputs\":[{\"shape\":[1,"));
        add(out, RejectReason.MISSING_FIELD, none, bytes("{\"model_name\":\"demo-mlp\",\"model_version\":\"1\"}"));
        add(out, RejectReason.INVALID_FIELD, none, bytes("{\"model_name\":\"demo-mlp\",\"model_version\":\"1\",\"inputs\":\"0,1\"}"));
        Headers noShape = binaryHeaders();
        noShape.remove(SampleHeaders.SHAPE);
        add(out, RejectReason.MISSING_HEADER, noShape, fp32(784 * 4));
        Headers badType = binaryHeaders();
        badType.remove(SampleHeaders.DATATYPE);
        badType.add(SampleHeaders.DATATYPE, new byte[] {(byte) 0xff, (byte) 0xfe});
        add(out, RejectReason.INVALID_HEADER, badType, fp32(784 * 4));
        add(out, RejectReason.UNKNOWN_MODEL, none, new String(good(""), StandardCharsets.UTF_8).replace("\"demo-mlp\"", "\"huge\"")
                .getBytes(StandardCharsets.UTF_8));
        add(out, RejectReason.UNKNOWN_VERSION, none, new String(good(""), StandardCharsets.UTF_8)
                .replace("\"model_version\":\"1\"", "\"model_version\":\"9\"").getBytes(StandardCharsets.UTF_8));
        add(out, RejectReason.MULTIPLE_INPUTS, none, bytes("{\"model_name\":\"demo-mlp\",\"model_version\":\"1\",\"inputs\":["
                + "{\"name\":\"a\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[0,1]},"
                + "{\"name\":\"b\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[0,1]}]}"));
        add(out, RejectReason.INVALID_SHAPE, none, tensor("\"shape\":[1,0,28,28],\"datatype\":\"FP32\",\"data\":[]"));
        add(out, RejectReason.SHAPE_MISMATCH, none, tensor("\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":" + pixels(0, null)));
        add(out, RejectReason.UNSUPPORTED_DATATYPE, none, tensor("\"shape\":[1,1,28,28],\"datatype\":\"FLOAT32\",\"data\":" + pixels(0, null)));
        add(out, RejectReason.BYTES_DATATYPE, none, tensor("\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"aGVsbG8=\"]"));
        add(out, RejectReason.TENSOR_TOO_LARGE, none, tensor("\"shape\":[65,1,28,28],\"datatype\":\"FP32\",\"data\":[]"));
        add(out, RejectReason.DATA_LENGTH_MISMATCH, none, tensor("\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":[0,1,2]"));
        add(out, RejectReason.NON_NUMERIC_VALUE, none, tensor("\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":" + pixels(0, "\"one\"")));
        add(out, RejectReason.NON_FINITE_VALUE, none, tensor("\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":" + pixels(0, "NaN")));
        add(out, RejectReason.NON_INTEGER_VALUE, none, tensor("\"shape\":[1,1,28,28],\"datatype\":\"INT32\",\"data\":" + pixels(0, "1.5")));
        add(out, RejectReason.VALUE_OUT_OF_RANGE, none, tensor("\"shape\":[1,1,28,28],\"datatype\":\"UINT8\",\"data\":" + pixels(0, "300")));
        add(out, RejectReason.TRUNCATED_PAYLOAD, binaryHeaders(), fp32(784 * 4 - 1));
        add(out, RejectReason.TRAILING_BYTES, binaryHeaders(), fp32(784 * 4 + 1));
        add(out, RejectReason.INVALID_LABEL, none, good(",\"label\":10"));
        add(out, RejectReason.INVALID_PREDICTION, none, good(",\"prediction\":[0.1,0.9]"));
        add(out, RejectReason.INVALID_TIMESTAMP, none, good(",\"timestamp\":\"yesterday\""));
        return out;
    }

    private static void add(List<Bad> out, RejectReason reason, Headers headers, byte[] value) {
        out.add(new Bad(reason, headers, value));
    }

    private static Headers binaryHeaders() {
        RecordHeaders h = new RecordHeaders();
        h.add(SampleHeaders.CONTENT_TYPE, bytes("application/x-resalign-tensor"));
        h.add(SampleHeaders.MODEL, bytes(MODEL));
        h.add(SampleHeaders.VERSION, bytes(VERSION));
        h.add(SampleHeaders.SHAPE, bytes("1,1,28,28"));
        h.add(SampleHeaders.DATATYPE, bytes("FP32"));
        return h;
    }

    private static Headers headers(String key, byte[] value) {
        RecordHeaders h = new RecordHeaders();
        h.add(key, value);
        return h;
    }

    private static byte[] fp32(int length) {
        byte[] b = new byte[length];
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 4 <= length; i += 4) {
            buf.putFloat(i, 0.5f);
        }
        return b;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Returns the number of pixels of a demo sample (for tests that check shapes). */
    static int sampleLength() {
        return Arrays.stream(SAMPLES.sampleShape()).mapToInt(Math::toIntExact).reduce(1, (a, b) -> a * b);
    }
}
