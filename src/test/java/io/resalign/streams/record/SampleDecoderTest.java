package io.resalign.streams.record;

import io.resalign.sample.Datatype;
import io.resalign.sample.RejectReason;
import io.resalign.sample.SampleRecord;
import io.resalign.sample.ServedPrediction;

import static io.resalign.streams.record.RecordFixtures.RECORD_TIME;
import static io.resalign.streams.record.RecordFixtures.VALUES;
import static io.resalign.streams.record.RecordFixtures.assertRejected;
import static io.resalign.streams.record.RecordFixtures.binaryHeaders;
import static io.resalign.streams.record.RecordFixtures.bytes;
import static io.resalign.streams.record.RecordFixtures.decode;
import static io.resalign.streams.record.RecordFixtures.json;
import static io.resalign.streams.record.RecordFixtures.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Decodes valid records of both forms: a payload logger's V2 request and a binary tensor of any
 * numeric datatype give the same samples, batches split into samples, and the fall-backs for
 * model, version, id and time come from headers and the Kafka record.
 */
class SampleDecoderTest {

    @Test
    void shouldDecodeOneSampleWhenAV2RequestHasBatchOne() {
        // Step 1: a V2 request with the model's metadata, a timestamp, a served class and a label.
        Decoded d = decode(json(",\"timestamp\":1764000000123,\"parameters\":{\"content_type\":\"np\"},\"prediction\":2,\"label\":1"));

        // Step 2: one sample, the batch axis gone, the shape the model's.
        SampleRecord r = single(d);
        assertEquals("tiny", r.model());
        assertEquals("1", r.version());
        assertEquals("req-1", r.id());
        assertEquals(1_764_000_000_123L, r.timestamp());
        assertArrayEquals(VALUES, r.data());
        assertArrayEquals(new long[] {1, 2, 2}, r.shape());
        assertEquals(Optional.of(new ServedPrediction.ClassIndex(2)), r.prediction());
        assertEquals(OptionalInt.of(1), r.label());
    }

    @ParameterizedTest
    @EnumSource(value = Datatype.class, names = {"UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
            "FP16", "BF16", "FP32", "FP64"})
    void shouldDecodeTheSameFloatsWhenJsonAndBinaryCarryTheSameTensor(Datatype dt) {
        Decoded fromJson = decode(json("\"shape\":[1,1,2,2],\"datatype\":\"" + dt + "\",\"data\":[0,1,2,100]", ""));
        Headers headers = binaryHeaders(dt.name(), "1,1,2,2");
        headers.remove(SampleHeaders.ID);
        headers.add(SampleHeaders.ID, bytes("req-1"));
        Decoded fromBinary = decode(headers, tensor(dt, VALUES));

        assertArrayEquals(VALUES, single(fromJson).data());
        assertEquals(single(fromJson), single(fromBinary));
    }

    @Test
    void shouldDecodeBoolWhenJsonHasBooleansAndBinaryHasBytes() {
        Decoded fromJson = decode(json("\"shape\":[1,1,2,2],\"datatype\":\"BOOL\",\"data\":[true,false,true,true]", ""));
        Decoded fromBinary = decode(binaryHeaders("BOOL", "1,1,2,2"), new byte[] {1, 0, 1, 1});

        assertArrayEquals(new float[] {1, 0, 1, 1}, single(fromJson).data());
        assertArrayEquals(single(fromJson).data(), single(fromBinary).data());
        assertRejected(decode(binaryHeaders("BOOL", "1,1,2,2"), new byte[] {1, 0, 2, 1}), RejectReason.VALUE_OUT_OF_RANGE, "value 2");
    }

    @Test
    void shouldSplitIntoFourSamplesWhenTheBatchDimensionIsFour() {
        String data = "[[[[0,1],[2,3]]],[[[4,5],[6,7]]],[[[8,9],[10,11]]],[[[12,13],[14,15]]]]";
        Decoded d = decode(json("\"shape\":[4,1,2,2],\"datatype\":\"FP32\",\"data\":" + data,
                ",\"label\":[0,1,null,2],\"outputs\":[{\"name\":\"logits\",\"shape\":[4,3],\"datatype\":\"FP32\","
                        + "\"data\":[1,0,0, 0,1,0, 0,0,1, 0,1,0]}]"));

        List<SampleRecord> samples = d.samples();
        assertEquals(4, samples.size());
        for (int i = 0; i < 4; i++) {
            SampleRecord s = samples.get(i);
            assertEquals("req-1#" + i, s.id());
            assertArrayEquals(new float[] {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3}, s.data());
            assertArrayEquals(new long[] {1, 2, 2}, s.shape());
            assertEquals(RECORD_TIME, s.timestamp());
        }
        assertEquals(List.of(0, 1, 2, 1), samples.stream().map(s -> s.prediction().orElseThrow().predictedClass()).toList());
        assertEquals(OptionalInt.of(1), samples.get(1).label());
        assertEquals(OptionalInt.empty(), samples.get(2).label());
    }

