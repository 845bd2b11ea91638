package io.resalign.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files with any dtype, in insertion order, for tests: what
 * {@link Safetensors#writeF32} cannot produce (F64, I64 {@code num_batches_tracked}, BF16, F16).
 * The header is padded with spaces to a multiple of 8 bytes, as the reference implementation does.
 */
final class SafetensorsBuilder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(String name, String dtype, long[] shape, byte[] data) {}

    private final List<Entry> entries = new ArrayList<>();
    private final ObjectNode metadata = JSON.createObjectNode();

    /** Adds a tensor whose bytes are given as is (little-endian). */
    SafetensorsBuilder raw(String name, String dtype, byte[] data, long... shape) {
        entries.add(new Entry(name, dtype, shape.clone(), data.clone()));
        return this;
    }

    SafetensorsBuilder f32(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return raw(name, "F32", b.array(), shape);
    }

    SafetensorsBuilder f64(String name, double[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        return raw(name, "F64", b.array(), shape);
    }

    SafetensorsBuilder i64(String name, long[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return raw(name, "I64", b.array(), shape);
    }

    SafetensorsBuilder metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Copies every tensor of a file read by {@link Safetensors#read}, F32/F64 ones widened to F64. */
    SafetensorsBuilder allAsF64(Map<String, Safetensors.Tensor> tensors) {
        tensors.forEach((name, t) -> {
            double[] v = new double[t.values().length];
            for (int i = 0; i < v.length; i++) {
                v[i] = t.values()[i];
            }
            f64(name, v, t.shape());
        });
        return this;
    }

    /** Copies every tensor of a file read by {@link Safetensors#read} as F32. */
    SafetensorsBuilder allAsF32(Map<String, Safetensors.Tensor> tensors) {
        tensors.forEach((name, t) -> f32(name, t.values(), t.shape()));
        return this;
    }

    byte[] bytes() {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            header.set("__metadata__", metadata);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype());
            ArrayNode shape = t.putArray("shape");
            Arrays.stream(e.shape()).forEach(shape::add);
            t.putArray("data_offsets").add(offset).add(offset + e.data().length);
            offset += e.data().length;
        }
        byte[] text;
        try {
            text = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int padded = (text.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(text, padded);
        Arrays.fill(headerBytes, text.length, padded, (byte) ' ');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.writeBytes(headerBytes);
        entries.forEach(e -> out.writeBytes(e.data()));
        return out.toByteArray();
    }

    Path write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, bytes());
        return file;
    }
}
