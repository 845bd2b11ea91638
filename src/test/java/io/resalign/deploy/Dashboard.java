package io.resalign.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Grafana dashboard JSON file of {@code grafana/dashboards}, read as a tree, with the queries it runs.
 * {@link #concrete} replaces the dashboard variables a query may use by values Prometheus accepts, the
 * same substitution the end-to-end test makes before it evaluates the queries on a running service.
 */
record Dashboard(Path file, JsonNode json) {
    static final Path DIRECTORY = Path.of("grafana/dashboards");
    static final List<String> FILES = List.of("resalign-overview.json", "resalign-model.json", "resalign-health.json");
    /** The only variables a query may use; any other {@code $name} fails {@link #concrete}. */
    static final Map<String, String> VARIABLES = Map.of("$__rate_interval", "1m", "$__interval", "30s", "$__range", "1h",
            "$model", "demo-mlp", "$version", "1", "$kind", ".+");
    /** The per-block meters: a query that reads one of them draws one series per block. */
    static final List<String> BLOCK_METRICS = List.of("resalign_window_block_feature_mean",
            "resalign_reference_block_feature_mean", "resalign_reference_block_feature_band_low",
            "resalign_reference_block_feature_band_high");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?[A-Za-z_][A-Za-z0-9_]*");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A PromQL query of the dashboard: where it is (for messages), its text and its legend format (empty for annotations). */
    record Query(String where, String expr, String legend) {
        /** Whether it reads a per-block meter ({@link #BLOCK_METRICS}). */
        boolean perBlock() {
            return PromQlNames.of(expr).stream().anyMatch(BLOCK_METRICS::contains);
        }
    }

    static List<Dashboard> all() {
        return FILES.stream().map(f -> read(DIRECTORY.resolve(f))).toList();
    }

    static Dashboard read(Path file) {
        try {
            return new Dashboard(file, JSON.readTree(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or parse the dashboard " + file + ": " + e.getMessage(), e);
        }
    }

    String name() {
        return file.getFileName().toString();
    }

    /** Every panel, the panels of collapsed rows included. */
    List<JsonNode> panels() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : json.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }

    /** The panel targets and the Prometheus annotation queries. */
    List<Query> queries() {
        List<Query> out = new ArrayList<>();
        for (JsonNode p : panels()) {
            for (JsonNode t : p.path("targets")) {
                out.add(new Query(name() + " panel " + p.path("id") + " \"" + p.path("title").asText() + "\" target "
                        + t.path("refId").asText(), t.path("expr").asText(), t.path("legendFormat").asText()));
            }
        }
        for (JsonNode a : promAnnotations()) {
            out.add(new Query(name() + " annotation \"" + a.path("name").asText() + "\"", a.path("expr").asText(), ""));
        }
        return out;
    }

    /** Annotation queries other than Grafana's built-in one. */
    List<JsonNode> promAnnotations() {
        List<JsonNode> out = new ArrayList<>();
        json.path("annotations").path("list").forEach(a -> {
            if (a.path("builtIn").asInt() != 1) {
                out.add(a);
            }
        });
        return out;
    }

    /** The template variables' names, in the order Grafana resolves them. */
    List<String> variableNames() {
        List<String> out = new ArrayList<>();
        json.path("templating").path("list").forEach(v -> out.add(v.path("name").asText()));
        return out;
    }

    JsonNode variable(String name) {
        for (JsonNode v : json.path("templating").path("list")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        return null;
    }

    /** The query with its variables replaced; fails naming the query when it uses another variable. */
    static String concrete(Query q) {
        String s = q.expr();
        // longest first: $__rate_interval before $__range, $version before a hypothetical $v
        for (String v : VARIABLES.keySet().stream().sorted((a, b) -> b.length() - a.length()).toList()) {
            s = s.replace(v, VARIABLES.get(v));
        }
        Matcher m = VARIABLE.matcher(s);
        if (m.find()) {
            throw new AssertionError(q.where() + " uses the variable " + m.group() + "; queries may use only "
                    + VARIABLES.keySet() + " (the end-to-end test substitutes exactly these): " + q.expr());
        }
        return s;
    }
}