    @Test
    void shouldSplitABinaryBatchWhenTheShapeHeaderHasABatchAxis() {
        float[] eight = {0, 1, 2, 3, 4, 5, 6, 7};
        Headers h = binaryHeaders("FP32", "2,1,2,2");
        h.add(SampleHeaders.LABEL, bytes("2,0"));
        h.add(SampleHeaders.PREDICTION, bytes("2,-"));

        List<SampleRecord> samples = decode(h, tensor(Datatype.FP32, eight)).samples();

        assertEquals(List.of("bin-1#0", "bin-1#1"), samples.stream().map(SampleRecord::id).toList());
        assertArrayEquals(new float[] {4, 5, 6, 7}, samples.get(1).data());
        assertEquals(OptionalInt.of(2), samples.get(0).label());
        assertEquals(Optional.of(new ServedPrediction.ClassIndex(2)), samples.get(0).prediction());
        assertEquals(Optional.empty(), samples.get(1).prediction());
    }

    @Test
    void shouldAcceptTheShapeWhenOnlyAxesOfSizeOneDiffer() {
        // [1,2,2] is one sample without a batch axis; [1,2,2] as [batch=1] + [2,2] leaves out the channel axis.
        assertEquals(1, decode(json("\"shape\":[1,2,2],\"datatype\":\"FP32\",\"data\":[[[0,1],[2,100]]]", "")).samples().size());
        assertEquals(3, decode(json("\"shape\":[3,2,2],\"datatype\":\"FP32\",\"data\":[0,1,2,3,0,1,2,3,0,1,2,3]", "")).samples().size());
        assertEquals(1, decode(json("\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[[0,1],[2,100]]", "")).samples().size());
        // A vector model: [4] is one sample, [2,4] two.
        String vec = "{\"model_name\":\"vec\",\"inputs\":[{\"name\":\"x\",\"shape\":%s,\"datatype\":\"FP32\",\"data\":%s}]}";
        assertEquals(1, decode(String.format(vec, "[4]", "[1,2,3,4]")).samples().size());
        assertEquals(2, decode(String.format(vec, "[2,4]", "[[1,2,3,4],[5,6,7,8]]")).samples().size());
        assertRejected(decode(String.format(vec, "[2,2]", "[1,2,3,4]")), RejectReason.SHAPE_MISMATCH, "inputs[0].shape");
    }

    @Test
    void shouldSuggestOneSampleWithTheBatchAxisFirstWhenAFlatSampleIsSentToAnImageModel() {
        // 784 values in shape [784] are one 28 x 28 image: the suggestion is [1, 1, 28, 28], not [784, 1, 28, 28]
        assertEquals("inputs[0].shape [784] does not fit model mnist:1; expected [batch] + input.shape [1, 28, 28],"
                + " e.g. [1, 1, 28, 28]; axes of size 1 may be omitted (its 784 values are the element count of one sample"
                + " of input.shape [1, 28, 28], but values are never reshaped by resalign: send shape [1, 28, 28], or"
                + " [1, 1, 28, 28] with the batch axis first)", mnistRejection("[784]", 784));
    }

    @Test
    void shouldSuggestTheBatchTheValuesMakeWhenABatchOfFlatSamplesIsSent() {
        String batched = " (its 1568 values are the element count of 2 samples of input.shape [1, 28, 28], but values are"
                + " never reshaped by resalign: reshape to [2, 1, 28, 28], batch axis first, before sending)";
        assertEquals("inputs[0].shape [2, 784] does not fit model mnist:1; expected [batch] + input.shape [1, 28, 28],"
                + " e.g. [2, 1, 28, 28]; axes of size 1 may be omitted" + batched, mnistRejection("[2,784]", 1568));
        assertEquals("inputs[0].shape [1568] does not fit model mnist:1; expected [batch] + input.shape [1, 28, 28],"
                + " e.g. [2, 1, 28, 28]; axes of size 1 may be omitted" + batched, mnistRejection("[1568]", 1568));
        // a count that is no whole number of samples gets no reshape advice, and the first axis stays the batch
        assertEquals("inputs[0].shape [3, 100] does not fit model mnist:1; expected [batch] + input.shape [1, 28, 28],"
                + " e.g. [3, 1, 28, 28]; axes of size 1 may be omitted", mnistRejection("[3,100]", 300));
    }

