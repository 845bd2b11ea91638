package io.resalign.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.engine.testing.Python;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the plain-Java safetensors reader and writer: round trips, files written by numpy with
 * the format's optional parts (metadata, padding, F64, integer scalars), refused dtypes and every
 * kind of broken file, each failing with an IOException that names the file.
 */
class SafetensorsTest {
    @TempDir
    Path dir;

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "message does not mention '" + part + "':\n" + message);
        }
    }

    private static byte[] lengthPrefix(long length) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }

    private static byte[] concat(byte[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    /** A file whose header is the given text (unpadded) followed by dataBytes zero bytes. */
    private Path withHeader(String name, String header, int dataBytes) throws IOException {
        byte[] text = header.getBytes(StandardCharsets.UTF_8);
        return Files.write(dir.resolve(name), concat(lengthPrefix(text.length), text, new byte[dataBytes]));
    }

    @Test
    void shouldReturnSameNamesShapesAndValuesWhenRoundTrippingWriteF32() throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        shapes.put("z.matrix", new long[] {2, 3});
        values.put("z.matrix", new float[] {1.5f, -2.25f, 0f, Float.MIN_VALUE, -0f, 3.4e38f});
        shapes.put("a.vector", new long[] {4});
        values.put("a.vector", new float[] {0.1f, 0.2f, 0.3f, 0.4f});
        shapes.put("m.scalar", new long[] {});
        values.put("m.scalar", new float[] {42f});
        shapes.put("k.conv", new long[] {2, 1, 2, 2});
        values.put("k.conv", new float[] {1, 2, 3, 4, 5, 6, 7, 8});
        Path file = dir.resolve("round.safetensors");

        Safetensors.writeF32(file, shapes, values, Map.of("format", "pt"));
        Map<String, Safetensors.Tensor> read = Safetensors.read(file);

        assertEquals(List.of("a.vector", "k.conv", "m.scalar", "z.matrix"), List.copyOf(read.keySet()), "names, sorted by the writer");
        for (String name : shapes.keySet()) {
            Safetensors.Tensor t = read.get(name);
            assertEquals("F32", t.dtype(), name);
            assertArrayEquals(shapes.get(name), t.shape(), name);
            assertArrayEquals(values.get(name), t.values(), name);
        }
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes, got " + headerLength);
    }

    @Test
    void shouldReadValuesWhenNumpyWroteF32F64I64MetadataAndPadding() throws Exception {
        Path file = dir.resolve("numpy.safetensors");
        // Written by hand the way safetensors.torch.save_file does: 8-byte little-endian header
        // length, JSON header padded with spaces to 8 bytes, then the data in offset order.
        String script = """
                import json, struct, sys
                import numpy as np
                tensors = [
                    ("layer.weight", "F32", np.array([[1.5, -2.0, 0.25], [3.0, 4.5, -0.125]], dtype="<f4")),
                    ("layer.double", "F64", np.array([0.1, -1e-3, 123456.789, 2.0 ** -30], dtype="<f8")),
                    ("bn.num_batches_tracked", "I64", np.array(1234567890123, dtype="<i8")),
                    ("bn.running_var", "F32", np.array([1.0, 2.0], dtype="<f4")),
                ]
                header = {"__metadata__": {"format": "pt", "source": "numpy"}}
                data = b""
                for name, dtype, array in tensors:
                    raw = array.tobytes()
                    header[name] = {"dtype": dtype, "shape": list(array.shape),
                                    "data_offsets": [len(data), len(data) + len(raw)]}
                    data += raw
                text = json.dumps(header).encode("utf-8")
                text += b" " * (-(len(text) + 3) % 8)
                with open(sys.argv[1], "wb") as f:
                    f.write(struct.pack("<Q", len(text)))
                    f.write(text)
                    f.write(data)
                print(len(text))
                """;
        String headerLength = Python.run(List.of("-c", script, file.toString())).trim();

        Map<String, Safetensors.Tensor> read = Safetensors.read(file);

        assertTrue(Long.parseLong(headerLength) % 8 != 0, "the header is padded, but not to a multiple of 8: " + headerLength);
        assertEquals(List.of("layer.weight", "layer.double", "bn.num_batches_tracked", "bn.running_var"), List.copyOf(read.keySet()),
                "header order, no __metadata__");
        Safetensors.Tensor w = read.get("layer.weight");
        assertEquals("F32", w.dtype());
        assertArrayEquals(new long[] {2, 3}, w.shape());
        assertArrayEquals(new float[] {1.5f, -2.0f, 0.25f, 3.0f, 4.5f, -0.125f}, w.values());
        Safetensors.Tensor d = read.get("layer.double");
        assertEquals("F64", d.dtype());
        assertArrayEquals(new long[] {4}, d.shape());
        assertArrayEquals(new float[] {(float) 0.1, (float) -1e-3, (float) 123456.789, (float) Math.pow(2, -30)}, d.values(),
                "F64 narrowed to float");
        Safetensors.Tensor n = read.get("bn.num_batches_tracked");
        assertEquals("I64", n.dtype());
        assertArrayEquals(new long[] {}, n.shape(), "a 0-d scalar");
        assertNull(n.values(), "integer tensors carry no float values");
        assertArrayEquals(new float[] {1f, 2f}, read.get("bn.running_var").values());
    }

    @Test
    void shouldGiveEveryDtypeAndShapeWithoutTheDataWhenReadingHeaderOnly() throws IOException {
        // BF16 is refused by read(); the header alone describes it like any other tensor
        Path file = new SafetensorsBuilder()
                .f32("fc.weight", new float[] {1, 2, 3, 4, 5, 6}, 2, 3)
                .raw("fc.bias", "BF16", new byte[] {0x00, 0x3f, 0x00, 0x40}, 2)
                .i64("bn.num_batches_tracked", new long[] {7})
                .write(dir.resolve("header.safetensors"));

        Map<String, Safetensors.Entry> header = Safetensors.header(file);

        assertEquals(List.of("fc.weight", "fc.bias", "bn.num_batches_tracked"), List.copyOf(header.keySet()));
        assertArrayEquals(new long[] {2, 3}, header.get("fc.weight").shape());
        assertEquals("BF16", header.get("fc.bias").dtype());
        assertEquals(1, header.get("bn.num_batches_tracked").count());
        assertEquals(24, header.get("fc.bias").begin());
    }

    @Test
    void shouldNameTensorWhenHeaderOffsetsReachBeyondTheFile() throws IOException {
        Path file = new SafetensorsBuilder().f32("fc.weight", new float[] {1, 2, 3, 4}, 4).write(dir.resolve("cut.safetensors"));
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            c.truncate(c.size() - 4);
        }

        IOException e = assertThrows(IOException.class, () -> Safetensors.header(file));

        assertTrue(e.getMessage().contains("tensor 'fc.weight' (F32 [4]) needs 16 bytes"), e.getMessage());
    }

    @Test
    void shouldRefuseWithNameAndDtypeWhenTensorIsBf16() throws IOException {
        Path file = new SafetensorsBuilder()
                .f32("fc.bias", new float[] {1, 2}, 2)
                .raw("fc.weight", "BF16", new byte[] {(byte) 0x80, 0x3f, 0x00, 0x40, 0x40, 0x40, (byte) 0x80, 0x40}, 2, 2)
                .write(dir.resolve("bf16.safetensors"));

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "'fc.weight'", "BF16", "F32 and F64");
    }

    @Test
    void shouldRefuseWithNameAndDtypeWhenTensorIsF16() throws IOException {
        Path file = new SafetensorsBuilder()
                .raw("stem.weight", "F16", new byte[] {0x00, 0x3c, 0x00, 0x40, 0x00, 0x42}, 3)
                .write(dir.resolve("f16.safetensors"));

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "'stem.weight'", "F16");
    }

    @Test
    void shouldNameFileAndTensorWhenDataIsTruncated() throws IOException {
        byte[] whole = new SafetensorsBuilder()
                .f32("a", new float[] {1, 2, 3}, 3)
                .f32("b", new float[] {4, 5, 6, 7}, 2, 2)
                .bytes();
        Path file = Files.write(dir.resolve("truncated.safetensors"), Arrays.copyOf(whole, whole.length - 6));

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "'b'", "needs 16 bytes", "data_offsets [12, 28]");
    }

    @Test
    void shouldNameFileWhenShorterThanTheHeaderLength() throws IOException {
        Path file = Files.write(dir.resolve("tiny.safetensors"), new byte[] {1, 2, 3, 4, 5});

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "not a safetensors file", "5 bytes");
    }

    @Test
    void shouldNameFileWhenHeaderLengthGoesBeyondTheFile() throws IOException {
        byte[] header = "{}      ".getBytes(StandardCharsets.UTF_8);
        Path file = Files.write(dir.resolve("long-header.safetensors"), concat(lengthPrefix(1000), header));

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "header length 1000", "file of 16 bytes");
    }

    @Test
    void shouldNameFileWhenHeaderLengthIsNegative() throws IOException {
        Path file = Files.write(dir.resolve("negative.safetensors"), concat(lengthPrefix(-8), new byte[16]));

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "header length -8");
    }

    @Test
    void shouldGiveShapeDtypeAndOffsetsWhenDataOffsetsDisagreeWithShape() throws IOException {
        Path file = withHeader("offsets.safetensors",
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", 24);

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "'w'", "F32 [2, 3]", "needs 24 bytes", "[0, 20]", "give 20");
    }

    @Test
    void shouldNameFileWhenDataOffsetsPointPastTheData() throws IOException {
        Path file = withHeader("past.safetensors",
                "{\"w\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [8, 24]}}", 16);

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "'w'", "F64 [2]", "[8, 24]", "data section of 16");
    }

    @Test
    void shouldNameFileWhenHeaderIsNotJson() throws IOException {
        Path file = withHeader("garbage.safetensors", "this is not JSON at all!", 8);

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "header is not valid JSON");
    }

    @Test
    void shouldNameFileWhenHeaderIsJsonButNotAnObject() throws IOException {
        for (String header : List.of("[1, 2, 3]", "42", "        ")) {
            Path file = withHeader("not-object.safetensors", header, 8);

            IOException e = assertThrows(IOException.class, () -> Safetensors.read(file), header);

            assertMentions(e.getMessage(), file.toString(), "header is not a JSON object");
        }
    }

    @Test
    void shouldNameTensorWhenItLacksDataOffsets() throws IOException {
        Path file = withHeader("no-offsets.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4);

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "'w'", "data_offsets");
    }

    @Test
    void shouldNameTensorAndDtypeWhenDtypeIsUnknown() throws IOException {
        Path file = withHeader("unknown.safetensors", "{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4);

        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));

        assertMentions(e.getMessage(), file.toString(), "'w'", "F8_E4M3");
    }
}
