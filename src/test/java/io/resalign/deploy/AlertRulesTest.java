package io.resalign.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Scenario: an operator installs the alert rules. promtool must accept the rules file and the
 * compose stack's Prometheus config, the promtool unit tests must pass, and every alert must come
 * with what an on-call person needs: a severity, a summary, a description, a runbook section that
 * exists, a unit test in which it fires and one in which it stays quiet, and metric names that
 * docs/metrics.md lists. Without promtool these tests fail (apt-get install prometheus).
 */
class AlertRulesTest {
    private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

    @Test
    void shouldPassPromtoolCheckRules() throws Exception {
        PrometheusTools.Result r = PrometheusTools.promtool("check", "rules", AlertRules.RULES.toString());
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("SUCCESS: " + AlertRules.load().size() + " rules found"), r::describe);
    }

    @Test
    void shouldPassPromtoolUnitTests() throws Exception {
        PrometheusTools.Result r = PrometheusTools.promtool("test", "rules", AlertRules.UNIT_TESTS.toString());
        assertEquals(0, r.exitCode(), r::describe);
    }

    @Test
    void shouldPassPromtoolCheckConfigOfTheComposeStack() throws Exception {
        PrometheusTools.Result r = PrometheusTools.promtool("check", "config", "deploy/prometheus/prometheus.yml");
        assertEquals(0, r.exitCode(), r::describe);
        // the config must load the rules file itself, not another copy
        assertTrue(r.output().contains("Checking deploy/prometheus/rules/resalign-alerts.yml"), r::describe);
    }

    @Test
    void shouldGiveEveryAlertSeverityAnnotationsAndAnExistingRunbookSection() throws Exception {
        Set<String> anchors = runbookAnchors();
        List<String> problems = new ArrayList<>();
        List<AlertRules.Rule> alerts = alerts();
        assertFalse(alerts.isEmpty(), "no alert in " + AlertRules.RULES);
        for (AlertRules.Rule a : alerts) {
            String where = a.alert() + " (group " + a.group() + ")";
            if (!a.alert().matches("Resalign[A-Z][A-Za-z0-9]*")) {
                problems.add(where + ": name must be PascalCase and start with Resalign");
            }
            if (!SEVERITIES.contains(a.labels().get("severity"))) {
                problems.add(where + ": label severity is " + a.labels().get("severity") + ", expected one of " + SEVERITIES);
            }
            for (String annotation : List.of("summary", "description")) {
                if (a.annotations().getOrDefault(annotation, "").isBlank()) {
                    problems.add(where + ": annotation " + annotation + " missing");
                }
            }
            String anchor = a.alert().toLowerCase(Locale.ROOT);
            String expectedUrl = AlertRules.RUNBOOK_BASE + "#" + anchor;
            if (!expectedUrl.equals(a.annotations().get("runbook_url"))) {
                problems.add(where + ": runbook_url is " + a.annotations().get("runbook_url") + ", expected " + expectedUrl);
            }
            if (!anchors.contains(anchor)) {
                problems.add(where + ": " + AlertRules.RUNBOOK + " has no section '## " + a.alert() + "' (anchor #" + anchor + ")");
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void shouldHaveAUnitTestWhereEveryAlertFiresAndOneWhereItStaysQuiet() throws Exception {
        Set<String> fired = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (JsonNode test : AlertRules.YAML.readTree(AlertRules.UNIT_TESTS.toFile()).path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                boolean expectsAlerts = check.path("exp_alerts").size() > 0;
                (expectsAlerts ? fired : quiet).add(check.path("alertname").asText());
            }
        }
        Set<String> names = new TreeSet<>();
        alerts().forEach(a -> names.add(a.alert()));
        Set<String> neverFired = new TreeSet<>(names);
        neverFired.removeAll(fired);
        Set<String> neverQuiet = new TreeSet<>(names);
        neverQuiet.removeAll(quiet);
        assertEquals(Set.of(), neverFired, "alerts without a promtool case in which they fire (" + AlertRules.UNIT_TESTS + ")");
        assertEquals(Set.of(), neverQuiet, "alerts without a promtool case in which they stay quiet (" + AlertRules.UNIT_TESTS + ")");
        Set<String> unknown = new TreeSet<>(fired);
        unknown.addAll(quiet);
        unknown.removeAll(names);
        assertEquals(Set.of(), unknown, "promtool cases for alerts the rules file does not have");
    }

    @Test
    void shouldUseOnlyDocumentedResalignMetrics() throws Exception {
        String documented = Files.readString(java.nio.file.Path.of("docs/metrics.md"));
        List<String> problems = new ArrayList<>();
        for (AlertRules.Rule r : AlertRules.load()) {
            List<String> selectors = PromQlSelectors.of(r.expr());
            if (selectors.isEmpty()) {
                problems.add(r.name() + ": no selector found in " + r.expr());
            }
            for (String selector : selectors) {
                String metric = selector.replaceAll("\\{.*", "");
                if (metric.startsWith("resalign_")
                        && !documented.contains("`" + metric + "`") && !documented.contains("`" + metric.replaceAll("_(bucket|count|sum)$", "") + "`")) {
                    problems.add(r.name() + ": " + metric + " is not in docs/metrics.md");
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    private static List<AlertRules.Rule> alerts() throws Exception {
        return AlertRules.load().stream().filter(r -> r.alert() != null).toList();
    }

    /** GitHub's heading anchors of the runbook: lower case, spaces to hyphens, other punctuation dropped. */
    private static Set<String> runbookAnchors() throws Exception {
        Set<String> anchors = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^#{1,6} +(.+?) *$").matcher(Files.readString(AlertRules.RUNBOOK));
        while (m.find()) {
            anchors.add(m.group(1).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
        }
        return anchors;
    }
}
