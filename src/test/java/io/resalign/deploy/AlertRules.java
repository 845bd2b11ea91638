package io.resalign.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the alert rules file (deploy/prometheus/rules/resalign-alerts.yml, the single source the
 * Helm chart copies) into plain records, for the checks that promtool does not make.
 */
final class AlertRules {
    static final Path RULES = Path.of("deploy/prometheus/rules/resalign-alerts.yml");
    static final Path UNIT_TESTS = Path.of("deploy/prometheus/tests/resalign-alerts-test.yml");
    static final Path RUNBOOK = Path.of("docs/runbook.md");
    /** The one base of every runbook_url (docs/runbook.md says how a fork changes it). */
    static final String RUNBOOK_BASE = "https://github.com/resalign/resalign/blob/main/docs/runbook.md";

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** One alerting or recording rule; {@code alert} is null for a recording rule. */
    record Rule(String group, String alert, String record, String expr, String forDuration, Map<String, String> labels,
            Map<String, String> annotations) {
        String name() {
            return alert != null ? alert : record;
        }
    }

    private AlertRules() {
    }

    /** Returns every rule of the rules file, in file order. */
    static List<Rule> load() throws IOException {
        List<Rule> rules = new ArrayList<>();
        for (JsonNode group : YAML.readTree(RULES.toFile()).path("groups")) {
            for (JsonNode r : group.path("rules")) {
                rules.add(new Rule(group.path("name").asText(), text(r, "alert"), text(r, "record"), r.path("expr").asText(),
                        text(r, "for"), strings(r.path("labels")), strings(r.path("annotations"))));
            }
        }
        return rules;
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
