package io.resalign.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.testing.RandomModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Models, inputs, a captured run of the CLI, and the flattening of both output formats to one key space. */
final class CliFixtures {
    private CliFixtures() {}

    /** The outcome of one command's run. */
    record Run(int status, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
        }
    }

    /** A command's {@code run(args, out, err)}. */
    interface Command {
        int run(String[] args, PrintStream out, PrintStream err);
    }

    /** Runs {@link Analyze}. */
    static Run run(String... args) {
        return run(Analyze::run, args);
    }

    /** Runs {@link ProposeManifest}. */
    static Run propose(String... args) {
        return run(ProposeManifest::run, args);
    }

    private static Run run(Command command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = command.run(args, o, e);
        }
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A random resnet-mlp (input [1, 6, 6], width 16, depth 4, 4 classes) written to {@code dir}. */
    static Path randomMlp(Path dir) throws IOException {
        ObjectNode m = RandomModels.manifest("rand-mlp", "resnet-mlp", 4, 1, 6, 6);
        return RandomModels.mlp(m, 36, 16, 4, 4, true, true, 3).write(dir, m);
    }

    /** A random two-stage resnet-conv (cifar stem, layers [2, 3], widths [4, 8], input [3, 8, 8], 3 classes). */
    static Path randomConv(Path dir) throws IOException {
        ObjectNode m = RandomModels.manifest("rand-conv", "resnet-conv", 3, 3, 8, 8);
        return RandomModels.conv(m, 3, new int[] {2, 3}, new int[] {4, 8}, "cifar", 3, true, 5).write(dir, m);
    }

    /** Writes {@code count} samples of {@code length} Gaussian values as a JSON array of flat arrays. */
    static Path jsonInputs(Path file, int count, int length, long seed) throws IOException {
        Random random = new Random(seed);
        float[][] samples = new float[count][length];
        for (float[] s : samples) {
            for (int i = 0; i < length; i++) {
                s[i] = (float) random.nextGaussian();
            }
        }
        return jsonInputs(file, samples);
    }

    /** Writes the samples as a JSON array of flat arrays ({@code NaN} and {@code Infinity} as such). */
    static Path jsonInputs(Path file, float[][] samples) throws IOException {
        StringBuilder b = new StringBuilder("[");
        for (int s = 0; s < samples.length; s++) {
            b.append(s == 0 ? "" : ",\n").append('[');
            for (int i = 0; i < samples[s].length; i++) {
                b.append(i == 0 ? "" : ",").append(samples[s][i]);
            }
            b.append(']');
        }
        Files.writeString(file, b.append("]\n"));
        return file;
    }

    /**
     * Flattens JSON Lines records to {@code index|scope|name|metric -> value} the way the CSV
     * writer lays them out (null as NaN, booleans as 1/0, singular values numbered from 1,
     * only non-null cross-alignments), plus {@code index|label} and {@code index|predicted}.
     */
    static Map<String, Double> flattenJson(List<JsonNode> records) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (JsonNode r : records) {
            String i = r.get("index").asText();
            out.put(i + "|label", r.has("label") ? r.get("label").asDouble() : Double.NaN);
            out.put(i + "|predicted", r.get("predicted").asDouble());
            for (String metric : List.of("line_shape", "step_cv", "alignment", "depth_scaled_sigma1", "entropy", "confidence")) {
                out.put(i + "|sample||" + metric, value(r.get(metric)));
            }
            for (JsonNode st : r.get("stages")) {
                for (String metric : List.of("steps", "line_shape", "step_cv")) {
                    out.put(i + "|stage|" + st.get("name").asText() + "|" + metric, value(st.get(metric)));
                }
            }
            List<String> names = new ArrayList<>();
            r.get("blocks").forEach(b -> names.add(b.get("name").asText()));
            for (int bi = 0; bi < names.size(); bi++) {
                JsonNode b = r.get("blocks").get(bi);
                String p = i + "|block|" + names.get(bi) + "|";
                for (String metric : List.of("sigma1", "frobenius_sq", "frobenius_exact", "stable_rank", "effective_rank",
                        "effective_rank_saturated", "self_alignment", "alignment")) {
                    out.put(p + metric, value(b.get(metric)));
                }
                JsonNode sv = b.get("singular_values");
                for (int m = 0; m < sv.size(); m++) {
                    out.put(p + "singular_value_" + (m + 1), value(sv.get(m)));
                }
                JsonNode row = r.get("cross_alignment").get(bi);
                for (int j = 0; j < row.size(); j++) {
                    if (!row.get(j).isNull()) {
                        out.put(p + "cross_alignment:" + names.get(j), row.get(j).asDouble());
                    }
                }
            }
        }
        return out;
    }

    private static double value(JsonNode v) {
        if (v == null) {
            throw new AssertionError("missing field");
        }
        if (v.isNull()) {
            return Double.NaN;
        }
        if (v.isBoolean()) {
            return v.asBoolean() ? 1 : 0;
        }
        return v.asDouble();
    }

    /** Parses one CSV line (RFC 4180 quoting, no embedded line breaks). */
    static List<String> csvFields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(f.toString());
                f.setLength(0);
            } else {
                f.append(c);
            }
        }
        out.add(f.toString());
        return out;
    }

    /** Flattens CSV output (header first) to the key space of {@link #flattenJson}. */
    static Map<String, Double> flattenCsv(List<String> lines) {
        if (!lines.get(0).equals(CsvWriter.HEADER)) {
            throw new AssertionError("header: " + lines.get(0));
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = csvFields(line);
            if (f.size() != 7) {
                throw new AssertionError("expected 7 fields: " + line);
            }
            String i = f.get(0);
            out.put(i + "|label", f.get(1).isEmpty() ? Double.NaN : Double.parseDouble(f.get(1)));
            out.put(i + "|predicted", Double.parseDouble(f.get(2)));
            String key = i + "|" + f.get(3) + "|" + f.get(4) + "|" + f.get(5);
            if (out.put(key, f.get(6).isEmpty() ? Double.NaN : Double.parseDouble(f.get(6))) != null) {
                throw new AssertionError("row repeated: " + key);
            }
        }
        return out;
    }
}
