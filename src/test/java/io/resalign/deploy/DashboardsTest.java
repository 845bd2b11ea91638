package io.resalign.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the Grafana dashboards and provisioning of {@code grafana/} without a Grafana: the JSON parses,
 * declares the shareable {@code DS_PROMETHEUS} input and the variables, every query goes through the
 * {@code ${DS_PROMETHEUS}} datasource, the grid is sound, every metric a query reads is one the service
 * exports, and every query is PromQL that Prometheus's own parser (promtool) accepts.
 */
class DashboardsTest {
    private static final JsonNode DATASOURCE = new YAMLMapper().createObjectNode().put("type", "prometheus")
            .put("uid", "${DS_PROMETHEUS}");

    /**
     * Quarkus, JVM and Kafka client meters the dashboards read. Each was seen on a running service: the
     * packaged jar ({@code ./mvnw package}, then {@code java -jar target/quarkus-app/quarkus-run.jar} on its
     * embedded broker with demo traffic, 2026-11-27, Quarkus 3.33.2, Kafka 4.1.2) scraped with
     * {@code curl localhost:8080/q/metrics}. Kafka's per-partition {@code records_lag} is not exported there,
     * only the per-client {@code records_lag_max}.
     */
    static final Set<String> VERIFIED_RUNTIME_METRICS = Set.of(
            "jvm_memory_used_bytes", "jvm_memory_committed_bytes", "jvm_memory_max_bytes",
            "jvm_gc_pause_seconds_sum", "jvm_gc_overhead", "jvm_threads_live_threads", "jvm_threads_daemon_threads",
            "process_cpu_usage", "system_cpu_usage", "process_uptime_seconds", "process_files_open_files",
            "process_files_max_files",
            "kafka_consumer_fetch_manager_records_lag_max", "kafka_consumer_fetch_manager_records_consumed_total",
            "kafka_consumer_coordinator_rebalance_total", "kafka_stream_thread_process_rate",
            "kafka_stream_client_state", "kafka_stream_alive_stream_threads");

    private static final Pattern DOC_ROW = Pattern.compile("^\\|\\s*`(resalign_[a-z0-9_]+)`\\s*\\|\\s*([a-z]+)\\s*\\|", Pattern.MULTILINE);

