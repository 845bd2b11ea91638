package io.resalign.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.resalign.demo.DemoDataset;
import io.resalign.demo.DemoRecords;
import io.resalign.demo.DriftSchedule;
import io.resalign.demo.ImageTransforms;
import io.resalign.config.Topics;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Scenario: a real Prometheus scrapes the running service and loads the alert rules. The service
 * (embedded broker, demo-mlp; test profile: reference of 40, windows of 20) gets a reference of
 * clean Fashion-MNIST images, clean windows, then noisy windows that flip the drift decision, and a
 * few malformed records. Prometheus (a child process, scraping every second) must then show the
 * target up and every rule loaded with health ok; every rule's expression must evaluate, and each
 * vector selector in it must select at least one series (the conditions themselves are false on a
 * healthy service, so only the selectors can prove the metric names and labels exist); every
 * dashboard query of grafana/dashboards, variables substituted, must return a number over the run.
 *
 * <p>Its own profile gives it a fresh application and broker, so the other tests' reports and
 * references do not mix with its own.
 */
@QuarkusTest
@TestProfile(PrometheusScrapeTest.FreshService.class)
class PrometheusScrapeTest {
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final String MODEL = "demo-mlp";
    private static final String VERSION = "1";
    private static final long[] SHAPE = {1, 28, 28};
    private static final int REFERENCE = 40;
    private static final int WINDOW = 20;
    /**
     * Grafana's built-in variables, at values that suit 1 s scrapes: a rate window of 5 scrapes, as
     * Grafana's $__rate_interval would be (at least 4 scrape intervals).
     */
    private static final Map<String, String> BUILT_INS = Map.of(
            "__rate_interval", "5s", "__interval", "2s", "__interval_ms", "2000",
            "__range", "5m", "__range_s", "300", "__range_ms", "300000");
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((?:(.*),)?\\s*(\\w+)\\s*\\)\\s*$", Pattern.DOTALL);
    private static final Pattern QUERY_RESULT = Pattern.compile("^\\s*query_result\\((.*)\\)\\s*$", Pattern.DOTALL);

    /** A profile of its own: Quarkus restarts the application, with a new embedded broker. */
    public static class FreshService implements QuarkusTestProfile {
    }

    @Inject
    KafkaStreams streams;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URI root;

    private int sent;