    /** Decodes a V2 request of {@code values} zeros in {@code shape} for a [1, 28, 28] model and returns its rejection message. */
    private static String mnistRejection(String shape, int values) {
        SampleDecoder decoder = new SampleDecoder(io.resalign.sample.InMemoryModelCatalog.of(
                io.resalign.sample.ModelSpec.of("mnist", "1", new long[] {1, 28, 28}, 10, 64)));
        String data = String.join(",", java.util.Collections.nCopies(values, "0"));
        String json = "{\"model_name\":\"mnist\",\"model_version\":\"1\",\"id\":\"flat-1\",\"inputs\":[{\"name\":\"x\","
                + "\"shape\":" + shape + ",\"datatype\":\"FP32\",\"data\":[" + data + "]}]}";
        Decoded d = decoder.decode(RecordFixtures.TOPIC, 0, 7, RECORD_TIME, new RecordHeaders(),
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return assertRejected(d, RejectReason.SHAPE_MISMATCH, "inputs[0].shape").message();
    }

    @Test
    void shouldRejectNestedDataWhenItsNestingDiffersFromTheShape() {
        assertRejected(decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[[[[0,1,2],[100]]]]", "")),
                RejectReason.DATA_LENGTH_MISMATCH, "axis 3");
        assertRejected(decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[0,[1],2,100]", "")),
                RejectReason.DATA_LENGTH_MISMATCH, "ragged");
    }

    @Test
    void shouldTakeMetadataFromHeadersWhenThePayloadIsABareV2Request() {
        // What KServe's payload logger sends through a KafkaSink (binary mode): the body is the
        // plain V2 request, the model and request id are CloudEvents headers.
        RecordHeaders h = new RecordHeaders();
        h.add(SampleHeaders.CONTENT_TYPE, bytes("application/json; charset=utf-8"));
        h.add(SampleHeaders.CE_ID, bytes("5b4e1f0c"));
        h.add(SampleHeaders.CE_TYPE, bytes("org.kubeflow.serving.inference.request"));
        h.add(SampleHeaders.CE_TIME, bytes("2026-11-27T10:15:30.123Z"));
        h.add(SampleHeaders.CE_INFERENCE_SERVICE, bytes("vec"));
        String body = "{\"inputs\":[{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[[6.8,2.8,4.8,1.4]]}]}";

        SampleRecord r = single(decode(h, bytes(body)));

        assertEquals("vec", r.model());
        assertEquals("1", r.version()); // vec has one version
        assertEquals("5b4e1f0c", r.id());
        assertEquals(java.time.Instant.parse("2026-11-27T10:15:30.123Z").toEpochMilli(), r.timestamp());
    }

    @Test
    void shouldNameTheLoggerModeWhenAResponseEventArrives() {
        RecordHeaders h = new RecordHeaders();
        h.add(SampleHeaders.CE_TYPE, bytes("org.kubeflow.serving.inference.response"));
        h.add(SampleHeaders.CE_INFERENCE_SERVICE, bytes("vec"));
        String body = "{\"model_name\":\"vec\",\"outputs\":[{\"name\":\"p\",\"shape\":[1],\"datatype\":\"INT64\",\"data\":[1]}]}";

        Decoded.Rejection r = assertRejected(decode(h, bytes(body)), RejectReason.MISSING_FIELD, "inputs");
        assertTrue(r.message().contains("mode: request"), r.message());
    }

    @Test
    void shouldUnwrapTheDataWhenTheRecordIsAStructuredCloudEvent() {
        RecordHeaders h = new RecordHeaders();
        h.add(SampleHeaders.CONTENT_TYPE, bytes(SampleHeaders.CLOUDEVENT_CONTENT_TYPE));
        String event = "{\"specversion\":\"1.0\",\"id\":\"ev-7\",\"type\":\"org.kubeflow.serving.inference.request\","
                + "\"source\":\"http://localhost:9081/\",\"time\":\"2026-11-27T10:15:30Z\",\"inferenceservicename\":\"tiny\","
                + "\"data\":{\"model_version\":\"2\",\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[0,1,2,100]}]}}";

        SampleRecord r = single(decode(h, bytes(event)));

        assertEquals("tiny", r.model());
        assertEquals("2", r.version());
        assertEquals("ev-7", r.id());
        assertEquals(java.time.Instant.parse("2026-11-27T10:15:30Z").toEpochMilli(), r.timestamp());
    }

    @Test
    void shouldRequireAVersionWhenTheModelHasSeveral() {
        String body = json("").replace(",\"model_version\":\"1\"", "");
        Decoded.Rejection r = assertRejected(decode(body), RejectReason.MISSING_FIELD, "model_version");
        assertTrue(r.message().contains("[1, 2]"), r.message());
    }

    @Test
    void shouldNameTheHeaderWhenABinaryRecordLacksModelOrVersion() {
        Headers noModel = RejectReasonTest.without(binaryHeaders("FP32", "1,1,2,2"), SampleHeaders.MODEL);
        Headers noVersion = RejectReasonTest.without(binaryHeaders("FP32", "1,1,2,2"), SampleHeaders.VERSION);

        assertRejected(decode(noModel, tensor(Datatype.FP32, VALUES)), RejectReason.MISSING_HEADER, SampleHeaders.MODEL);
        assertRejected(decode(noVersion, tensor(Datatype.FP32, VALUES)), RejectReason.MISSING_HEADER, SampleHeaders.VERSION);
    }

    @Test
    void shouldDeriveIdAndTimeWhenTheRecordNamesNeither() {
        String body = json("").replace(",\"id\":\"req-1\"", "");
        SampleRecord r = single(RecordFixtures.decoder().decode("inference-samples", 3, 42, -1, null, bytes(body)));

        assertEquals("inference-samples-3@42", r.id());
        assertEquals(RecordFixtures.CLOCK_TIME, r.timestamp());
    }

    @Test
    void shouldAcceptLogitsAndRfc3339TimeWhenTheJsonCarriesThem() {
        SampleRecord r = single(decode(json(",\"timestamp\":\"2026-11-27T10:15:30Z\",\"prediction\":[0.1,-2.5,3.0]")));

        assertEquals(new ServedPrediction.Logits(new float[] {0.1f, -2.5f, 3.0f}), r.prediction().orElseThrow());
        assertEquals(2, r.prediction().orElseThrow().predictedClass());
        assertEquals(java.time.Instant.parse("2026-11-27T10:15:30Z").toEpochMilli(), r.timestamp());
    }

    @Test
    void shouldRejectNonFiniteValuesWhenTheyComeInAnyForm() {
        assertRejected(decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[0,1,-Infinity,100]", "")),
                RejectReason.NON_FINITE_VALUE, "inputs[0].data value 2");
        assertRejected(decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[0,1,\"NaN\",100]", "")),
                RejectReason.NON_FINITE_VALUE, "inputs[0].data value 2");
        assertRejected(decode(binaryHeaders("FP32", "1,1,2,2"), tensor(Datatype.FP32, 0, Float.POSITIVE_INFINITY, 2, 3)),
                RejectReason.NON_FINITE_VALUE, "value 1");
        assertRejected(decode(binaryHeaders("FP16", "1,1,2,2"), new byte[] {0, 0, 0, 0x7e, 0, 0, 0, 0}),
                RejectReason.NON_FINITE_VALUE, "value 1");
        // 1e300 is a finite double but no float32: the engine could not hold it.
        assertRejected(decode(json("\"shape\":[1,1,2,2],\"datatype\":\"FP64\",\"data\":[0,1,1e300,100]", "")),
                RejectReason.VALUE_OUT_OF_RANGE, "inputs[0].data value 2");
    }

