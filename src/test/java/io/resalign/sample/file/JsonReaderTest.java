package io.resalign.sample.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonReaderTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadNestedArraysWithFirstAxisAsSamples() throws Exception {
        Path file = Fixtures.write(dir, "x.json", "[[[1, 2], [3, 4.5]], [[-5, 6e-1], [7, 8]], [[9, 10], [11, 12]]]");
        SampleBatch b = JsonReader.read(file);
        assertEquals(3, b.size());
        assertArrayEquals(new long[] {2, 2}, b.sampleShape());
        assertArrayEquals(Fixtures.floats(-5, 0.6, 7, 8), b.sample(1));
    }

    @Test
    void shouldReadNumbersAsScalarSamples() throws Exception {
        SampleBatch b = JsonReader.read(Fixtures.write(dir, "x.json", "[1, 2, 3]"));
        assertEquals(3, b.size());
        assertArrayEquals(new long[0], b.sampleShape());
    }

    @Test
    void shouldReadTensorObjectsOfOneShape() throws Exception {
        Path file = Fixtures.write(dir, "v2.json", "[{\"name\": \"input-0\", \"shape\": [1, 2, 2], \"datatype\": \"FP32\","
                + " \"data\": [1, 2, 3, 4]}, {\"data\": [[[5, 6], [7, 8]]], \"shape\": [1, 2, 2]}]");
        SampleBatch b = JsonReader.read(file);
        assertEquals(2, b.size());
        assertArrayEquals(new long[] {1, 2, 2}, b.sampleShape());
        assertArrayEquals(Fixtures.floats(1, 2, 3, 4, 5, 6, 7, 8), b.data());
    }

    @Test
    void shouldMatchNumpyTolist() throws Exception {
        Fixtures.python(String.join("\n",
                "import sys, json, numpy as np",
                "a = np.random.default_rng(3).standard_normal((4, 3, 5)).astype(np.float32)",
                "np.save(sys.argv[1] + '/a.npy', a)",
                "json.dump(a.tolist(), open(sys.argv[1] + '/a.json', 'w'))",
                "with open(sys.argv[1] + '/a.jsonl', 'w') as f:",
                "    for s in a:",
                "        f.write(json.dumps({'shape': list(s.shape), 'data': s.ravel().tolist()}) + '\\n')"), dir);
        SampleBatch npy = NpyReader.read(dir.resolve("a.npy"));
        SampleBatch json = JsonReader.read(dir.resolve("a.json"));
        SampleBatch lines = JsonLinesReader.read(dir.resolve("a.jsonl"));
        assertArrayEquals(npy.sampleShape(), json.sampleShape());
        assertArrayEquals(npy.data(), json.data());
        assertArrayEquals(npy.sampleShape(), lines.sampleShape());
        assertArrayEquals(npy.data(), lines.data());
    }

    @Test
    void shouldReadNanAndInfinityTokens() throws Exception {
        SampleBatch b = JsonReader.read(Fixtures.write(dir, "x.json", "[[NaN, Infinity, -Infinity, 1]]"));
        assertTrue(Float.isNaN(b.data()[0]));
        assertEquals(Float.POSITIVE_INFINITY, b.data()[1]);
        assertEquals(Float.NEGATIVE_INFINITY, b.data()[2]);
    }

    @Test
    void shouldRejectRaggedArrayWithinFirstSample() throws Exception {
        Path file = Fixtures.write(dir, "r.json", "[[[1, 2, 3],\n  [4, 5]]]");
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonReader.read(file));
        assertTrue(e.getMessage().contains("r.json (line 2, column 8): ragged array: sample 0 axis 1 has 2 entries,"
                + " expected 3 (sample shape [?, 3] so far)"), e.getMessage());
    }

    @Test
    void shouldRejectRaggedSampleAgainstFirstSample() throws Exception {
        Path file = Fixtures.write(dir, "r.json", "[[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 2]]");
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonReader.read(file));
        assertTrue(e.getMessage().contains("ragged array: sample 3 axis 0 has 2 entries, expected 3"
                + " (sample shape [3] from sample 0)"), e.getMessage());

        Path longer = Fixtures.write(dir, "l.json", "[[1, 2], [3, 4, 5]]");
        e = assertThrows(InputFormatException.class, () -> JsonReader.read(longer));
        assertTrue(e.getMessage().contains("(line 1, column 17): ragged array: sample 1 axis 0 has more than 2 entries"),
                e.getMessage());

        Path deeper = Fixtures.write(dir, "d.json", "[[1, 2], [3, [4]]]");
        e = assertThrows(InputFormatException.class, () -> JsonReader.read(deeper));
        assertTrue(e.getMessage().contains("ragged array: sample 1 has an array at depth 1 where a number was expected"),
                e.getMessage());

        Path shallower = Fixtures.write(dir, "s.json", "[[[1], [2]], [3, 4]]");
        e = assertThrows(InputFormatException.class, () -> JsonReader.read(shallower));
        assertTrue(e.getMessage().contains("ragged array: sample 1 has a '3' at depth 1 where an array was expected"),
                e.getMessage());
    }

    @Test
    void shouldRejectTensorWithWrongValueCount() throws Exception {
        StringBuilder json = new StringBuilder("[");
        for (int s = 0; s < 4; s++) {
            int n = s == 3 ? 783 : 784;
            json.append(s == 0 ? "" : ",").append("\n{\"shape\": [1, 28, 28], \"data\": [");
            for (int i = 0; i < n; i++) {
                json.append(i == 0 ? "" : ",").append(i % 7);
            }
            json.append("]}");
        }
        Path file = Fixtures.write(dir, "x.json", json.append("]").toString());
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonReader.read(file));
        assertTrue(e.getMessage().contains("x.json (line 5, "), e.getMessage());
        assertTrue(e.getMessage().endsWith("sample 3.data has 783 values; expected 784 values for shape [1, 28, 28],"
                + " flat (row-major) or nested as the shape"), e.getMessage());
    }

    @Test
    void shouldRejectTensorsOfDifferentShapes() throws Exception {
        Path file = Fixtures.write(dir, "x.json",
                "[{\"shape\": [2], \"data\": [1, 2]}, {\"shape\": [1, 2], \"data\": [3, 4]}]");
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonReader.read(file));
        assertTrue(e.getMessage().contains("sample 1 has shape [1, 2], expected [2] like sample 0"), e.getMessage());
    }

    @Test
    void shouldRejectMalformedTensorObjects() throws Exception {
        assertMessage("[{\"shape\": [2], \"dta\": [1, 2]}]", "sample 0 has unknown key 'dta'");
        assertMessage("[{\"shape\": [2]}]", "sample 0.data is missing; expected the tensor's values");
        assertMessage("[{\"data\": [1, 2]}]", "sample 0.shape is missing; expected the tensor's shape");
        assertMessage("[{\"shape\": [2, 0], \"data\": []}]",
                "sample 0.shape [2, 0] has a non-positive dimension; expected positive integers");
        assertMessage("[{\"shape\": [2], \"datatype\": \"BYTES\", \"data\": [1, 2]}]",
                "sample 0.datatype is BYTES; expected a numeric datatype");
        assertMessage("[{\"shape\": [2], \"data\": [1, 2]}, [3, 4]]",
                "sample 1 is a array but sample 0 is a tensor object");
    }

    @Test
    void shouldCheckTensorObjectsAsTheServiceDoesWhenTheyNameADatatype() throws Exception {
        // Step 1: BOOL takes true/false, BF16 and INT8 take what fits them, as in a sample record.
        Path file = Fixtures.write(dir, "dt.json", "[{\"shape\": [3], \"datatype\": \"BOOL\", \"data\": [true, false, 1]},"
                + " {\"shape\": [3], \"datatype\": \"BF16\", \"data\": [0.5, -2, 3e38]},"
                + " {\"shape\": [3], \"datatype\": \"INT8\", \"data\": [-128, 0, 127]}]");
        assertArrayEquals(Fixtures.floats(1, 0, 1, 0.5, -2, 3e38, -128, 0, 127), JsonReader.read(file).data());

        // Step 2: values that do not fit their datatype are refused at read time, naming the sample's start.
        assertMessage("[{\"shape\": [2], \"data\": [1, 2]},\n {\"shape\": [2], \"datatype\": \"UINT8\", \"data\": [1, 300]}]",
                "(line 2, column 2): sample 1.data value 1 is 300; expected UINT8 values [0, 255]");
        assertMessage("[{\"shape\": [2], \"datatype\": \"INT32\", \"data\": [1, 1.5]}]",
                "sample 0.data value 1 is 1.5; expected integers for datatype INT32");
        assertMessage("[{\"shape\": [2], \"datatype\": \"fp32\", \"data\": [1, 2]}]",
                "sample 0.datatype 'fp32' is not supported; expected one of");
        assertMessage("[{\"shape\": [2], \"datatype\": \"FP32\", \"data\": [1, true]}]",
                "sample 0.data value 1 is a boolean (true); expected a number (datatype FP32)");
        // The shape is 1 to 16 axes, as a record's: a scalar sample is written as a bare number.
        assertMessage("[{\"shape\": [], \"data\": [1]}]", "sample 0.shape has 0 dimensions; expected 1 to 16 positive integers");
    }

    @Test
    void shouldReadTensorObjectsAsFp32WhenTheyHaveNoDatatype() throws Exception {
        assertArrayEquals(Fixtures.floats(1.5, -3e38), JsonReader.read(Fixtures.write(dir, "x.json",
                "[{\"shape\": [2], \"data\": [1.5, -3e38]}]")).data());
        assertMessage("[{\"shape\": [1], \"data\": [1e39]}]",
                "sample 0.data value 0 is 1.0E39; expected FP32 values finite and within");
    }

    @Test
    void shouldRejectNanInATensorObjectWhenReadingIt() throws Exception {
        // A nested array keeps NaN for the engine to refuse (shouldReadNanAndInfinityTokens); a tensor
        // object is checked as the service checks it, at once.
        assertMessage("[{\"shape\": [2], \"data\": [1, NaN]}]",
                "(line 1, column 2): sample 0.data value 1 is NaN; expected finite numbers only");
        assertMessage("[{\"shape\": [2], \"data\": [-Infinity, 1]}]", "sample 0.data value 0 is -Infinity; expected finite");
    }

    @Test
    void shouldRejectTensorObjectWhenItsDataIsNestedUnlikeItsShape() throws Exception {
        // The protocol's data is flat or nested as the shape: [[5, 6], [7, 8]] is a [2, 2] tensor, not [1, 2, 2].
        assertMessage("[{\"data\": [[5, 6], [7, 8]], \"shape\": [1, 2, 2]}]",
                "sample 0.data is nested differently: axis 0 has 2 entries where the shape says 1; expected 4 values");
        assertMessage("[{\"shape\": [2, 2], \"data\": [[1, 2], 3]}]",
                "sample 0.data is ragged: a number at axis 1 where a list was expected");
    }

    @Test
    void shouldRejectTensorObjectWhenAKeyIsRepeated() throws Exception {
        assertMessage("[{\"shape\": [2], \"data\": [1, 2], \"data\": [3, 4]}]",
                "(line 1, column 39): invalid JSON: Duplicate field 'data'");
    }

    @Test
    void shouldRejectJsonWhenItNestsDeeperThan32Levels() throws Exception {
        // Step 1: the top-level array and a sample of 31 axes: 32 levels, read.
        SampleBatch deepest = JsonReader.read(Fixtures.write(dir, "ok.json", "[" + "[".repeat(31) + "7" + "]".repeat(31) + "]"));
        assertEquals(31, deepest.sampleShape().length);

        // Step 2: one level more is refused, naming the sample and the limit.
        String axes31 = "[".repeat(31) + "7" + "]".repeat(31);
        assertMessage("[" + axes31 + ", [" + axes31 + "]]",
                "(sample 1): invalid JSON: arrays and objects are nested deeper than 32 levels");
        assertMessage("[{\"shape\": [1], \"data\": " + "[".repeat(31) + "7" + "]".repeat(31) + "}]",
                "(sample 0): invalid JSON: arrays and objects are nested deeper than 32 levels");
    }

    @Test
    void shouldRejectNonNumbersAndEmptyInput() throws Exception {
        assertMessage("[[1, \"2\"]]", "(line 1, column 6): sample 0: expected a number, found the string \"2\"");
        assertMessage("[[1, null]]", "sample 0: expected a number, found null");
        assertMessage("[[[1], []]]", "sample 0 has an empty array at axis 1");
        assertMessage("[[]]", "sample 0 has an empty array at axis 0");
        assertMessage("[]", "contains no samples");
        assertMessage("", "expected a top-level array of samples, found an empty file");
        assertMessage("{\"shape\": [1], \"data\": [1]}",
                "expected a top-level array of samples, found an object (wrap tensor objects in an array");
        assertMessage("[[1e39]]", "sample 0: value 1e39 is outside the float range");
    }

    @Test
    void shouldRejectInvalidOrTruncatedJson() throws Exception {
        assertMessage("[[1, 2], [3, 4]", "(line 1, column 16): invalid JSON: Unexpected end-of-input");
        assertMessage("[[1, 2]] [3]", "unexpected content after the top-level array: [");
        assertMessage("[[1, 2,, 3]]", "(line 1, column 8): invalid JSON: Unexpected character (',' (code 44))");
    }

    private void assertMessage(String json, String expected) throws Exception {
        Path file = Fixtures.write(dir, "bad.json", json);
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonReader.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "for " + json + ": " + e.getMessage());
    }
}
