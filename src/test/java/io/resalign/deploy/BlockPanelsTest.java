package io.resalign.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.resalign.service.ModelStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scenario: two replicas watch a ViT-B/16 (24 branches, {@code encoder_layer_0.attention} to
 * {@code encoder_layer_11.mlp}) and a ResNet-50 (16 blocks, {@code layer1.0} to {@code layer4.2}), each
 * in versions 1 and 2 ({@link BlockReplicas}). A real Prometheus scrapes both. Every per-block query of the
 * model dashboard, with {@code $model}, {@code $version} and {@code $kind} set as Grafana sets them, must
 * return one series per block of that model version and the chosen kinds, none of another model, each with
 * its own version's value, in the network's forward order. That order is what Grafana draws: a range
 * query's series come sorted by their labels, and the heatmap takes its rows (the time series panel its
 * legend) in the order of the series.
 */
class BlockPanelsTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Pattern LEGEND_LABEL = Pattern.compile("\\{\\{\\s*(\\w+)\\s*}}");
    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.*),\\s*(\\w+)\\)$");
    private static final Dashboard MODEL_PAGE = Dashboard.read(Dashboard.DIRECTORY.resolve("resalign-model.json"));

    private static BlockReplicas replicas;
    private static PrometheusServer prometheus;

    @BeforeAll
    static void scrapeTwoReplicas() throws Exception {
        replicas = BlockReplicas.start();
        prometheus = PrometheusServer.start(replicas.targets(), BlockReplicas.PATH, List.of());
        await("prometheus ready").atMost(DEADLINE).until(prometheus::ready);
        // both replicas scraped: each exports the info of all 4 model versions and the window of the 2 it owns
        await("both replicas scraped").atMost(DEADLINE).until(() -> count("resalign_block_info") == 2 * BlockReplicas.INFO_SERIES
                && count("resalign_window_block_feature_mean") == 2 * BlockReplicas.WINDOW_SERIES);
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.close();
        }
        if (replicas != null) {
            replicas.close();
        }
    }

    @Test
    void shouldDrawAllTwentyFourVitBranchesInForwardOrderWhenKindIsAll() {
        String all = MODEL_PAGE.variable("kind").path("allValue").asText();
        assertFalse(all.isEmpty(), "kind has no allValue: Grafana would send every kind as a regex instead");
        for (String version : BlockReplicas.VERSIONS) {
            assertPanels(BlockReplicas.VIT, version, all, b -> true, 24);
        }
    }

    @Test
    void shouldDrawOnlyTheTwelveMlpBranchesWhenKindIsMlp() {
        for (String version : BlockReplicas.VERSIONS) {
            assertPanels(BlockReplicas.VIT, version, "mlp", b -> b.kind().equals("mlp"), 12);
            assertPanels(BlockReplicas.VIT, version, "attention", b -> b.kind().equals("attention"), 12);
            // several kinds ticked: Grafana sends them as one regex alternation
            assertPanels(BlockReplicas.VIT, version, "(attention|mlp)", b -> true, 24);
        }
    }

    @Test
    void shouldDrawTheSixteenResNetBlocksInForwardOrder() {
        for (String version : BlockReplicas.VERSIONS) {
            assertPanels(BlockReplicas.RESNET, version, ".+", b -> true, 16);
            assertPanels(BlockReplicas.RESNET, version, "residual", b -> true, 16);
        }
    }

    @Test
    void shouldOfferTheKindsOfTheChosenModelVersionOnly() {
        Matcher m = LABEL_VALUES.matcher(MODEL_PAGE.variable("kind").path("query").path("query").asText());
        assertTrue(m.matches(), "kind variable query: " + MODEL_PAGE.variable("kind"));
        for (String version : BlockReplicas.VERSIONS) {
            assertEquals(List.of("attention", "mlp"), prometheus.labelValues(m.group(2), substitute(m.group(1), BlockReplicas.VIT, version, "")),
                    "kinds offered for the ViT " + version);
            assertEquals(List.of("residual"), prometheus.labelValues(m.group(2), substitute(m.group(1), BlockReplicas.RESNET, version, "")),
                    "kinds offered for the ResNet " + version);
        }
    }

    @Test
    void shouldSeeTheRowsInNameOrderWhenTheSeriesKeepTheBlockLabel() {
        // joined, but labelled {block, position}: Prometheus sorts by block first, so encoder_layer_10 precedes encoder_layer_2
        Dashboard.Query byName = new Dashboard.Query("the join that keeps block and position", "max by (position, block) ("
                + "max by (model, version, block) (resalign_window_block_feature_mean{model=~\"$model\",version=~\"$version\","
                + "feature=\"sigma1\"}) * on (model, version, block) group_left (position) group by (model, version, block, position) "
                + "(resalign_block_info{model=~\"$model\",version=~\"$version\",kind=~\"$kind\"}))", "{{position}} {{block}}");
        List<String> rows = legends(byName, BlockReplicas.VIT, "1", ".+");
        assertEquals(24, rows.size(), "rows: " + rows);
        assertTrue(rows.indexOf("20 encoder_layer_10.attention") < rows.indexOf("04 encoder_layer_2.attention"), "rows by name: " + rows);
        assertFalse(problems(byName, BlockReplicas.VIT, "1", ".+", b -> true).isEmpty(),
                "the check of the forward order passes rows in name order");
    }

    @Test
    void shouldRefuseAJoinThatMatchesTheBlockInfoOfEveryReplica() {
        // every replica exports resalign_block_info: without aggregating it first, each block matches twice
        String plain = substitute("max by (model, version, block) (resalign_window_block_feature_mean{model=~\"$model\",version=~\"$version\","
                + "feature=\"sigma1\"}) * on (model, version, block) group_left (position) resalign_block_info{model=~\"$model\","
                + "version=~\"$version\",kind=~\"$kind\"}", BlockReplicas.VIT, "1", ".+");
        JsonNode r = prometheus.queryRange(plain, 1);
        assertEquals("error", r.path("status").asText(), "a plain group_left over two replicas' info: " + r);
        assertTrue(r.path("error").asText().contains("duplicate series"), r.path("error").asText());
    }

    /** Asserts that every per-block query of the model page draws exactly the expected blocks of {@code model} in forward order. */
    private static void assertPanels(BlockReplicas.Model model, String version, String kind, Predicate<ModelStatus.Block> shown,
            int expectedRows) {
        List<Dashboard.Query> queries = MODEL_PAGE.queries().stream().filter(Dashboard.Query::perBlock).toList();
        assertEquals(5, queries.size(), "per-block queries of the model page: " + queries);
        assertEquals(expectedRows, model.blocks().stream().filter(shown).count(), "the scenario itself");
        List<String> problems = new ArrayList<>();
        queries.forEach(q -> problems.addAll(problems(q, model, version, kind, shown)));
        assertEquals(List.of(), problems, model.name() + " version " + version + ", kind " + kind);
    }

    /**
     * Runs {@code q} as Grafana does for the given variables and returns what differs from one series per
     * shown block of {@code model}, in forward order, each named "position block" and valued as its version.
     */
    private static List<String> problems(Dashboard.Query q, BlockReplicas.Model model, String version, String kind,
            Predicate<ModelStatus.Block> shown) {
        String expr = substitute(q.expr(), model, version, kind);
        JsonNode r = prometheus.queryRange(expr, 1);
        if (!"success".equals(r.path("status").asText())) {
            return List.of(q.where() + ": refused: " + r.path("error").asText() + "\n  " + expr);
        }
        String suffix = q.legend().substring(q.legend().lastIndexOf("}}") + 2);
        List<String> expected = new ArrayList<>();
        List<String> expectedValues = new ArrayList<>();
        List<ModelStatus.Block> blocks = model.blocks();
        for (int i = 0; i < blocks.size(); i++) {
            if (shown.test(blocks.get(i))) {
                expected.add(BlockReplicas.position(model, i) + " " + blocks.get(i).name() + suffix);
                expectedValues.add(Double.toString(BlockReplicas.value(version, i)));
            }
        }
        List<String> problems = new ArrayList<>();
        List<String> legends = legends(q, r);
        // the order of the result is the order of the rows: forward order, and a string sort of the legends keeps it
        if (!legends.equals(expected)) {
            problems.add(q.where() + ": rows (legends in the order Grafana draws them)\n  " + legends + "\n  expected (no other model, "
                    + "version or kind)\n  " + expected);
        }
        if (!legends.equals(legends.stream().sorted().toList())) {
            problems.add(q.where() + ": legends sorted as strings leave the forward order: " + legends);
        }
        List<String> values = PrometheusServer.stream(r.path("data").path("result"))
                .map(s -> Double.toString(Double.parseDouble(s.path("values").path(s.path("values").size() - 1).path(1).asText()))).toList();
        if (problems.isEmpty() && !values.equals(expectedValues)) {
            problems.add(q.where() + ": latest values " + values + ", expected version " + version + "'s " + expectedValues);
        }
        return problems;
    }

    private static List<String> legends(Dashboard.Query q, BlockReplicas.Model model, String version, String kind) {
        return legends(q, prometheus.queryRange(substitute(q.expr(), model, version, kind), 1));
    }

    /** Each series' legend as Grafana renders {@code {{label}}} from its labels, in the order of the result. */
    private static List<String> legends(Dashboard.Query q, JsonNode result) {
        return PrometheusServer.stream(result.path("data").path("result")).map(s -> {
            Matcher m = LEGEND_LABEL.matcher(q.legend());
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(out, Matcher.quoteReplacement(s.path("metric").path(m.group(1)).asText()));
            }
            return m.appendTail(out).toString();
        }).toList();
    }

    private static String substitute(String expr, BlockReplicas.Model model, String version, String kind) {
        return Dashboards.substitute(expr, Map.of("model", model.name(), "version", version, "kind", kind));
    }

    private static long count(String metric) {
        JsonNode r = prometheus.query("count(" + metric + ")").path("data").path("result");
        return r.isEmpty() ? 0 : Long.parseLong(r.path(0).path("value").path(1).asText());
    }
}
