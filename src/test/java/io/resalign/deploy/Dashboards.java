package io.resalign.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the PromQL out of the Grafana dashboards (grafana/dashboards/*.json) without knowing their
 * layout: every {@code targets[].expr} anywhere in the JSON (panels, panels nested in rows, library
 * panels inlined), the annotation queries, and the template variables. Also substitutes Grafana's
 * variables ({@code $name}, {@code ${name}}, {@code ${name:format}}, {@code [[name]]}) in a query.
 */
final class Dashboards {
    static final Path DIR = Path.of("grafana/dashboards");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::[^}]*)?}|\\[\\[(\\w+)(?::[^]]*)?]]|\\$(\\w+)");

    /** One query: where it is (dashboard file, panel title, refId) and its PromQL, variables unresolved. */
    record Query(String dashboard, String panel, String refId, String expr, boolean annotation) {
        String where() {
            return dashboard + " / " + (annotation ? "annotation " : "panel ") + "'" + panel + "'" + (refId.isEmpty() ? "" : " " + refId);
        }
    }

    /** One template variable: its type and its query (or option list) as the dashboard stores it. */
    record Variable(String dashboard, String name, String type, String query) {}

    private Dashboards() {
    }

    /** Returns the dashboard files, sorted; none when the directory does not exist. */
    static List<Path> files() throws IOException {
        if (!Files.isDirectory(DIR)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(DIR)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    /** Returns every panel target and annotation query of one dashboard. */
    static List<Query> queries(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        String name = file.getFileName().toString();
        List<Query> out = new ArrayList<>();
        collectTargets(root, name, root.path("title").asText(name), out);
        for (JsonNode a : root.path("annotations").path("list")) {
            String expr = a.path("expr").asText(a.path("target").path("expr").asText(""));
            if (!expr.isBlank()) {
                out.add(new Query(name, a.path("name").asText(), "", expr, true));
            }
        }
        return out;
    }

    private static void collectTargets(JsonNode node, String dashboard, String title, List<Query> out) {
        if (node.isObject()) {
            String here = node.hasNonNull("title") ? node.get("title").asText() : title;
            node.fields().forEachRemaining(e -> {
                if (e.getKey().equals("targets") && e.getValue().isArray()) {
                    for (JsonNode t : e.getValue()) {
                        if (t.hasNonNull("expr") && !t.get("expr").asText().isBlank()) {
                            out.add(new Query(dashboard, here, t.path("refId").asText(""), t.get("expr").asText(), false));
                        }
                    }
                } else if (!e.getKey().equals("annotations") && !e.getKey().equals("templating")) {
                    collectTargets(e.getValue(), dashboard, here, out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collectTargets(child, dashboard, title, out));
        }
    }

    /** Returns the template variables of one dashboard in their order (Grafana resolves them in this order). */
    static List<Variable> variables(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        List<Variable> out = new ArrayList<>();
        for (JsonNode v : root.path("templating").path("list")) {
            JsonNode q = v.path("query");
            String query = q.isObject() ? q.path("query").asText("") : q.asText("");
            if (query.isBlank()) {
                query = v.path("definition").asText("");
            }
            out.add(new Variable(file.getFileName().toString(), v.path("name").asText(), v.path("type").asText(), query));
        }
        return out;
    }

    /**
     * Replaces every variable of {@code text} by its value in {@code values}.
     *
     * @throws IllegalArgumentException naming the variables {@code values} does not have
     */
    static String substitute(String text, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        List<String> unknown = new ArrayList<>();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = values.get(name);
            if (value == null && name.chars().allMatch(Character::isDigit)) {
                // "$1" in label_replace is PromQL's capture group, which Grafana leaves alone too
                value = m.group();
            } else if (value == null) {
                unknown.add(name);
                value = m.group();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown variables " + unknown + " in: " + text);
        }
        return out.toString();
    }
}