    @Test
    void shouldRejectTheRecordWhenABinaryShapeHeaderIsNotANumberList() {
        assertRejected(decode(binaryHeaders("FP32", "1,a,2,2"), tensor(Datatype.FP32, VALUES)), RejectReason.INVALID_SHAPE,
                SampleHeaders.SHAPE);
        assertEquals(1, decode(binaryHeaders("FP32", "[1, 2, 2]"), tensor(Datatype.FP32, VALUES)).samples().size());
    }

    @Test
    void shouldRejectDuplicateKeysWhenTheJsonIsAmbiguous() {
        assertRejected(decode(json(",\"label\":1,\"label\":2")), RejectReason.MALFORMED_JSON, "JSON");
    }

    @Test
    void shouldRejectThePayloadAsMalformedWhenItNestsDeeperThan32Levels() {
        // Step 1: the root object and 31 levels of arrays in a field the decoder ignores: 32 levels, read.
        String deepest = json(",\"parameters\":" + "[".repeat(31) + "]".repeat(31));
        assertEquals(1, decode(deepest).samples().size());

        // Step 2: one level more is refused before any field is looked at, and the message says the limit.
        String tooDeep = json(",\"parameters\":" + "[".repeat(32) + "]".repeat(32));
        Decoded.Rejection r = assertRejected(decode(tooDeep), RejectReason.MALFORMED_JSON, "JSON");
        assertTrue(r.message().contains("nested deeper than 32 levels"), r.message());
    }

    private static SampleRecord single(Decoded d) {
        assertFalse(d.rejected(), () -> "expected samples but got " + d);
        assertEquals(1, d.samples().size());
        return d.samples().get(0);
    }
}
