package io.resalign.sample.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesReaderTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadOneNestedArrayPerLine() throws Exception {
        Path file = Fixtures.write(dir, "x.jsonl", "[[1, 2], [3, 4]]\n\n[[5, 6], [7, 8]]\n");
        SampleBatch b = JsonLinesReader.read(file);
        assertEquals(2, b.size());
        assertArrayEquals(new long[] {2, 2}, b.sampleShape());
        assertArrayEquals(Fixtures.floats(5, 6, 7, 8), b.sample(1));
    }

    @Test
    void shouldReadOneTensorObjectPerLine() throws Exception {
        Path file = Fixtures.write(dir, "x.jsonl",
                "{\"shape\": [3], \"data\": [1, 2, 3]}\r\n{\"shape\": [3], \"data\": [4, 5, 6]}");
        SampleBatch b = JsonLinesReader.read(file);
        assertEquals(2, b.size());
        assertArrayEquals(new long[] {3}, b.sampleShape());
        assertArrayEquals(Fixtures.floats(4, 5, 6), b.sample(1));
    }

    @Test
    void shouldNameLineOfRaggedSample() throws Exception {
        Path file = Fixtures.write(dir, "r.jsonl", "[1, 2, 3]\n[4, 5, 6]\n\n[7, 8]\n");
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonLinesReader.read(file));
        assertTrue(e.getMessage().contains("r.jsonl (line 4, column 6): ragged array: sample 2 axis 0 has 2 entries,"
                + " expected 3 (sample shape [3] from sample 0)"), e.getMessage());
    }

    @Test
    void shouldNameLineOfMismatchedTensor() throws Exception {
        Path file = Fixtures.write(dir, "m.jsonl",
                "{\"shape\": [2, 2], \"data\": [1, 2, 3, 4]}\n{\"shape\": [2, 2], \"data\": [1, 2, 3]}\n");
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonLinesReader.read(file));
        assertTrue(e.getMessage().contains("m.jsonl (line 2, "), e.getMessage());
        assertTrue(e.getMessage().endsWith("sample 1.data has 3 values; expected 4 values for shape [2, 2],"
                + " flat (row-major) or nested as the shape"), e.getMessage());
    }

    @Test
    void shouldRejectALineWhenItNestsDeeperThan32Levels() throws Exception {
        // Step 1: a line of 32 levels (the sample's own axes: no top-level array in JSON Lines) is read.
        String deepest = "[".repeat(32) + "7" + "]".repeat(32);
        assertEquals(32, JsonLinesReader.read(Fixtures.write(dir, "ok.jsonl", deepest + "\n")).sampleShape().length);

        // Step 2: a line of 33 levels is refused, naming the line and the limit.
        Path deep = Fixtures.write(dir, "deep.jsonl", deepest + "\n[" + deepest + "]\n");
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonLinesReader.read(deep));
        assertTrue(e.getMessage().contains("deep.jsonl (line 2): invalid JSON: arrays and objects are nested deeper than 32 levels"),
                e.getMessage());
    }

    @Test
    void shouldNameLineAndSampleWhenATensorObjectBreaksTheSharedRules() throws Exception {
        Path file = Fixtures.write(dir, "t.jsonl", "{\"shape\": [2], \"data\": [1, 2]}\n"
                + "  {\"shape\": [2], \"datatype\": \"BYTES\", \"data\": [\"aGk=\", \"aGk=\"]}\n");
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonLinesReader.read(file));
        assertTrue(e.getMessage().contains("t.jsonl (line 2, column 3): sample 1.datatype is BYTES; expected a numeric datatype"),
                e.getMessage());
    }

    @Test
    void shouldRejectTwoValuesOnOneLineAndBrokenLines() throws Exception {
        Path two = Fixtures.write(dir, "two.jsonl", "[1, 2]\n[3, 4] [5, 6]\n");
        InputFormatException e = assertThrows(InputFormatException.class, () -> JsonLinesReader.read(two));
        assertTrue(e.getMessage().contains("two.jsonl (line 2, column 8): unexpected content after the sample"),
                e.getMessage());

        Path broken = Fixtures.write(dir, "broken.jsonl", "[1, 2]\n[3, 4\n");
        e = assertThrows(InputFormatException.class, () -> JsonLinesReader.read(broken));
        assertTrue(e.getMessage().contains("broken.jsonl (line 2, column 6): invalid JSON"), e.getMessage());

        Path empty = Fixtures.write(dir, "empty.jsonl", "\n\n");
        e = assertThrows(InputFormatException.class, () -> JsonLinesReader.read(empty));
        assertTrue(e.getMessage().endsWith("empty.jsonl: contains no samples"), e.getMessage());
    }
}
