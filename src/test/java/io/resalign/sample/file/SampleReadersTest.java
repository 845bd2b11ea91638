package io.resalign.sample.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleReadersTest {

    @TempDir
    Path dir;

    @Test
    void shouldDetectFormatByName() throws Exception {
        byte[] idx = Fixtures.idxBytes(0x08, new int[] {1}, new double[] {1});
        assertEquals(SampleFormat.IDX, SampleReaders.detect(Fixtures.write(dir, "train-images-idx3-ubyte", idx)));
        assertEquals(SampleFormat.IDX, SampleReaders.detect(Fixtures.write(dir, "x.idx", idx)));
        assertEquals(SampleFormat.IDX, SampleReaders.detect(Fixtures.write(dir, "x.idx3", idx)));
        assertEquals(SampleFormat.IDX, SampleReaders.detect(Fixtures.gzip(dir, "t10k-labels-idx1-ubyte.gz", idx)));
        assertEquals(SampleFormat.NPY, SampleReaders.detect(Fixtures.write(dir, "x.NPY", "")));
        assertEquals(SampleFormat.JSON, SampleReaders.detect(Fixtures.write(dir, "x.json", "")));
        assertEquals(SampleFormat.JSON_LINES, SampleReaders.detect(Fixtures.write(dir, "x.jsonl", "")));
        assertEquals(SampleFormat.JSON_LINES, SampleReaders.detect(Fixtures.write(dir, "x.ndjson", "")));
    }

    @Test
    void shouldDetectFormatByContentWhenNameSaysNothing() throws Exception {
        byte[] idx = Fixtures.idxBytes(0x0D, new int[] {2, 2}, new double[] {1, 2, 3, 4});
        Path idxFile = Fixtures.write(dir, "samples.bin", idx);
        assertEquals(SampleFormat.IDX, SampleReaders.detect(idxFile));
        assertArrayEquals(Fixtures.floats(3, 4), SampleReaders.read(idxFile).sample(1));

        assertEquals(SampleFormat.JSON, SampleReaders.detect(Fixtures.write(dir, "a.txt", "  \n[[1]]")));
        assertEquals(SampleFormat.JSON_LINES, SampleReaders.detect(Fixtures.write(dir, "b.txt", "{\"shape\":[1]}")));
        Path gz = Fixtures.gzip(dir, "c.bin", "[[1, 2], [3, 4]]".getBytes(StandardCharsets.UTF_8));
        assertEquals(SampleFormat.JSON, SampleReaders.detect(gz));
        assertEquals(2, SampleReaders.read(gz).size());
    }

    @Test
    void shouldDetectNpyMagicAndReadNumpyFile() throws Exception {
        Fixtures.python("import sys, numpy as np\n"
                + "np.save(sys.argv[1] + '/a.npy', np.arange(12, dtype='<i4').reshape(3, 4))", dir);
        Path renamed = Files.move(dir.resolve("a.npy"), dir.resolve("a.dat"));
        assertEquals(SampleFormat.NPY, SampleReaders.detect(renamed));
        SampleBatch b = SampleReaders.read(renamed);
        assertArrayEquals(new long[] {4}, b.sampleShape());
        assertArrayEquals(Fixtures.floats(8, 9, 10, 11), b.sample(2));
    }

    @Test
    void shouldRejectUnrecognisedFile() throws Exception {
        Path file = Fixtures.write(dir, "notes.txt", "hello");
        InputFormatException e = assertThrows(InputFormatException.class, () -> SampleReaders.read(file));
        assertTrue(e.getMessage().contains("notes.txt (byte 0): cannot tell the format: expected a name ending in"
                + " .npy, .idx, *-ubyte, .json, .jsonl or .ndjson (optionally .gz)"), e.getMessage());
    }

    @Test
    void shouldReadInGivenFormatWhateverTheName() throws Exception {
        Path file = Fixtures.write(dir, "x.data", "[1, 2]\n[3, 4]\n");
        SampleBatch b = SampleReaders.read(file, SampleFormat.JSON_LINES);
        assertEquals(2, b.size());
        assertArrayEquals(new long[] {2}, b.sampleShape());
    }

    @Test
    void shouldReadLabelsFromEveryFormat() throws Exception {
        Path idx = Fixtures.gzip(dir, "l-idx1-ubyte.gz", Fixtures.idxBytes(0x08, new int[] {3}, new double[] {9, 2, 1}));
        assertArrayEquals(new int[] {9, 2, 1}, SampleReaders.readLabels(idx));
        assertArrayEquals(new int[] {4, 0}, SampleReaders.readLabels(Fixtures.write(dir, "l.json", "[4, 0]")));
        assertArrayEquals(new int[] {4, 0}, SampleReaders.readLabels(Fixtures.write(dir, "l.jsonl", "[4]\n[0]\n")));
        Fixtures.python("import sys, numpy as np\nnp.save(sys.argv[1] + '/l.npy', np.array([7, 3, 5], dtype='<i8'))",
                dir);
        assertArrayEquals(new int[] {7, 3, 5}, SampleReaders.readLabels(dir.resolve("l.npy")));
    }

    @Test
    void shouldRejectLabelsThatAreNotWholeNumbersOrNotOneDimensional() throws Exception {
        Path fractional = Fixtures.write(dir, "f.json", "[1, 2.5]");
        InputFormatException e = assertThrows(InputFormatException.class, () -> SampleReaders.readLabels(fractional));
        assertTrue(e.getMessage().contains("f.json (label 1): expected a whole number, found 2.5"), e.getMessage());
        Path matrix = Fixtures.write(dir, "m.json", "[[1, 2], [3, 4]]");
        e = assertThrows(InputFormatException.class, () -> SampleReaders.readLabels(matrix));
        assertTrue(e.getMessage().contains("m.json: expected a 1-D array of labels, found 2 entries of shape [2]"),
                e.getMessage());
    }

    @Test
    void shouldAttachLabelsAndCheckTheirCount() throws Exception {
        Path images = Fixtures.idx(dir, "i-idx3-ubyte", 0x08, new int[] {2, 1, 2}, new double[] {1, 2, 3, 4});
        Path labels = Fixtures.idx(dir, "l-idx1-ubyte", 0x08, new int[] {2}, new double[] {5, 6});
        SampleBatch b = SampleReaders.readLabelled(images, labels);
        assertArrayEquals(new int[] {5, 6}, b.labels());

        Path three = Fixtures.idx(dir, "three-idx1-ubyte", 0x08, new int[] {3}, new double[] {5, 6, 7});
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> SampleReaders.readLabelled(images, three));
        assertTrue(e.getMessage().contains("three-idx1-ubyte: 3 labels for the 2 samples of " + images), e.getMessage());
    }

    @Test
    void shouldCheckSampleShapeAgainstModelInput() throws Exception {
        Path file = Fixtures.write(dir, "x.json", "[[1, 2, 3], [4, 5, 6]]");
        assertArrayEquals(new long[] {1, 3, 1}, SampleReaders.read(file).requireSampleShape(new long[] {1, 3, 1})
                .sampleShape());
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> SampleReaders.read(file).requireSampleShape(new long[] {1, 2, 2}));
        assertTrue(e.getMessage().contains("x.json: samples have shape [3] (3 values), expected 4 values"
                + " (shape [1, 2, 2])"), e.getMessage());
    }
}
