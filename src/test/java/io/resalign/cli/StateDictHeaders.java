package io.resalign.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.testing.Python;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes safetensors files that have a real state_dict's names and shapes and zeros for data,
 * sparse on disk, so a wide_resnet50_2 costs a header and no 275 MB: what the recogniser reads.
 * The names and shapes come from the torchvision fixtures ({@code src/test/resources/torchvision})
 * or from torchvision itself.
 */
final class StateDictHeaders {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Prints "name d0,d1,.." per state_dict entry of the model that the Python expression argv[1] builds. */
    private static final String LIST_STATE_DICT = String.join("\n",
            "import sys, torch, torchvision",
            "torch.set_num_threads(1)",
            "model = eval(sys.argv[1])",
            "for k, v in model.state_dict().items():",
            "    print(k, ','.join(str(s) for s in v.shape))");

    private StateDictHeaders() {}

    /** Returns the names and shapes of a fixture {@code torchvision/<variant>.keys}. */
    static Map<String, long[]> fixture(String variant) throws IOException {
        String resource = "/torchvision/" + variant + ".keys";
        try (InputStream in = StateDictHeaders.class.getResourceAsStream(resource)) {
            assertNotNull(in, resource);
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** Returns the names and shapes of the state_dict of a model built by a Python expression ({@code torchvision.models.vit_b_16()}). */
    static Map<String, long[]> torchvision(String expression) throws IOException, InterruptedException {
        return parse(Python.torch(LIST_STATE_DICT, expression));
    }

    private static Map<String, long[]> parse(String listing) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String line : listing.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.strip().split(" ", -1);
            long[] shape = parts.length == 1 || parts[1].isEmpty() ? new long[0]
                    : Arrays.stream(parts[1].split(",")).mapToLong(Long::parseLong).toArray();
            shapes.put(parts[0], shape);
        }
        return shapes;
    }

    /** Writes the tensors as F32 (num_batches_tracked as I64, as PyTorch saves it), all zeros, in the given order. */
    static Path write(Path file, Map<String, long[]> shapes) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            boolean counter = e.getKey().endsWith(".num_batches_tracked");
            long bytes = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b) * (counter ? 8 : 4);
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", counter ? "I64" : "F32");
            Arrays.stream(e.getValue()).forEach(t.putArray("shape")::add);
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            out.setLength(8 + json.length + offset);
        }
        return file;
    }
}
