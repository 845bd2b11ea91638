package io.resalign.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proves once the rules that the service's records and the CLI's sample files share through
 * {@link TensorJson}: datatypes, shapes, flat and nested data, value checks and the JSON reading
 * itself (depth limit, duplicate keys, trailing tokens).
 */
class TensorJsonTest {

    @Test
    void shouldReadTheSameValuesWhenDataIsFlatOrNestedAsTheShape() throws Exception {
        TensorJson.Tensor flat = read(TensorJson.REQUEST_INPUT, "{\"shape\":[2,1,2],\"datatype\":\"FP32\",\"data\":[1,2,3,4.5]}");
        TensorJson.Tensor nested = read(TensorJson.REQUEST_INPUT, "{\"shape\":[2,1,2],\"datatype\":\"FP32\",\"data\":[[[1,2]],[[3,4.5]]]}");

        assertEquals(Datatype.FP32, flat.datatype());
        assertArrayEquals(new long[] {2, 1, 2}, flat.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4.5f}, flat.values());
        assertArrayEquals(flat.values(), nested.values());
    }

    @ParameterizedTest
    @EnumSource(value = Datatype.class, mode = EnumSource.Mode.EXCLUDE, names = {"BOOL", "BYTES"})
    void shouldReadEveryNumericDatatypeWhenTheValuesFitIt(Datatype dt) throws Exception {
        TensorJson.Tensor t = read(TensorJson.REQUEST_INPUT, "{\"shape\":[3],\"datatype\":\"" + dt + "\",\"data\":[0,1,100]}");

        assertEquals(dt, t.datatype());
        assertArrayEquals(new float[] {0, 1, 100}, t.values());
    }

    @Test
    void shouldReadBooleansWhenTheDatatypeIsBool() throws Exception {
        assertArrayEquals(new float[] {1, 0}, read(TensorJson.SAMPLE, "{\"shape\":[2],\"datatype\":\"BOOL\",\"data\":[true,false]}").values());
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2],\"datatype\":\"FP32\",\"data\":[true,false]}",
                RejectReason.NON_NUMERIC_VALUE, "t.data value 0 is a boolean");
    }

    @Test
    void shouldRequireADatatypeWhenTheTensorIsARequestInputButNotWhenItIsASample() throws Exception {
        String noDatatype = "{\"shape\":[2],\"data\":[1,2]}";

        assertRejected(TensorJson.REQUEST_INPUT, noDatatype, RejectReason.MISSING_FIELD, "t.datatype is missing");
        assertEquals(Datatype.FP32, read(TensorJson.SAMPLE, noDatatype).datatype());
    }

    @Test
    void shouldRefuseTheDatatypeWhenItIsBytesUnknownOrNotUpperCase() {
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"aGk=\"]}",
                RejectReason.BYTES_DATATYPE, "t.datatype is BYTES");
        RejectedException lower = assertRejected(TensorJson.SAMPLE, "{\"shape\":[1],\"datatype\":\"fp32\",\"data\":[1]}",
                RejectReason.UNSUPPORTED_DATATYPE, "t.datatype 'fp32' is not supported");
        assertTrue(lower.getMessage().contains("(datatypes are upper case)"), lower.getMessage());
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[1],\"datatype\":\"FLOAT32\",\"data\":[1]}",
                RejectReason.UNSUPPORTED_DATATYPE, "t.datatype 'FLOAT32'");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[1],\"datatype\":32,\"data\":[1]}",
                RejectReason.INVALID_FIELD, "t.datatype is a number");
    }

    @Test
    void shouldRefuseTheShapeWhenItIsNotOneToSixteenPositiveIntegers() {
        assertRejected(TensorJson.SAMPLE, "{\"data\":[1]}", RejectReason.MISSING_FIELD, "t.shape is missing");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":\"2\",\"data\":[1,2]}", RejectReason.INVALID_SHAPE, "t.shape is a string");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[],\"data\":[1]}", RejectReason.INVALID_SHAPE, "t.shape has 0 dimensions");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[" + "1,".repeat(16) + "1],\"data\":[1]}",
                RejectReason.INVALID_SHAPE, "t.shape has 17 dimensions");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2,0],\"data\":[]}", RejectReason.INVALID_SHAPE,
                "t.shape [2, 0] has a non-positive dimension; expected positive integers (no batch axis)");
        assertRejected(TensorJson.REQUEST_INPUT, "{\"shape\":[-1,2],\"datatype\":\"FP32\",\"data\":[]}", RejectReason.INVALID_SHAPE,
                "expected positive integers (the batch size first)");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2.0],\"data\":[1,2]}", RejectReason.INVALID_SHAPE, "t.shape[0] is 2.0");
    }

    @Test
    void shouldRefuseTheDataWhenItsCountOrNestingDiffersFromTheShape() {
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2,2]}", RejectReason.MISSING_FIELD, "t.data is missing");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2,2],\"data\":\"AAAA\"}", RejectReason.INVALID_FIELD, "t.data is a string");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2,2],\"data\":[1,2,3]}", RejectReason.DATA_LENGTH_MISMATCH,
                "t.data has 3 values; expected 4 values for shape [2, 2]");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2,2],\"data\":[1,2,3,4,5]}", RejectReason.DATA_LENGTH_MISMATCH,
                "t.data has more than 4 values");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2,2],\"data\":[1,[2],3,4]}", RejectReason.DATA_LENGTH_MISMATCH,
                "t.data is ragged: a list at value 1 of a flat list");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2,2],\"data\":[[1,2],3]}", RejectReason.DATA_LENGTH_MISMATCH,
                "t.data is ragged: a number at axis 1 where a list was expected");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2,2],\"data\":[[1,2,3],[4]]}", RejectReason.DATA_LENGTH_MISMATCH,
                "t.data is nested differently: axis 1 has 3 entries where the shape says 2");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[1,2,2],\"data\":[[1,2],[3,4]]}", RejectReason.DATA_LENGTH_MISMATCH,
                "t.data is nested differently: axis 0 has 2 entries where the shape says 1");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2],\"data\":[[[1]],[[2]]]}", RejectReason.DATA_LENGTH_MISMATCH,
                "t.data is nested deeper than the shape's 1 axes");
    }

    @Test
    void shouldRefuseAShapeWithoutAllocatingItWhenItClaimsMoreValuesThanTheDataHolds() {
        // 8 GB of floats if allocated up front: more than the test JVM has.
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2000000000],\"data\":[1]}", RejectReason.DATA_LENGTH_MISMATCH,
                "t.data has 1 values; expected 2000000000 values");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[3000000000],\"data\":[1]}", RejectReason.TENSOR_TOO_LARGE,
                "t.shape [3000000000] holds more values than one tensor can");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[4294967296,4294967296],\"data\":[1]}", RejectReason.TENSOR_TOO_LARGE,
                "t.shape");
    }

    @Test
    void shouldRefuseValuesWhenTheyAreNonFiniteFractionalOrOutOfTheirDatatypesRange() {
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2],\"data\":[1,NaN]}", RejectReason.NON_FINITE_VALUE,
                "t.data value 1 is NaN; expected finite numbers only");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2],\"data\":[-Infinity,1]}", RejectReason.NON_FINITE_VALUE, "t.data value 0");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2],\"data\":[1,\"inf\"]}", RejectReason.NON_FINITE_VALUE,
                "t.data value 1 is \"inf\"");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2],\"data\":[1,null]}", RejectReason.NON_NUMERIC_VALUE,
                "t.data value 1 is a null");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2],\"datatype\":\"INT8\",\"data\":[1,1.5]}", RejectReason.NON_INTEGER_VALUE,
                "t.data value 1 is 1.5; expected integers for datatype INT8");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[2],\"datatype\":\"UINT8\",\"data\":[1,256]}", RejectReason.VALUE_OUT_OF_RANGE,
                "t.data value 1 is 256; expected UINT8 values [0, 255]");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[1],\"data\":[1e39]}", RejectReason.VALUE_OUT_OF_RANGE,
                "t.data value 0 is 1.0E39; expected FP32 values finite and within");
        assertRejected(TensorJson.SAMPLE, "{\"shape\":[1],\"datatype\":\"BOOL\",\"data\":[2]}", RejectReason.VALUE_OUT_OF_RANGE,
                "expected BOOL values false/true (0 or 1)");
    }

    @Test
    void shouldRefuseTheDocumentWhenItNestsDeeperThan32Levels() throws Exception {
        assertEquals(32, TensorJson.MAX_DEPTH);
        TensorJson.parse(bytes("[".repeat(32) + "]".repeat(32)));

        JsonProcessingException tree = assertThrows(JsonProcessingException.class,
                () -> TensorJson.parse(bytes("[".repeat(33) + "]".repeat(33))));
        assertTrue(TensorJson.reason(tree).contains("nested deeper than 32 levels"), TensorJson.reason(tree));

        // A streaming reader of a file keeps the same limit.
        JsonProcessingException stream = assertThrows(JsonProcessingException.class, () -> {
            try (JsonParser p = TensorJson.parser("[".repeat(33) + "]".repeat(33))) {
                while (p.nextToken() != null) {
                    p.skipChildren();
                }
            }
        });
        assertTrue(TensorJson.reason(stream).contains("nested deeper than 32 levels"), TensorJson.reason(stream));
    }

    @Test
    void shouldRefuseTheDocumentWhenItHasDuplicateKeysOrTrailingTokens() {
        JsonProcessingException duplicate = assertThrows(JsonProcessingException.class,
                () -> TensorJson.parse(bytes("{\"shape\":[1],\"shape\":[2]}")));
        assertTrue(TensorJson.reason(duplicate).contains("Duplicate field 'shape'"), TensorJson.reason(duplicate));
        assertThrows(JsonProcessingException.class, () -> TensorJson.parse(bytes("{\"shape\":[1]} {}")));
    }

    @Test
    void shouldLeaveTheRestOfTheStreamToItsReaderWhenReadingOneValue() throws Exception {
        try (JsonParser p = TensorJson.parser("[{\"shape\":[1],\"data\":[NaN]}, {\"shape\":[1],\"data\":[2]}]")) {
            assertEquals(JsonToken.START_ARRAY, p.nextToken());
            p.nextToken();
            JsonNode first = TensorJson.readTree(p);
            p.nextToken();
            JsonNode second = TensorJson.readTree(p);

            assertTrue(first.get("data").get(0).isNumber());
            assertEquals(2, second.get("data").get(0).asInt());
            assertEquals(JsonToken.END_ARRAY, p.nextToken());
        }
    }

    private static TensorJson.Tensor read(TensorJson form, String json) throws Exception {
        return form.read(TensorJson.parse(bytes(json)), "t");
    }

    /** Asserts the reason, and that the message holds the given text and says what was expected. */
    private static RejectedException assertRejected(TensorJson form, String json, RejectReason reason, String text) {
        RejectedException e = assertThrows(RejectedException.class, () -> read(form, json), json);
        assertEquals(reason, e.reason(), e::getMessage);
        assertTrue(e.getMessage().contains(text), () -> "message should hold '" + text + "': " + e.getMessage());
        assertTrue(e.getMessage().contains("expected"), () -> "message should say what was expected: " + e.getMessage());
        return e;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
