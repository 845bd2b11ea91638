package io.resalign.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format (https://huggingface.co/docs/safetensors) in plain Java.
 *
 * <p>DJL's own decoder crashes the JVM on BF16 and names no tensor when it refuses one, so the
 * header is parsed here and every tensor is checked before any byte reaches the engine. F32 and F64
 * tensors are returned as float arrays (F64 narrowed); integer tensors only when the caller asks
 * for them by name (BatchNorm's {@code num_batches_tracked}), everything else is refused with the
 * tensor's name.
 */
public final class Safetensors {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    private Safetensors() {}

    /** A tensor read from a file: its dtype as written, shape and values as float. */
    public record Tensor(String dtype, long[] shape, float[] values) {}

    /** A tensor's entry in a file's header: dtype, shape and byte range within the data section. */
    public record Entry(String dtype, long[] shape, long begin, long end) {
        /** Returns the number of elements, the product of the shape (1 for a scalar). */
        public long count() {
            long count = 1;
            for (long s : shape) {
                count *= s;
            }
            return count;
        }
    }

    /**
     * Reads a file's header only: every tensor's dtype, shape and byte range, checked against the
     * file's size, without reading any tensor data (a multi-gigabyte checkpoint costs one small read).
     *
     * @param file the safetensors file
     * @return entries by name, in header order
     * @throws IOException when the file is truncated or its header malformed
     */
    public static Map<String, Entry> header(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, channel).entries();
        }
    }

    /**
     * Reads every tensor of a file.
     *
     * @param file the safetensors file
     * @return tensors by name, in header order; integer tensors have {@code values == null}
     * @throws IOException when the file is truncated, malformed or holds an unsupported dtype
     */
    public static Map<String, Tensor> read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(file, channel);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, Entry> e : header.entries().entrySet()) {
                tensors.put(e.getKey(), readTensor(file, channel, e.getKey(), e.getValue(), header.dataStart()));
            }
            return tensors;
        }
    }

    /** A parsed header: the entries in order and where the data section starts. */
    private record Header(Map<String, Entry> entries, long dataStart) {}

    private static Header readHeader(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new IOException(file + ": not a safetensors file (" + size + " bytes, header length needs 8)");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) {
            throw new IOException(file + ": header length " + headerLength + " does not fit a file of " + size + " bytes");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, 8);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException(file + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (header == null || !header.isObject()) {
            // valid JSON but no object (an array, a number, only spaces) would otherwise read as zero tensors
            throw new IOException(file + ": header is not a JSON object of tensors");
        }
        long dataSize = size - 8 - headerLength;
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : header.properties()) {
            if (!entry.getKey().equals("__metadata__")) {
                entries.put(entry.getKey(), entry(file, entry.getKey(), entry.getValue(), dataSize));
            }
        }
        return new Header(entries, 8 + headerLength);
    }

    private static Entry entry(Path file, String name, JsonNode spec, long dataSize) throws IOException {
        String dtype = spec.path("dtype").asText("");
        JsonNode shapeNode = spec.path("shape");
        JsonNode offsets = spec.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new IOException(file + ": tensor '" + name + "' lacks a shape or data_offsets [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
        }
        Entry e = new Entry(dtype, shape, offsets.get(0).asLong(), offsets.get(1).asLong());
        int width = switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> throw new IOException(file + ": tensor '" + name + "' has unknown dtype '" + dtype + "'");
        };
        long count = e.count();
        if (e.begin() < 0 || e.end() > dataSize || e.end() - e.begin() != count * width) {
            throw new IOException(file + ": tensor '" + name + "' (" + dtype + " " + java.util.Arrays.toString(shape)
                    + ") needs " + count * width + " bytes but data_offsets [" + e.begin() + ", " + e.end() + "] give "
                    + (e.end() - e.begin()) + " within a data section of " + dataSize);
        }
        return e;
    }

    private static Tensor readTensor(Path file, FileChannel channel, String name, Entry e, long dataStart) throws IOException {
        String dtype = e.dtype();
        long[] shape = e.shape();
        long count = e.count();
        if (!dtype.equals("F32") && !dtype.equals("F64")) {
            if (dtype.startsWith("I") || dtype.startsWith("U") || dtype.equals("BOOL")) {
                return new Tensor(dtype, shape, null);
            }
            throw new IOException(file + ": tensor '" + name + "' has dtype " + dtype
                    + "; supported are F32 and F64 (convert with tensor.float() before saving)");
        }
        if (count > Integer.MAX_VALUE) {
            throw new IOException(file + ": tensor '" + name + "' has " + count + " elements, more than one Java array holds");
        }
        int width = dtype.equals("F32") ? 4 : 8;
        ByteBuffer bytes = ByteBuffer.allocate((int) (count * width)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, bytes, dataStart + e.begin());
        bytes.flip();
        float[] values = new float[(int) count];
        if (dtype.equals("F32")) {
            bytes.asFloatBuffer().get(values);
        } else {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) bytes.getDouble();
            }
        }
        return new Tensor(dtype, shape, values);
    }

    private static void readFully(FileChannel channel, ByteBuffer target, long position) throws IOException {
        long pos = position;
        while (target.hasRemaining()) {
            int n = channel.read(target, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    /**
     * Writes float32 tensors as a safetensors file, names sorted, header padded to 8 bytes.
     *
     * @param file target file
     * @param shapes tensor shapes by name
     * @param values tensor values by name (row-major)
     * @param metadata string metadata stored under {@code __metadata__}, may be empty
     * @throws IOException on a write failure
     */
    public static void writeF32(Path file, Map<String, long[]> shapes, Map<String, float[]> values, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        Map<String, long[]> sorted = new TreeMap<>(shapes);
        for (Map.Entry<String, long[]> e : sorted.entrySet()) {
            float[] v = values.get(e.getKey());
            long count = 1;
            for (long s : e.getValue()) {
                count *= s;
            }
            if (v == null || v.length != count) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' has " + (v == null ? "no" : v.length)
                        + " values for shape " + java.util.Arrays.toString(e.getValue()));
            }
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long s : e.getValue()) {
                shape.add(s);
            }
            t.putArray("data_offsets").add(offset).add(offset + 4 * count);
            offset += 4 * count;
        }
        byte[] headerBytes = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        byte[] headerPadded = java.util.Arrays.copyOf(headerBytes, padded);
        java.util.Arrays.fill(headerPadded, headerBytes.length, padded, (byte) ' ');
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerPadded);
            for (String name : sorted.keySet()) {
                float[] v = values.get(name);
                ByteBuffer buf = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(v);
                out.write(buf.array());
            }
        }
    }
}