    /** The meters docs/metrics.md lists, a histogram with its {@code _bucket}, {@code _count} and {@code _sum} series. */
    static Set<String> documentedMetrics() throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher m = DOC_ROW.matcher(Files.readString(Path.of("docs/metrics.md")));
        while (m.find()) {
            names.add(m.group(1));
            if (m.group(2).equals("histogram")) {
                List.of("_bucket", "_count", "_sum").forEach(s -> names.add(m.group(1) + s));
            }
        }
        return names;
    }

    @Test
    void shouldParseEveryDashboardWithSchemaVersion39AndItsFixedUid() {
        Set<String> uids = new HashSet<>();
        for (Dashboard d : Dashboard.all()) {
            assertEquals(39, d.json().path("schemaVersion").asInt(), d.name() + ": schemaVersion");
            String uid = d.json().path("uid").asText();
            assertEquals(d.name().replace(".json", ""), uid, d.name() + ": uid must be fixed and equal the file name");
            assertTrue(uids.add(uid), d.name() + ": uid " + uid + " used twice");
            assertTrue(d.json().path("id").isNull(), d.name() + ": id must be null (Grafana assigns it on import)");
            assertFalse(d.json().path("title").asText().isBlank(), d.name() + ": title");
            assertFalse(d.panels().isEmpty(), d.name() + ": no panels");
        }
    }

    @Test
    void shouldDeclareTheDatasourceInputAndTheModelAndVersionVariables() throws IOException {
        String provisionedUid = provisionedDatasource().path("uid").asText();
        for (Dashboard d : Dashboard.all()) {
            JsonNode input = d.json().path("__inputs").path(0);
            assertEquals("DS_PROMETHEUS", input.path("name").asText(), d.name() + ": __inputs[0].name");
            assertEquals("datasource", input.path("type").asText(), d.name() + ": __inputs[0].type");
            assertEquals("prometheus", input.path("pluginId").asText(), d.name() + ": __inputs[0].pluginId");

            JsonNode ds = d.variable("DS_PROMETHEUS");
            assertNotNull(ds, d.name() + ": no DS_PROMETHEUS variable");
            assertEquals("datasource", ds.path("type").asText(), d.name() + ": DS_PROMETHEUS type");
            assertEquals("prometheus", ds.path("query").asText(), d.name() + ": DS_PROMETHEUS query (plugin id)");
            // provisioned dashboards do not resolve __inputs: the variable must default to the provisioned uid
            assertEquals(provisionedUid, ds.path("current").path("value").asText(),
                    d.name() + ": DS_PROMETHEUS must default to the provisioned datasource uid");

            JsonNode model = d.variable("model");
            assertNotNull(model, d.name() + ": no model variable");
            assertEquals("query", model.path("type").asText(), d.name() + ": model type");
            assertEquals("label_values(resalign_model_loaded, model)", variableQuery(model), d.name() + ": model query");
            JsonNode version = d.variable("version");
            assertNotNull(version, d.name() + ": no version variable");
            assertEquals("label_values(resalign_model_loaded{model=~\"$model\"}, version)", variableQuery(version),
                    d.name() + ": version must be chained on model");
        }
    }

    @Test
    void shouldOfferTheBlockKindsAfterTheVersionWhereverBlocksAreDrawn() {
        int dashboardsWithBlocks = 0;
        for (Dashboard d : Dashboard.all()) {
            if (d.queries().stream().noneMatch(Dashboard.Query::perBlock)) {
                continue;
            }
            dashboardsWithBlocks++;
            JsonNode kind = d.variable("kind");
            assertNotNull(kind, d.name() + ": draws per-block series but has no kind variable");
            assertEquals("label_values(resalign_block_info{model=~\"$model\",version=~\"$version\"}, kind)", variableQuery(kind),
                    d.name() + ": kind must be chained on model and version");
            assertTrue(kind.path("multi").asBoolean() && kind.path("includeAll").asBoolean(), d.name() + ": kind must be multi, with All");
            assertEquals("$__all", kind.path("current").path("value").path(0).asText(), d.name() + ": kind must default to All");
            assertTrue(d.variableNames().indexOf("kind") > d.variableNames().indexOf("version"),
                    d.name() + ": Grafana resolves variables in order, kind reads $version: " + d.variableNames());
        }
        assertEquals(1, dashboardsWithBlocks, "only the model page draws per-block series");
    }

    @Test
    void shouldJoinEveryPerBlockQueryOnTheBlockInfoFilteredByKind() {
        List<Dashboard.Query> perBlock = Dashboard.all().stream().flatMap(d -> d.queries().stream()).filter(Dashboard.Query::perBlock).toList();
        assertEquals(5, perBlock.size(), "sigma1, self_alignment, alignment heatmaps, effective and stable rank: " + perBlock);
        for (Dashboard.Query q : perBlock) {
            // the info side aggregated: every replica exports resalign_block_info, a plain group_left would match several
            assertTrue(q.expr().contains("* on (model, version, block) group_left (position) group by (model, version, block, position) "
                    + "(resalign_block_info{model=~\"$model\",version=~\"$version\",kind=~\"$kind\"})"), q.where() + ": " + q.expr());
            // one label "NN block": Prometheus sorts a range result by its labels, so the rows come in forward order
            assertTrue(q.expr().startsWith("max by (position_block) (label_join("), q.where() + ": " + q.expr());
            assertTrue(q.legend().startsWith("{{position_block}}"), q.where() + ": legend " + q.legend());
        }
    }

    private static final Pattern OUTER_AGGREGATION = Pattern.compile("^(?:(?:sum|max|min|avg)(?: by \\([^)]*\\))? ?\\(|histogram_quantile\\()");
    private static final Pattern BY_CLAUSE = Pattern.compile("\\bby \\(([^)]*)\\)");
    private static final Pattern RESALIGN_RATE = Pattern.compile("\\b(?:rate|increase)\\(resalign_");
    private static final Pattern SUMMED = Pattern.compile("\\bsum(?: by \\([^)]*\\))? ?\\($");

    @Test
    void shouldAggregateEveryModelQueryOverInstances() {
        // Several instances run: a drift gauge comes only from the monitor's owner, which changes on a rebalance, and
        // every instance counts its own work, so a model-level panel must not draw one series per instance.
        List<String> problems = new ArrayList<>();
        int modelQueries = 0;
        for (Dashboard d : Dashboard.all()) {
            for (Dashboard.Query q : d.queries()) {
                Matcher rate = RESALIGN_RATE.matcher(q.expr());
                while (rate.find()) {
                    if (!SUMMED.matcher(q.expr().substring(0, rate.start())).find()) {
                        problems.add(q.where() + ": a rate of a resalign counter not summed over instances: " + q.expr());
                    }
                }
                if (!q.expr().contains("model=~\"$model\"")) {
                    continue; // per-instance panels (Kafka client, JVM, broker probe) draw one line per instance on purpose
                }
                modelQueries++;
                if (!OUTER_AGGREGATION.matcher(q.expr()).find()) {
                    problems.add(q.where() + ": not aggregated over instances: " + q.expr());
                }
                Matcher by = BY_CLAUSE.matcher(q.expr());
                while (by.find()) {
                    if (List.of(by.group(1).split(",\\s*")).contains("instance")) {
                        problems.add(q.where() + ": grouped by instance: " + q.expr());
                    }
                }
            }
        }
        assertTrue(modelQueries > 50, "the model queries were not found: " + modelQueries);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void shouldTellAnUnaggregatedModelQueryFromAnAggregatedOne() {
        assertFalse(OUTER_AGGREGATION.matcher("resalign_drift_statistic{model=~\"$model\"}").find());
        assertTrue(OUTER_AGGREGATION.matcher("max by (model, version) (resalign_drift_statistic{model=~\"$model\"})").find());
        String perInstance = "rate(resalign_samples_in_total{model=~\"$model\"}[5m])";
        Matcher rate = RESALIGN_RATE.matcher(perInstance);
        assertTrue(rate.find() && !SUMMED.matcher(perInstance.substring(0, rate.start())).find());
        String summed = "sum by (model, version) (rate(resalign_samples_in_total[5m]))";
        rate = RESALIGN_RATE.matcher(summed);
        assertTrue(rate.find() && SUMMED.matcher(summed.substring(0, rate.start())).find());
    }

    private static String variableQuery(JsonNode v) {
        JsonNode q = v.path("query");
        return q.isTextual() ? q.asText() : q.path("query").asText();
    }

    @Test
    void shouldQueryThroughTheDsPrometheusDatasourceEverywhere() {
        for (Dashboard d : Dashboard.all()) {
            for (JsonNode p : d.panels()) {
                String where = d.name() + " panel " + p.path("id") + " \"" + p.path("title").asText() + "\"";
                if (p.path("type").asText().equals("row")) {
                    continue; // a row groups panels and runs no query
                }
                assertEquals(DATASOURCE, p.path("datasource"), where + ": panel datasource");
                assertFalse(p.path("targets").isEmpty(), where + ": no targets");
                for (JsonNode t : p.path("targets")) {
                    assertEquals(DATASOURCE, t.path("datasource"), where + " target " + t.path("refId").asText());
                    assertFalse(t.path("expr").asText().isBlank(), where + " target " + t.path("refId").asText() + ": empty expr");
                }
            }
            for (JsonNode a : d.promAnnotations()) {
                assertEquals(DATASOURCE, a.path("datasource"), d.name() + " annotation " + a.path("name").asText());
            }
            for (String v : d.variableNames()) {
                if (!v.equals("DS_PROMETHEUS")) {
                    assertEquals(DATASOURCE, d.variable(v).path("datasource"), d.name() + " variable " + v);
                }
            }
        }
    }

    @Test
    void shouldHaveUniquePanelIdsAndNonOverlappingPanelsWithin24Columns() {
        for (Dashboard d : Dashboard.all()) {
            Set<Integer> ids = new HashSet<>();
            List<int[]> boxes = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (JsonNode p : d.panels()) {
                String where = d.name() + " panel " + p.path("id") + " \"" + p.path("title").asText() + "\"";
                assertTrue(p.path("id").isInt(), where + ": id must be an integer");
                assertTrue(ids.add(p.path("id").asInt()), where + ": id used twice");
                JsonNode g = p.path("gridPos");
                int x = g.path("x").asInt(-1), y = g.path("y").asInt(-1), w = g.path("w").asInt(0), h = g.path("h").asInt(0);
                assertTrue(x >= 0 && y >= 0 && w > 0 && h > 0, where + ": gridPos " + g);
                assertTrue(x + w <= 24, where + ": x + w = " + (x + w) + " > 24 columns");
                for (int i = 0; i < boxes.size(); i++) {
                    int[] o = boxes.get(i);
                    boolean overlap = x < o[0] + o[2] && o[0] < x + w && y < o[1] + o[3] && o[1] < y + h;
                    assertFalse(overlap, where + " " + g + " overlaps " + names.get(i));
                }
                boxes.add(new int[] {x, y, w, h});
                names.add(where);
            }
        }
    }

    @Test
    void shouldOnlyQueryMetricsTheServiceExports() throws IOException {
        Set<String> documented = documentedMetrics();
        assertTrue(documented.contains("resalign_batch_duration_seconds_bucket"),
                "docs/metrics.md parsed badly: no resalign_batch_duration_seconds_bucket in " + documented);
        List<String> unknown = new ArrayList<>();
        for (Dashboard d : Dashboard.all()) {
            for (Dashboard.Query q : d.queries()) {
                for (String name : PromQlNames.of(q.expr())) {
                    if (!documented.contains(name) && !VERIFIED_RUNTIME_METRICS.contains(name)) {
                        unknown.add(q.where() + " reads " + name);
                    }
                }
            }
        }
        assertTrue(unknown.isEmpty(), "metrics neither in docs/metrics.md nor verified on /q/metrics:\n" + String.join("\n", unknown));
    }

    @Test
    void shouldListOnlyUsedAndUndocumentedNamesOutsideDocs() throws IOException {
        Set<String> used = new TreeSet<>();
        Dashboard.all().forEach(d -> d.queries().forEach(q -> used.addAll(PromQlNames.of(q.expr()))));
        Set<String> unused = new TreeSet<>(VERIFIED_RUNTIME_METRICS);
        unused.removeAll(used);
        assertTrue(unused.isEmpty(), "allow-listed but used by no dashboard (remove them): " + unused);
    }

    @Test
    void shouldUseOnlyTheVariablesTheEndToEndTestSubstitutes() {
        for (Dashboard d : Dashboard.all()) {
            d.queries().forEach(Dashboard::concrete); // throws naming the query and the variable
        }
    }

    @Test
    void shouldBeValidPromQlForPromtool(@TempDir Path dir) throws Exception {
        for (Dashboard d : Dashboard.all()) {
            List<Dashboard.Query> queries = d.queries();
            PrometheusTools.Result r = PrometheusTools.checkExpressions(d.name().replace(".json", ""),
                    queries.stream().map(Dashboard::concrete).toList(), dir);
            if (r.exitCode() != 0) {
                StringBuilder legend = new StringBuilder();
                for (int i = 0; i < queries.size(); i++) {
                    legend.append("\n  q").append(i).append(" = ").append(queries.get(i).where());
                }
                fail("promtool check rules rejected a query of " + d.name() + ":\n" + r.output() + "\nrules:" + legend);
            }
            assertTrue(r.output().contains("SUCCESS: " + queries.size() + " rules found"), r.output());
        }
    }

    @Test
    void shouldRejectAMalformedExpressionWithPromtool(@TempDir Path dir) throws Exception {
        PrometheusTools.Result r = PrometheusTools.checkExpressions("broken", List.of("sum(rate(resalign_records_in_total[1m])"), dir);
        assertNotEquals(0, r.exitCode(), "promtool accepted an unbalanced parenthesis: " + r.output());
        assertTrue(r.output().contains("q0"), "promtool should name the rejected rule: " + r.output());
    }

    @Test
    void shouldExtractMetricNamesButNotFunctionsLabelsKeywordsOrDurations() {
        assertEquals(Set.of("resalign_batch_duration_seconds_bucket"), PromQlNames.of(
                "histogram_quantile(0.99, sum by (le, model) (rate(resalign_batch_duration_seconds_bucket{model=~\"a|b\",le!=\"1e3\"}[5m] offset 1h)))"));
        assertEquals(Set.of("resalign_records_rejected_total"), PromQlNames.of(
                "sum by (reason) (rate(resalign_records_rejected_total[1m])) or on() label_replace(vector(0), \"reason\", \"none\", \"\", \"\")"));
        assertEquals(Set.of("a_total", "b"), PromQlNames.of("a_total / on (model) group_left (device) b > bool 2e-3"));
        assertEquals(Set.of("a", "b"), PromQlNames.of(
                "max by (position_block) (label_join(a * on (block) group_left (position) group by (block, position) (b), "
                        + "\"position_block\", \" \", \"position\", \"block\"))"));
    }

    @Test
    void shouldDrawEachHeatmapRowFromOneBlockSeries() {
        Dashboard model = Dashboard.read(Dashboard.DIRECTORY.resolve("resalign-model.json"));
        List<JsonNode> heatmaps = model.panels().stream().filter(p -> p.path("type").asText().equals("heatmap")).toList();
        assertEquals(3, heatmaps.size(), "sigma1, self_alignment and alignment heatmaps");
        for (JsonNode p : heatmaps) {
            String where = "heatmap \"" + p.path("title").asText() + "\"";
            // calculate off: each series is a row (named by its legend); on, Grafana would bucket the values instead
            assertFalse(p.path("options").path("calculate").asBoolean(true), where + ": options.calculate must be false");
            assertEquals(1, p.path("targets").size(), where + ": one query, one series per row");
            JsonNode t = p.path("targets").path(0);
            // the row's name is its legend: "NN block", forward position first (BlockPanelsTest runs the query)
            assertEquals("{{position_block}}", t.path("legendFormat").asText(), where + ": one row per block, named by position and block");
            assertTrue(t.path("expr").asText().startsWith("max by (position_block) (label_join(max by (model, version, block) "
                    + "(resalign_window_block_feature_mean{"), where + ": " + t);
            assertEquals("time_series", t.path("format").asText(), where + ": the heatmap format would de-accumulate le buckets");
        }
    }

    @Test
    void shouldProvisionThePrometheusDatasourceAndTheResalignFolder() throws IOException {
        JsonNode ds = provisionedDatasource();
        assertEquals("prometheus", ds.path("uid").asText(), "datasource uid");
        assertEquals("prometheus", ds.path("type").asText(), "datasource type");
        assertEquals("http://prometheus:9090", ds.path("url").asText(), "datasource url (the compose service)");

        JsonNode providers = new YAMLMapper().readTree(Path.of("grafana/provisioning/dashboards/resalign.yml").toFile()).path("providers");
        assertEquals(1, providers.size(), "one dashboard provider");
        JsonNode p = providers.path(0);
        assertEquals("file", p.path("type").asText(), "provider type");
        assertEquals("resalign", p.path("folder").asText(), "provider folder");
        assertEquals("/var/lib/grafana/dashboards", p.path("options").path("path").asText(), "provider path");
    }

    private static JsonNode provisionedDatasource() throws IOException {
        JsonNode list = new YAMLMapper().readTree(Path.of("grafana/provisioning/datasources/prometheus.yml").toFile()).path("datasources");
        assertEquals(1, list.size(), "one provisioned datasource");
        return list.path(0);
    }
}
