package io.resalign.sample.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdxReaderTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "type {0}")
    @CsvSource({"8", "9", "11", "12", "13", "14"})
    void shouldRoundTripEveryIdxType(int type) throws Exception {
        double[] values = type == 0x08 ? new double[] {0, 1, 127, 128, 200, 255}
                : type == 0x09 ? new double[] {-128, -1, 0, 1, 100, 127}
                : type == 0x0B ? new double[] {-32768, -1, 0, 1, 300, 32767}
                : type == 0x0C ? new double[] {-2_000_000, -1, 0, 1, 16_777_216, 123_456}
                : new double[] {-1.5, 0, 0.25, 3.0e10, -7.125, 1e-3};
        Path file = Fixtures.idx(dir, "x.idx", type, new int[] {2, 3}, values);
        SampleBatch b = IdxReader.read(file);
        assertEquals(2, b.size());
        assertArrayEquals(new long[] {3}, b.sampleShape());
        assertArrayEquals(Fixtures.floats(values), b.data());
    }

    @Test
    void shouldKeepUnsignedBytesUnscaled() throws Exception {
        Path file = Fixtures.idx(dir, "images-idx3-ubyte", 0x08, new int[] {1, 2, 2}, new double[] {0, 17, 254, 255});
        SampleBatch b = IdxReader.read(file);
        assertArrayEquals(new long[] {2, 2}, b.sampleShape());
        assertArrayEquals(Fixtures.floats(0, 17, 254, 255), b.sample(0));
    }

    @Test
    void shouldReadGzippedIdx() throws Exception {
        byte[] raw = Fixtures.idxBytes(0x08, new int[] {3, 2, 2}, new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        SampleBatch b = IdxReader.read(Fixtures.gzip(dir, "t-images-idx3-ubyte.gz", raw));
        assertEquals(3, b.size());
        assertArrayEquals(Fixtures.floats(9, 10, 11, 12), b.sample(2));
    }

    @Test
    void shouldReadLabelsOfIntegerAndWholeFloatTypes() throws Exception {
        assertArrayEquals(new int[] {9, 0, 255},
                IdxReader.readLabels(Fixtures.idx(dir, "l-idx1-ubyte", 0x08, new int[] {3}, new double[] {9, 0, 255})));
        assertArrayEquals(new int[] {-3, 70000},
                IdxReader.readLabels(Fixtures.idx(dir, "l.idx", 0x0C, new int[] {2}, new double[] {-3, 70000})));
        assertArrayEquals(new int[] {4, 2},
                IdxReader.readLabels(Fixtures.idx(dir, "f.idx", 0x0D, new int[] {2, 1}, new double[] {4, 2})));
    }

    @Test
    void shouldRejectFractionalLabel() throws Exception {
        Path file = Fixtures.idx(dir, "f.idx", 0x0E, new int[] {3}, new double[] {1, 2, 2.5});
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.readLabels(file));
        assertTrue(e.getMessage().contains("f.idx (label 2, byte 24): expected a whole number for a label, found 2.5"),
                e.getMessage());
    }

    @Test
    void shouldRejectMultiDimensionalLabelFile() throws Exception {
        Path file = Fixtures.idx(dir, "l.idx", 0x08, new int[] {2, 2}, new double[] {1, 2, 3, 4});
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.readLabels(file));
        assertTrue(e.getMessage().contains("expected a 1-D label file, found shape [2, 2]"), e.getMessage());
    }

    @Test
    void shouldRejectTruncatedIdxData() throws Exception {
        byte[] full = Fixtures.idxBytes(0x08, new int[] {10, 28, 28}, new double[10 * 784]);
        Path file = Fixtures.write(dir, "cut-idx3-ubyte", java.util.Arrays.copyOf(full, 16 + 1000));
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(file));
        assertTrue(e.getMessage().contains("cut-idx3-ubyte (byte 1016): truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("7840 unsigned byte values after the 16-byte header"), e.getMessage());
        assertEquals("byte 1016", e.position());
    }

    @Test
    void shouldRejectTruncatedIdxHeader() throws Exception {
        Path file = Fixtures.write(dir, "h.idx", new byte[] {0, 0, 8, 3, 0, 0, 0, 10, 0, 0});
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(file));
        assertTrue(e.getMessage().contains("(byte 10): truncated: file ends while reading the 3 IDX dimensions"),
                e.getMessage());
    }

    @Test
    void shouldRejectTruncatedGzipStream() throws Exception {
        byte[] raw = Fixtures.idxBytes(0x0D, new int[] {50, 20}, new double[1000]);
        Path gz = Fixtures.gzip(dir, "full.idx.gz", raw);
        Path cut = Fixtures.write(dir, "cut.idx.gz", Fixtures.head(gz, (int) java.nio.file.Files.size(gz) - 12));
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(cut));
        assertTrue(e.getMessage().contains("cut.idx.gz (byte "), e.getMessage());
        assertTrue(e.getMessage().contains("of the decompressed data"), e.getMessage());
    }

    @Test
    void shouldRejectWrongIdxMagic() throws Exception {
        Path file = Fixtures.write(dir, "bad.idx", new byte[] {0x50, 0x4b, 3, 4, 0, 0, 0, 1, 9});
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(file));
        assertEquals(file + " (byte 0): not an IDX file: expected magic 00 00 TT DD with TT one of"
                + " 08, 09, 0B, 0C, 0D, 0E, found 50 4b 03 04", e.getMessage());
    }

    @Test
    void shouldRejectUnknownIdxType() throws Exception {
        Path file = Fixtures.write(dir, "bad.idx", new byte[] {0, 0, 0x0A, 1, 0, 0, 0, 1, 9});
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(file));
        assertTrue(e.getMessage().contains("found 00 00 0a 01"), e.getMessage());
    }

    @Test
    void shouldRejectIdxWithZeroDimensionsOrSamples() throws Exception {
        Path none = Fixtures.write(dir, "zero.idx", new byte[] {0, 0, 8, 0});
        assertTrue(assertThrows(InputFormatException.class, () -> IdxReader.read(none)).getMessage()
                .contains("IDX file has 0 dimensions; expected at least 1 (the sample axis)"));
        Path empty = Fixtures.idx(dir, "empty.idx", 0x08, new int[] {0, 4}, new double[0]);
        assertTrue(assertThrows(InputFormatException.class, () -> IdxReader.read(empty)).getMessage()
                .contains("(byte 4): dimension 0 is 0; expected 1..2147483647 (the file contains no samples)"));
    }

    @Test
    void shouldRejectTrailingBytes() throws Exception {
        byte[] ok = Fixtures.idxBytes(0x08, new int[] {2}, new double[] {1, 2});
        byte[] longer = java.util.Arrays.copyOf(ok, ok.length + 3);
        Path file = Fixtures.write(dir, "long.idx", longer);
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(file));
        assertTrue(e.getMessage().contains("long.idx (byte 10): unexpected trailing bytes after 2 values of shape [2]"),
                e.getMessage());
    }

    @Test
    void shouldRejectDoubleOutsideFloatRange() throws Exception {
        Path file = Fixtures.idx(dir, "big.idx", 0x0E, new int[] {2, 2}, new double[] {0, 1, 2, 1e300});
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(file));
        assertTrue(e.getMessage().contains("big.idx (sample 1, byte 36): double value 1.0E300 is outside the float range"),
                e.getMessage());
    }

    @Test
    void shouldRejectNonGzipFileNamedGz() throws Exception {
        Path file = Fixtures.idx(dir, "plain-idx1-ubyte.gz", 0x08, new int[] {1}, new double[] {1});
        InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(file));
        assertTrue(e.getMessage().contains("named .gz but does not start with the gzip magic 1f 8b"), e.getMessage());
    }
}
