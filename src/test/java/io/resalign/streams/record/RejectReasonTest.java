package io.resalign.streams.record;

import io.resalign.sample.ModelSpec;
import io.resalign.sample.ModelCatalog;
import io.resalign.sample.Datatype;
import io.resalign.sample.RejectReason;


import static io.resalign.streams.record.RecordFixtures.assertRejected;
import static io.resalign.streams.record.RecordFixtures.binaryHeaders;
import static io.resalign.streams.record.RecordFixtures.bytes;
import static io.resalign.streams.record.RecordFixtures.decode;
import static io.resalign.streams.record.RecordFixtures.json;
import static io.resalign.streams.record.RecordFixtures.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Builds one bad record per reject reason and checks the reason, and that the message names the
 * field and what was expected: the message is what an operator reads in the dead-letter header.
 */
class RejectReasonTest {

    /** One bad record per reason: reason, what is wrong, the record, the field the message must name. */
    static Stream<Arguments> badRecords() {
        return Stream.of(
                bad(RejectReason.EMPTY_PAYLOAD, "the value has no bytes",
                        () -> decode(new RecordHeaders(), new byte[0]), "value"),
                bad(RejectReason.PAYLOAD_TOO_LARGE, "the value is over the byte limit",
                        () -> new SampleDecoder(RecordFixtures.CATALOG, new SampleDecoder.Limits(64, 1 << 20, 256), Clock.systemUTC())
                                .decode("t", 0, 0, 0, new RecordHeaders(), bytes(json(""))), "value"),
                bad(RejectReason.UNSUPPORTED_CONTENT_TYPE, "content-type is text/csv",
                        () -> decode(headers(SampleHeaders.CONTENT_TYPE, "text/csv"), bytes("0,1,2,100")), "content-type"),
                bad(RejectReason.MALFORMED_JSON, "the JSON is cut short",
                        () -> decode("{\"model_name\":\"tiny\",\"inputs\":[{\"shape\":[1,"), "JSON"),
                bad(RejectReason.MISSING_FIELD, "there is no inputs field",
                        () -> decode("{\"model_name\":\"tiny\",\"model_version\":\"1\"}"), "inputs"),
                bad(RejectReason.INVALID_FIELD, "inputs is a string",
                        () -> decode("{\"model_name\":\"tiny\",\"model_version\":\"1\",\"inputs\":\"0,1,2\"}"), "inputs"),
                bad(RejectReason.MISSING_HEADER, "a binary record has no shape header",
                        () -> decode(without(binaryHeaders("FP32", "1,1,2,2"), SampleHeaders.SHAPE),
                                tensor(Datatype.FP32, RecordFixtures.VALUES)), SampleHeaders.SHAPE),
                bad(RejectReason.INVALID_HEADER, "the datatype header is not UTF-8",
                        () -> decode(with(binaryHeaders("FP32", "1,1,2,2"), SampleHeaders.DATATYPE, new byte[] {(byte) 0xff, (byte) 0xfe}),
                                tensor(Datatype.FP32, RecordFixtures.VALUES)), SampleHeaders.DATATYPE),
                bad(RejectReason.UNKNOWN_MODEL, "the model is not in the catalog",
                        () -> decode(json("").replace("\"tiny\"", "\"huge\"")), "model_name"),
                bad(RejectReason.UNKNOWN_VERSION, "tiny has no version 9",
                        () -> decode(json("").replace("\"model_version\":\"1\"", "\"model_version\":\"9\"")), "model_version"),
                bad(RejectReason.MULTIPLE_INPUTS, "two input tensors",
                        () -> decode("{\"model_name\":\"tiny\",\"model_version\":\"1\",\"inputs\":["
                                + "{\"name\":\"a\",\"shape\":[1,2,2],\"datatype\":\"FP32\",\"data\":[0,1,2,3]},"
                                + "{\"name\":\"b\",\"shape\":[1,2,2],\"datatype\":\"FP32\",\"data\":[0,1,2,3]}]}"), "inputs"),
                bad(RejectReason.INVALID_SHAPE, "a dimension is zero",
                        () -> decode(json("\"shape\":[1,0,2,2],\"datatype\":\"FP32\",\"data\":[]", "")), "inputs[0].shape"),
                bad(RejectReason.SHAPE_MISMATCH, "a flattened [1,4] for input.shape [1,2,2]",
                        () -> decode(json("\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[0,1,2,100]", "")), "inputs[0].shape"),
                bad(RejectReason.UNSUPPORTED_DATATYPE, "datatype FLOAT32 is not a V2 name",
                        () -> decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FLOAT32\",\"data\":[0,1,2,100]", "")), "inputs[0].datatype"),
                bad(RejectReason.BYTES_DATATYPE, "datatype BYTES",
                        () -> decode(json("\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"aGVsbG8=\"]", "")), "inputs[0].datatype"),
                bad(RejectReason.TENSOR_TOO_LARGE, "a batch of 9 where tiny allows 8",
                        () -> decode(json("\"shape\":[9,1,2,2],\"datatype\":\"FP32\",\"data\":[]", "")), "inputs[0].shape"),
                bad(RejectReason.DATA_LENGTH_MISMATCH, "three values for four",
                        () -> decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[0,1,2]", "")), "inputs[0].data"),
                bad(RejectReason.NON_NUMERIC_VALUE, "a string among the values",
                        () -> decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[0,\"one\",2,100]", "")), "inputs[0].data"),
                bad(RejectReason.NON_FINITE_VALUE, "a bare NaN as Python's json.dumps writes it",
                        () -> decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[0,NaN,2,100]", "")), "inputs[0].data"),
                bad(RejectReason.NON_INTEGER_VALUE, "1.5 in an INT32 tensor",
                        () -> decode(json("\"shape\":[1,1,2,2],\"datatype\":\"INT32\",\"data\":[0,1.5,2,100]", "")), "inputs[0].data"),
                bad(RejectReason.VALUE_OUT_OF_RANGE, "300 in a UINT8 tensor",
                        () -> decode(json("\"shape\":[1,1,2,2],\"datatype\":\"UINT8\",\"data\":[0,1,300,100]", "")), "inputs[0].data"),
                bad(RejectReason.TRUNCATED_PAYLOAD, "15 bytes for four FP32 values",
                        () -> decode(binaryHeaders("FP32", "1,1,2,2"), java.util.Arrays.copyOf(tensor(Datatype.FP32, RecordFixtures.VALUES), 15)),
                        "value"),
                bad(RejectReason.TRAILING_BYTES, "17 bytes for four FP32 values",
                        () -> decode(binaryHeaders("FP32", "1,1,2,2"), java.util.Arrays.copyOf(tensor(Datatype.FP32, RecordFixtures.VALUES), 17)),
                        "value"),
                bad(RejectReason.INVALID_LABEL, "label 3 of a model with 3 classes",
                        () -> decode(json(",\"label\":3")), "label"),
                bad(RejectReason.INVALID_PREDICTION, "two logits for three classes",
                        () -> decode(json(",\"prediction\":[0.1,0.9]")), "prediction"),
                bad(RejectReason.INVALID_TIMESTAMP, "timestamp is a word",
                        () -> decode(json(",\"timestamp\":\"yesterday\"")), "timestamp"),
                bad(RejectReason.INVALID_SAMPLE_SELECTION, "the samples header names sample 5 of a record of one",
                        () -> decode(headers(DeadLetters.SAMPLES, "5"), bytes(json(""))), DeadLetters.SAMPLES),
                bad(RejectReason.INTERNAL_ERROR, "the catalog fails unexpectedly",
                        () -> new SampleDecoder(new FailingCatalog()).decode("t", 0, 0, 0, new RecordHeaders(), bytes(json(""))),
                        "record"));
    }

    @ParameterizedTest(name = "{0} when {1}")
    @MethodSource("badRecords")
    void shouldRejectWithReasonNamingTheFieldWhenTheRecordIsBad(RejectReason reason, String when, Supplier<Decoded> record, String field) {
        assertRejected(record.get(), reason, field);
    }

    @Test
    void shouldHaveABadRecordForEveryReasonWhenReasonsAreAdded() {
        Set<RejectReason> covered = EnumSet.noneOf(RejectReason.class);
        badRecords().forEach(a -> covered.add((RejectReason) a.get()[0]));
        assertEquals(EnumSet.allOf(RejectReason.class), covered);
        assertTrue(RejectReason.values().length >= 20);
    }

    @Test
    void shouldUseUniqueLowerSnakeCaseCodesWhenNamingReasons() {
        Set<String> codes = new HashSet<>();
        for (RejectReason r : RejectReason.values()) {
            assertTrue(r.code().matches("[a-z]+(_[a-z]+)*"), r.code());
            assertTrue(codes.add(r.code()), r.code());
            assertEquals(Optional.of(r), RejectReason.fromCode(r.code()));
            assertEquals(r.name().toLowerCase(java.util.Locale.ROOT), r.code());
        }
        assertEquals(Optional.empty(), RejectReason.fromCode("no_such_reason"));
    }

    private static Arguments bad(RejectReason reason, String when, Supplier<Decoded> record, String field) {
        return Arguments.of(reason, when, record, field);
    }

    static Headers headers(String key, String value) {
        RecordHeaders h = new RecordHeaders();
        h.add(key, bytes(value));
        return h;
    }

    static Headers without(Headers h, String key) {
        h.remove(key);
        return h;
    }

    static Headers with(Headers h, String key, byte[] value) {
        h.remove(key);
        h.add(key, value);
        return h;
    }

    /** A catalog with a bug: stands for any failure the decoder does not foresee. */
    private static final class FailingCatalog implements ModelCatalog {
        @Override
        public Optional<ModelSpec> find(String name, String version) {
            throw new IllegalStateException("boom");
        }

        @Override
        public SortedSet<String> versions(String name) {
            throw new IllegalStateException("boom");
        }

        @Override
        public SortedSet<String> names() {
            return new TreeSet<>();
        }
    }
}