    @Test
    void shouldLoadTheRulesAndAnswerEveryRuleAndDashboardQueryFromARealScrape() throws Exception {
        await().atMost(DEADLINE).until(() -> streams.state() == KafkaStreams.State.RUNNING);
        List<AlertRules.Rule> rules = AlertRules.load();
        try (PrometheusServer prometheus = PrometheusServer.start(root.getHost() + ":" + root.getPort(), "/q/metrics", AlertRules.RULES);
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), new StringSerializer(), new ByteArraySerializer())) {
            await("prometheus ready").atMost(DEADLINE).until(prometheus::ready);
            await("target up").atMost(DEADLINE).until(() -> has(prometheus, "up{job=\"resalign\"} == 1"));

            DemoDataset images = DemoDataset.load("auto", Optional.empty(), Path.of("models", MODEL), 28 * 28);
            // half the reference, then wait until Prometheus has seen it collecting
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(Topics.INFERENCE_SAMPLES, MODEL, "{\"model_name\": \"demo-mlp\", trunc".getBytes(StandardCharsets.UTF_8)));
            }
            send(producer, images, "clean", REFERENCE / 2);
            await("reference collecting seen").atMost(DEADLINE).until(() -> has(prometheus, "resalign_reference_collecting == 1"));
            // the rest of the reference and two clean windows
            send(producer, images, "clean", REFERENCE / 2 + 2 * WINDOW);
            await("two clean windows reported").atMost(DEADLINE)
                    .until(() -> has(prometheus, "resalign_reports_total >= 2 and resalign_reference_collecting == 0"));
            // strongly noisy windows: the drift decision turns to 1
            send(producer, images, "noise:sigma=80", 3 * WINDOW);
            await("drift decision 1 seen").atMost(DEADLINE).until(() -> has(prometheus, "resalign_drift_decision == 1"));
            await("every sample processed").atMost(DEADLINE).until(() -> has(prometheus, "resalign_samples_processed_total == " + sent));

            assertRulesLoadedAndHealthy(prometheus, rules);
            assertRuleExpressionsAndSelectors(prometheus, rules);
            assertDashboardQueriesReturnData(prometheus);
        }
    }

    private void send(KafkaProducer<String, byte[]> producer, DemoDataset images, String phase, int count) {
        DriftSchedule.Phase transform = DriftSchedule.parse(phase).phases().get(0);
        ImageTransforms.Layout layout = ImageTransforms.Layout.of(SHAPE);
        for (int k = 0; k < count; k++) {
            int i = sent++;
            int image = i % images.size();
            float[] pixels = transform.apply(images.image(image), layout, new SplittableRandom(i));
            byte[] json = DemoRecords.json(MODEL, VERSION, "scrape-" + i, Instant.now(), SHAPE, pixels,
                    images.hasLabels() ? OptionalInt.of(images.label(image)) : OptionalInt.empty());
            producer.send(DemoRecords.record(Topics.INFERENCE_SAMPLES, MODEL, phase, json));
        }
        producer.flush();
    }

    private static boolean has(PrometheusServer prometheus, String promql) {
        JsonNode r = prometheus.query(promql);
        return "success".equals(r.path("status").asText()) && r.path("data").path("result").size() > 0;
    }

    private static void assertRulesLoadedAndHealthy(PrometheusServer prometheus, List<AlertRules.Rule> rules) {
        Set<String> expected = new TreeSet<>();
        rules.forEach(r -> expected.add(r.name()));
        // a rule's health is "unknown" until its first evaluation (every second here)
        await("every rule evaluated with health ok").atMost(DEADLINE).untilAsserted(() -> {
            Map<String, String> health = new LinkedHashMap<>();
            for (JsonNode group : prometheus.api("rules").path("data").path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    health.put(rule.path("name").asText(), rule.path("health").asText() + " " + rule.path("lastError").asText(""));
                }
            }
            assertEquals(expected, new TreeSet<>(health.keySet()), "rules Prometheus loaded");
            health.forEach((name, h) -> assertEquals("ok", h.trim(), "health of rule " + name));
        });
    }

    private static void assertRuleExpressionsAndSelectors(PrometheusServer prometheus, List<AlertRules.Rule> rules) {
        List<String> problems = new ArrayList<>();
        for (AlertRules.Rule rule : rules) {
            JsonNode r = prometheus.query(rule.expr());
            if (!"success".equals(r.path("status").asText())) {
                problems.add(rule.name() + ": expression refused: " + r.path("error").asText() + "\n  " + rule.expr());
            }
            for (String selector : PromQlSelectors.of(rule.expr())) {
                JsonNode s = prometheus.query(selector);
                if (s.path("data").path("result").isEmpty()) {
                    problems.add(rule.name() + ": selector " + selector + " selects no series on the live /q/metrics"
                            + (s.hasNonNull("error") ? " (" + s.get("error").asText() + ")" : ""));
                }
            }
        }
        assertEquals(List.of(), problems, "rules against the live scrape");
    }

    private static void assertDashboardQueriesReturnData(PrometheusServer prometheus) throws Exception {
        List<String> problems = new ArrayList<>();
        int queries = 0;
        for (Path file : Dashboards.files()) {
            Map<String, String> values = new LinkedHashMap<>(BUILT_INS);
            for (Dashboards.Variable v : Dashboards.variables(file)) {
                Optional<String> value = variableValue(prometheus, v, values, problems);
                value.ifPresent(x -> values.put(v.name(), x));
            }
            for (Dashboards.Query q : Dashboards.queries(file)) {
                queries++;
                String expr;
                try {
                    expr = Dashboards.substitute(q.expr(), values);
                } catch (IllegalArgumentException e) {
                    problems.add(q.where() + ": " + e.getMessage());
                    continue;
                }
                JsonNode r = prometheus.queryRange(expr, 1);
                if (!"success".equals(r.path("status").asText())) {
                    problems.add(q.where() + ": refused: " + r.path("error").asText() + "\n  " + expr);
                } else if (!q.annotation() && !hasNumber(r.path("data").path("result"))) {
                    problems.add(q.where() + ": no data over the run\n  " + expr);
                }
            }
        }
        // a dashboard in which the generic walk finds no query means the walk is wrong, not the dashboard
        assertTrue(Dashboards.files().isEmpty() || queries > 0, "no query found in " + Dashboards.files());
        assertEquals(List.of(), problems, queries + " dashboard queries against the live scrape");
    }

    /** Resolves a template variable as Grafana would, taking its first value; empty for variables not used in queries. */
    private static Optional<String> variableValue(PrometheusServer prometheus, Dashboards.Variable v, Map<String, String> known,
            List<String> problems) {
        String where = v.dashboard() + " / variable " + v.name();
        switch (v.type()) {
            case "datasource", "adhoc" -> {
                return Optional.empty();
            }
            case "custom", "interval" -> {
                return Optional.of(v.query().split(",")[0].trim());
            }
            case "constant", "textbox" -> {
                return Optional.of(v.query());
            }
            case "query" -> {
                List<String> values;
                String query = Dashboards.substitute(v.query(), known);
                Matcher lv = LABEL_VALUES.matcher(query);
                Matcher qr = QUERY_RESULT.matcher(query);
                if (lv.matches() && lv.group(1) == null) {
                    values = prometheus.labelValues(lv.group(2));
                } else if (lv.matches()) {
                    values = PrometheusServer.stream(prometheus.query("count by (" + lv.group(2) + ") (" + lv.group(1) + ")")
                            .path("data").path("result")).map(s -> s.path("metric").path(lv.group(2)).asText()).sorted().toList();
                } else if (qr.matches()) {
                    values = PrometheusServer.stream(prometheus.query(qr.group(1)).path("data").path("result"))
                            .map(s -> s.path("value").path(1).asText()).toList();
                } else {
                    problems.add(where + ": query not understood by this test: " + v.query());
                    return Optional.empty();
                }
                if (values.isEmpty()) {
                    problems.add(where + ": no values for " + query);
                    return Optional.empty();
                }
                return Optional.of(values.get(0));
            }
            default -> {
                problems.add(where + ": variable type " + v.type() + " not known to this test");
                return Optional.empty();
            }
        }
    }

    /** Whether a range result holds at least one sample that is a number (NaN draws nothing in Grafana). */
    private static boolean hasNumber(JsonNode result) {
        for (JsonNode series : result) {
            for (JsonNode point : series.path("values")) {
                String v = point.path(1).asText();
                if (!v.equals("NaN") && !v.equals("+Inf") && !v.equals("-Inf")) {
                    return true;
                }
            }
        }
        return false;
    }
}
