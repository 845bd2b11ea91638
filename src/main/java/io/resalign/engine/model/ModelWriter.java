package io.resalign.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes model directories (manifest.json + model.safetensors) that {@link ModelManifest} and the architectures load. */
public final class ModelWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Map<String, float[]> values = new LinkedHashMap<>();

    /** Adds a float32 tensor. */
    public ModelWriter put(String name, float[] data, long... shape) {
        long count = 1;
        for (long s : shape) {
            count *= s;
        }
        if (data.length != count) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + data.length + " values for shape "
                    + java.util.Arrays.toString(shape));
        }
        shapes.put(name, shape.clone());
        values.put(name, data);
        return this;
    }

    /** Returns the tensor of that name (for edits before writing), or null. */
    public float[] get(String name) {
        return values.get(name);
    }

    /** Removes a tensor (tests use it to build broken models). */
    public ModelWriter remove(String name) {
        shapes.remove(name);
        values.remove(name);
        return this;
    }

    /**
     * Writes the directory.
     *
     * @param directory created if absent
     * @param manifest the manifest object; its {@code weights} field names the file (default model.safetensors)
     * @return the directory
     * @throws IOException on a write failure
     */
    public Path write(Path directory, ObjectNode manifest) throws IOException {
        Files.createDirectories(directory);
        String weights = manifest.path("weights").asText("model.safetensors");
        Safetensors.writeF32(directory.resolve(weights), shapes, values, Map.of("format", "pt", "writer", "resalign"));
        Files.writeString(directory.resolve(ModelManifest.FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest));
        return directory;
    }
}
