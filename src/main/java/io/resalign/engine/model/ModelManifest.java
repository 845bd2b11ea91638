package io.resalign.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Describes a model directory's {@code manifest.json}: architecture, hyper-parameters, input,
 * classes and watched blocks (format in docs/models.md).
 */
public record ModelManifest(
        String name,
        String version,
        String architecture,
        Hyperparameters hyperparameters,
        InputSpec input,
        List<String> classes,
        List<String> watch,
        String weights,
        JsonNode raw) {

    /** The file name of the manifest inside a model directory. */
    public static final String FILE = "manifest.json";

    private static final Set<String> KNOWN_FIELDS = Set.of(
            "name", "version", "architecture", "hyperparameters", "input", "classes", "watch", "weights", "training");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Input description: one sample's shape and the preprocessing {@code (x * scale - mean[c]) / std[c]}. */
    public record InputSpec(long[] shape, float scale, float[] mean, float[] std) {
        /** Returns the number of values in one sample. */
        public long size() {
            return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        }
    }

    /** Returns the number of classes C. */
    public int numClasses() {
        return classes.size();
    }

    /** Returns whether every block is watched. */
    public boolean watchesAll() {
        return watch.isEmpty() || watch.contains("all");
    }

    /**
     * Reads and validates {@code manifest.json} of a model directory.
     *
     * @param directory the model directory
     * @return the manifest
     * @throws IOException when the file is missing or a field is absent or of the wrong kind
     */
    public static ModelManifest read(Path directory) throws IOException {
        Path file = directory.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IOException(directory + " is not a model directory: it has no " + FILE, e);
        } catch (IOException e) {
            throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
        }
        return parse(root, file.toString());
    }

    /**
     * Validates a manifest given as a JSON tree.
     *
     * @param root the JSON object
     * @param where a description of the source for error messages
     * @return the manifest
     * @throws IOException when a field is missing or wrong
     */
    public static ModelManifest parse(JsonNode root, String where) throws IOException {
        if (root == null || !root.isObject()) {
            throw new IOException(where + ": the manifest must be a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!KNOWN_FIELDS.contains(field)) {
                throw new IOException(where + ": unknown field '" + field + "', expected one of " + KNOWN_FIELDS);
            }
        }
        String name = requireText(root, "name", where);
        String version = root.has("version") ? root.get("version").asText() : "1";
        String architecture = requireText(root, "architecture", where);
        JsonNode hp = root.path("hyperparameters");
        if (!hp.isMissingNode() && !hp.isObject()) {
            throw new IOException(where + ": 'hyperparameters' must be an object");
        }
        JsonNode in = root.path("input");
        if (!in.isObject() || !in.path("shape").isArray() || in.path("shape").isEmpty()) {
            throw new IOException(where + ": 'input.shape' is required, e.g. \"input\": {\"shape\": [1, 28, 28]}");
        }
        long[] shape = new long[in.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = in.get("shape").get(i).asLong();
            if (shape[i] <= 0) {
                throw new IOException(where + ": 'input.shape' " + in.get("shape") + " has a non-positive dimension");
            }
        }
        float scale = (float) in.path("scale").asDouble(1.0);
        float[] mean = floats(in.path("mean"), 0f);
        float[] std = floats(in.path("std"), 1f);
        for (float s : std) {
            if (!(s > 0)) {
                throw new IOException(where + ": 'input.std' must be positive, got " + in.path("std"));
            }
        }
        for (float[] perChannel : List.of(mean, std)) {
            if (perChannel.length != 1 && perChannel.length != shape[0]) {
                throw new IOException(where + ": 'input.mean'/'input.std' need 1 or " + shape[0]
                        + " values (one per channel, the first axis of input.shape)");
            }
        }
        JsonNode cls = root.path("classes");
        if (!cls.isArray() || cls.size() < 2) {
            throw new IOException(where + ": 'classes' must list at least two class names");
        }
        List<String> classes = new ArrayList<>();
        cls.forEach(c -> classes.add(c.asText()));
        List<String> watch = new ArrayList<>();
        root.path("watch").forEach(w -> watch.add(w.asText()));
        String weights = root.path("weights").asText("model.safetensors");
        return new ModelManifest(name, version, architecture, new Hyperparameters(hp, where), new InputSpec(shape, scale, mean, std),
                List.copyOf(classes), List.copyOf(watch), weights, root);
    }

    private static float[] floats(JsonNode node, float dflt) {
        if (node.isMissingNode() || node.isNull()) {
            return new float[] {dflt};
        }
        if (node.isNumber()) {
            return new float[] {(float) node.asDouble()};
        }
        float[] out = new float[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) node.get(i).asDouble();
        }
        return out;
    }

    private static String requireText(JsonNode root, String field, String where) throws IOException {
        JsonNode n = root.path(field);
        if (!n.isTextual() || n.asText().isBlank()) {
            throw new IOException(where + ": '" + field + "' is required (a non-empty string)");
        }
        return n.asText();
    }

    /** Typed, strict access to the {@code hyperparameters} object: unknown keys are an error. */
    public static final class Hyperparameters {
        private final JsonNode node;
        private final String where;

        Hyperparameters(JsonNode node, String where) {
            this.node = node.isMissingNode() ? JSON.createObjectNode() : node;
            this.where = where;
        }

        /** Fails when the manifest names a hyper-parameter that the architecture does not know. */
        public void requireOnly(Set<String> known, String architecture) throws IOException {
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                String key = property.getKey();
                if (!known.contains(key)) {
                    throw new IOException(where + ": " + architecture + " has no hyper-parameter '" + key + "'; known: " + known);
                }
            }
        }

        /** Returns whether the key is present. */
        public boolean has(String key) {
            return node.has(key);
        }

        /** Returns an integer hyper-parameter. */
        public int getInt(String key, Integer dflt) throws IOException {
            JsonNode n = node.path(key);
            if (n.isMissingNode()) {
                if (dflt == null) {
                    throw new IOException(where + ": hyper-parameter '" + key + "' is required");
                }
                return dflt;
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber()) {
                throw new IOException(where + ": hyper-parameter '" + key + "' must be an integer, got " + n);
            }
            return n.asInt();
        }

        /** Returns a boolean hyper-parameter. */
        public boolean getBoolean(String key, boolean dflt) throws IOException {
            JsonNode n = node.path(key);
            if (n.isMissingNode()) {
                return dflt;
            }
            if (!n.isBoolean()) {
                throw new IOException(where + ": hyper-parameter '" + key + "' must be true or false, got " + n);
            }
            return n.asBoolean();
        }

        /** Returns a number hyper-parameter. */
        public double getDouble(String key, double dflt) throws IOException {
            JsonNode n = node.path(key);
            if (n.isMissingNode()) {
                return dflt;
            }
            if (!n.isNumber()) {
                throw new IOException(where + ": hyper-parameter '" + key + "' must be a number, got " + n);
            }
            return n.asDouble();
        }

        /** Returns a string hyper-parameter restricted to the allowed values. */
        public String getChoice(String key, String dflt, Set<String> allowed) throws IOException {
            JsonNode n = node.path(key);
            String v = n.isMissingNode() ? dflt : n.asText();
            if (v == null || !allowed.contains(v)) {
                throw new IOException(where + ": hyper-parameter '" + key + "' must be one of " + allowed + ", got " + n);
            }
            return v;
        }

        /** Returns an integer list hyper-parameter, or the default when absent. */
        public int[] getInts(String key, int[] dflt) throws IOException {
            JsonNode n = node.path(key);
            if (n.isMissingNode()) {
                return dflt;
            }
            if (!n.isArray() || n.isEmpty()) {
                throw new IOException(where + ": hyper-parameter '" + key + "' must be a non-empty list of integers, got " + n);
            }
            int[] out = new int[n.size()];
            for (int i = 0; i < out.length; i++) {
                if (!n.get(i).isIntegralNumber() || n.get(i).asInt() <= 0) {
                    throw new IOException(where + ": hyper-parameter '" + key + "' must hold positive integers, got " + n);
                }
                out[i] = n.get(i).asInt();
            }
            return out;
        }
    }
}
