package io.resalign.streams.record;

import io.resalign.sample.Datatype;
import io.resalign.sample.InMemoryModelCatalog;
import io.resalign.sample.ModelSpec;
import io.resalign.sample.RejectReason;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Builds the catalog, decoder and records the record tests share. */
final class RecordFixtures {
    static final String TOPIC = "inference-samples";
    static final long RECORD_TIME = 1_764_000_000_000L;
    static final long CLOCK_TIME = 1_800_000_000_000L;

    /** tiny:1 and tiny:2 take [1,2,2] with 3 classes (batches up to 8); vec:1 takes [4] with 2 classes. */
    static final InMemoryModelCatalog CATALOG = InMemoryModelCatalog.of(
            ModelSpec.of("tiny", "1", new long[] {1, 2, 2}, 3, 8),
            ModelSpec.of("tiny", "2", new long[] {1, 2, 2}, 3, 8),
            ModelSpec.of("vec", "1", new long[] {4}, 2, 8));

    static final float[] VALUES = {0f, 1f, 2f, 100f};

    private RecordFixtures() {
    }

    static SampleDecoder decoder() {
        return new SampleDecoder(CATALOG, SampleDecoder.Limits.DEFAULT, Clock.fixed(Instant.ofEpochMilli(CLOCK_TIME), ZoneOffset.UTC));
    }

    static Decoded decode(String json) {
        return decode(new RecordHeaders(), json.getBytes(StandardCharsets.UTF_8));
    }

    static Decoded decode(Headers headers, byte[] value) {
        return decoder().decode(TOPIC, 3, 42, RECORD_TIME, headers, value);
    }

    /** A valid V2 request for tiny:1 with the given tensor part and extra top-level fields. */
    static String json(String tensor, String extra) {
        return "{\"model_name\":\"tiny\",\"model_version\":\"1\",\"id\":\"req-1\"" + extra
                + ",\"inputs\":[{\"name\":\"input-0\"," + tensor + "}]}";
    }

    static String json(String extra) {
        return json("\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[0,1,2,100]", extra);
    }

    static Headers binaryHeaders(String datatype, String shape) {
        RecordHeaders h = new RecordHeaders();
        h.add(SampleHeaders.CONTENT_TYPE, bytes(SampleHeaders.BINARY_CONTENT_TYPE));
        h.add(SampleHeaders.MODEL, bytes("tiny"));
        h.add(SampleHeaders.VERSION, bytes("1"));
        h.add(SampleHeaders.ID, bytes("bin-1"));
        h.add(SampleHeaders.DATATYPE, bytes(datatype));
        h.add(SampleHeaders.SHAPE, bytes(shape));
        return h;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Encodes values little-endian in the given datatype (values must be representable). */
    static byte[] tensor(Datatype dt, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dt.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dt) {
                case BOOL, UINT8, INT8 -> b.put((byte) v);
                case UINT16, INT16 -> b.putShort((short) v);
                case UINT32, INT32 -> b.putInt((int) (long) v);
                case UINT64, INT64 -> b.putLong((long) v);
                case FP16 -> b.putShort(half(v));
                case BF16 -> b.putShort((short) (Float.floatToIntBits(v) >>> 16));
                case FP32 -> b.putFloat(v);
                case FP64 -> b.putDouble(v);
                default -> throw new IllegalArgumentException(dt.name());
            }
        }
        return b.array();
    }

    /** Encodes a normal (or zero) float exactly representable in binary16. */
    static short half(float v) {
        if (v == 0) {
            return 0;
        }
        int bits = Float.floatToIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        int mant = (bits >>> 13) & 0x3ff;
        return (short) (sign | (exp << 10) | mant);
    }

    /** Asserts the reason, and that the message names the field and says what was expected. */
    static Decoded.Rejection assertRejected(Decoded d, RejectReason reason, String field) {
        assertTrue(d.rejected(), () -> "expected a rejection " + reason + " but got " + d);
        Decoded.Rejection r = d.rejection();
        assertEquals(reason, r.reason(), r::message);
        assertTrue(r.message().contains(field), () -> "message should name " + field + ": " + r.message());
        assertTrue(r.message().contains("expected"), () -> "message should say what was expected: " + r.message());
        return r;
    }
}
