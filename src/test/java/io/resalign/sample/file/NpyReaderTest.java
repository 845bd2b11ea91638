package io.resalign.sample.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyReaderTest {

    /**
     * Writes arrays with numpy and, in expected.json, their shape and their values as numpy
     * itself converts them to float32.
     */
    private static final String WRITE_ARRAYS = String.join("\n",
            "import sys, json, numpy as np",
            "d = sys.argv[1]",
            "rng = np.random.default_rng(7)",
            "cases = {",
            "  'f4_images': rng.standard_normal((5, 1, 28, 28)).astype('<f4'),",
            "  'f8_matrix': (rng.standard_normal((7, 10)) * 1e3).astype('<f8'),",
            "  'u1_images': rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),",
            "  'i4_pairs': rng.integers(-2**31, 2**31 - 1, (6, 3), dtype='<i4'),",
            "  'i8_wide': rng.integers(-2**40, 2**40, (3, 4), dtype='<i8'),",
            "  'be_f4': rng.standard_normal((2, 3, 2)).astype('>f4'),",
            "  'be_f8': rng.standard_normal((3, 5)).astype('>f8'),",
            "  'be_i4': rng.integers(-1000, 1000, (4, 2)).astype('>i4'),",
            "  'be_i8': rng.integers(-2**33, 2**33, (2, 2)).astype('>i8'),",
            "  'vector_i8': np.arange(10, dtype='<i8'),",
            "  'single_sample': rng.random((1, 784)).astype('<f4'),",
            "}",
            "expected = {}",
            "for name, a in cases.items():",
            "    np.save(f'{d}/{name}.npy', a)",
            "    expected[name] = {'shape': list(a.shape), 'dtype': a.dtype.str,",
            "                      'values': [float(v) for v in a.astype(np.float32).ravel()]}",
            "for version in [(2, 0), (3, 0)]:",
            "    a = rng.standard_normal((3, 4)).astype('<f4')",
            "    name = f'v{version[0]}'",
            "    with open(f'{d}/{name}.npy', 'wb') as f:",
            "        np.lib.format.write_array(f, a, version=version)",
            "    expected[name] = {'shape': list(a.shape), 'dtype': a.dtype.str,",
            "                      'values': [float(v) for v in a.astype(np.float32).ravel()]}",
            "json.dump(expected, open(f'{d}/expected.json', 'w'))",
            "np.save(f'{d}/fortran.npy', np.asfortranarray(rng.random((3, 4))))",
            "np.save(f'{d}/half.npy', rng.random((2, 2)).astype('<f2'))",
            "np.save(f'{d}/scalar.npy', np.float32(3))",
            "np.save(f'{d}/empty.npy', np.zeros((0, 5), dtype='<f4'))",
            "np.save(f'{d}/structured.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))",
            "np.save(f'{d}/special.npy', np.array([[np.nan, np.inf, -np.inf, 1.5]], dtype='<f4'))",
            "np.save(f'{d}/huge.npy', np.array([[1.0, 2.0], [3.0, 1e300]]))",
            "np.save(f'{d}/zero_axis.npy', np.zeros((3, 0), dtype='<f4'))");

    @TempDir
    static Path dir;

    private static JsonNode expected;

    @BeforeAll
    static void writeWithNumpy() throws Exception {
        Fixtures.python(WRITE_ARRAYS, dir);
        ObjectMapper mapper = JsonMapper.builder().build();
        expected = mapper.readTree(dir.resolve("expected.json").toFile());
    }

    @Test
    void shouldReadEveryArrayWrittenByNumpy() throws Exception {
        assertEquals(13, expected.size());
        for (Map.Entry<String, JsonNode> c : expected.properties()) {
            assertMatchesNumpy(c.getKey(), c.getValue());
        }
    }

    @Test
    void shouldReadFloat32NpyWrittenByNumpy() throws Exception {
        SampleBatch b = assertMatchesNumpy("f4_images", expected.get("f4_images"));
        assertEquals(5, b.size());
        assertArrayEquals(new long[] {1, 28, 28}, b.sampleShape());
    }

    @Test
    void shouldReadUint8NpyWithoutScaling() throws Exception {
        SampleBatch b = assertMatchesNumpy("u1_images", expected.get("u1_images"));
        assertArrayEquals(new long[] {28, 28}, b.sampleShape());
        for (float v : b.data()) {
            assertTrue(v >= 0 && v <= 255 && v == Math.rint(v), "unscaled byte value expected, got " + v);
        }
    }

    @Test
    void shouldReadBigEndianAndVersion2And3Headers() throws Exception {
        for (String name : new String[] {"be_f4", "be_f8", "be_i4", "be_i8", "v2", "v3"}) {
            assertMatchesNumpy(name, expected.get(name));
        }
        assertEquals(3, Files.readAllBytes(dir.resolve("v3.npy"))[6]);
    }

    @Test
    void shouldReadVectorAsScalarSamples() throws Exception {
        SampleBatch b = assertMatchesNumpy("vector_i8", expected.get("vector_i8"));
        assertEquals(10, b.size());
        assertArrayEquals(new long[0], b.sampleShape());
    }

    @Test
    void shouldKeepNanAndInfinityAsRead() throws Exception {
        SampleBatch b = NpyReader.read(dir.resolve("special.npy"));
        assertTrue(Float.isNaN(b.data()[0]));
        assertEquals(Float.POSITIVE_INFINITY, b.data()[1]);
        assertEquals(Float.NEGATIVE_INFINITY, b.data()[2]);
        assertEquals(1.5f, b.data()[3]);
    }

    @Test
    void shouldReadGzippedNpy() throws Exception {
        Path gz = Fixtures.gzip(dir, "f8_matrix.npy.gz", Files.readAllBytes(dir.resolve("f8_matrix.npy")));
        assertArrayEquals(NpyReader.read(dir.resolve("f8_matrix.npy")).data(), NpyReader.read(gz).data());
    }

    @Test
    void shouldRejectFortranOrder() {
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> NpyReader.read(dir.resolve("fortran.npy")));
        assertTrue(e.getMessage().contains("fortran.npy (byte 10): npy array is in Fortran order"
                + " (fortran_order: True), only C order is supported"), e.getMessage());
        assertTrue(e.getMessage().contains("numpy.ascontiguousarray"), e.getMessage());
    }

    @Test
    void shouldRejectUnsupportedDtypeNamingSupportedOnes() {
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> NpyReader.read(dir.resolve("half.npy")));
        assertTrue(e.getMessage().contains("unsupported npy dtype '<f2'; supported: <f4, <f8, |u1, <i4, <i8"),
                e.getMessage());
        assertTrue(e.getMessage().startsWith(dir.resolve("half.npy").toString()), e.getMessage());
    }

    @Test
    void shouldRejectStructuredDtype() {
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> NpyReader.read(dir.resolve("structured.npy")));
        assertTrue(e.getMessage().contains("unsupported npy dtype [[a, <f4], [b, <i4]] (a structured dtype)"),
                e.getMessage());
    }

    @Test
    void shouldRejectArraysWithoutSamples() {
        assertTrue(assertThrows(InputFormatException.class, () -> NpyReader.read(dir.resolve("scalar.npy")))
                .getMessage().contains("npy array is 0-dimensional; expected at least 1 axis (the sample axis)"));
        assertTrue(assertThrows(InputFormatException.class, () -> NpyReader.read(dir.resolve("empty.npy")))
                .getMessage().contains("npy array has shape [0, 5]: it contains no samples"));
        assertTrue(assertThrows(InputFormatException.class, () -> NpyReader.read(dir.resolve("zero_axis.npy")))
                .getMessage().contains("npy array has shape [3, 0]: its samples have no values"));
    }

    @Test
    void shouldRejectFloat64OutsideFloat32Range() {
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> NpyReader.read(dir.resolve("huge.npy")));
        assertTrue(e.getMessage().contains("(sample 1, byte 152): float64 value 1.0E300 is outside the float32 range"),
                e.getMessage());
    }

    @Test
    void shouldRejectTruncatedNpy() throws Exception {
        Path full = dir.resolve("f4_images.npy");
        int length = (int) Files.size(full);
        Path cut = Fixtures.write(dir, "cut.npy", Fixtures.head(full, length - 10));
        InputFormatException e = assertThrows(InputFormatException.class, () -> NpyReader.read(cut));
        assertTrue(e.getMessage().contains("cut.npy (byte " + (length - 10) + "): truncated: file ends while reading"
                + " array data (3920 '<f4' values of shape [5, 1, 28, 28] from byte 128)"), e.getMessage());

        Path header = Fixtures.write(dir, "header.npy", Fixtures.head(full, 40));
        InputFormatException h = assertThrows(InputFormatException.class, () -> NpyReader.read(header));
        assertTrue(h.getMessage().contains("(byte 40): truncated: file ends while reading the npy header"),
                h.getMessage());
    }

    @Test
    void shouldRejectTrailingBytesInNpy() throws Exception {
        byte[] bytes = Files.readAllBytes(dir.resolve("i4_pairs.npy"));
        Path longer = Fixtures.write(dir, "longer.npy", Arrays.copyOf(bytes, bytes.length + 4));
        InputFormatException e = assertThrows(InputFormatException.class, () -> NpyReader.read(longer));
        assertTrue(e.getMessage().contains("(byte " + bytes.length + "): unexpected trailing bytes after 18 values"),
                e.getMessage());
    }

    @Test
    void shouldRejectWrongNpyMagicAndVersion() throws Exception {
        Path notNpy = Fixtures.write(dir, "not.npy", "{\"a\": 1}\n");
        InputFormatException e = assertThrows(InputFormatException.class, () -> NpyReader.read(notNpy));
        assertTrue(e.getMessage().contains("not.npy (byte 0): not an npy file: expected magic \\x93NUMPY,"
                + " found 7b 22 61 22 3a 20"), e.getMessage());

        byte[] bytes = Files.readAllBytes(dir.resolve("i4_pairs.npy"));
        bytes[6] = 4;
        Path v4 = Fixtures.write(dir, "v4.npy", bytes);
        InputFormatException v = assertThrows(InputFormatException.class, () -> NpyReader.read(v4));
        assertTrue(v.getMessage().contains("(byte 6): unsupported npy format version 4.0; supported: 1.0, 2.0, 3.0"),
                v.getMessage());
    }

    @Test
    void shouldRejectMalformedHeader() throws Exception {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 }";
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] bytes = new byte[10 + h.length];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length, 0}, 0, bytes, 0, 10);
        System.arraycopy(h, 0, bytes, 10, h.length);
        Path file = Fixtures.write(dir, "malformed.npy", bytes);
        InputFormatException e = assertThrows(InputFormatException.class, () -> NpyReader.read(file));
        assertTrue(e.getMessage().contains("malformed npy header: expected ',' or ')'"), e.getMessage());
    }

    private static SampleBatch assertMatchesNumpy(String name, JsonNode want) throws Exception {
        SampleBatch b = NpyReader.read(dir.resolve(name + ".npy"));
        long[] shape = new long[want.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = want.get("shape").get(i).asLong();
        }
        assertEquals(shape[0], b.size(), name + ": sample count");
        assertArrayEquals(Arrays.copyOfRange(shape, 1, shape.length), b.sampleShape(), name + ": sample shape");
        JsonNode values = want.get("values");
        assertEquals(values.size(), b.data().length, name + ": value count");
        for (int i = 0; i < values.size(); i++) {
            float w = (float) values.get(i).asDouble();
            assertEquals(Float.floatToIntBits(w), Float.floatToIntBits(b.data()[i]),
                    () -> name + ": value mismatch");
        }
        return b;
    }
}
