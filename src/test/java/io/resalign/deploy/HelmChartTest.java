package io.resalign.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;

/**
 * The Helm chart (helm/resalign) linted and rendered by real Helm (helm-java's bundled library), with the chart's
 * defaults and with every {@code ci/*-values.yaml}: lint --strict passes, every rendered document passes the offline
 * Kubernetes schema check ({@link KubernetesSchemaCheck}), the pods run under the restricted security context with
 * pinned images, and the chart's rules and dashboards are the files of deploy/ and grafana/ byte for byte.
 */
class HelmChartTest {

    static final Path CHART = Path.of("helm/resalign");
    /** The cluster version templates render for (helm-java defaults to 1.20, below the chart's kubeVersion). */
    private static final String KUBE_VERSION = "v1.30.0";
    private static final Path RULES_SOURCE = Path.of("deploy/prometheus/rules/resalign-alerts.yml");
    private static final Path DASHBOARDS_SOURCE = Path.of("grafana/dashboards");
    private static final String SYNC = "refresh the chart's copies with ./mvnw -q -Psync-chart validate";

    private static final YAMLMapper YAML = new YAMLMapper();
    private final KubernetesSchemaCheck schema = new KubernetesSchemaCheck();

    /** The chart's defaults (null) and every CI values file. */
    static Stream<Path> valueSets() throws IOException {
        try (Stream<Path> files = Files.list(CHART.resolve("ci"))) {
            List<Path> ci = files.filter(f -> f.getFileName().toString().endsWith("-values.yaml")).sorted().toList();
            assertTrue(ci.size() >= 5, "expected the ci/*-values.yaml files, found " + ci);
            return Stream.concat(Stream.of((Path) null), ci.stream());
        }
    }

    @ParameterizedTest(name = "lint --strict {0}")
    @MethodSource("valueSets")
    void shouldLintStrictly(Path values, @TempDir Path work) throws IOException {
        // helm-java's lint takes no values file: lint a copy of the chart whose values.yaml has the CI values
        // merged in, the way Helm merges them (maps deeply, everything else replaced).
        Path chart = values == null ? CHART : chartWithValues(values, work);
        LintResult result = new Helm(chart).lint().strict().call();
        assertFalse(result.isFailed(), "helm lint --strict " + values + ": " + result.getMessages());
        assertTrue(result.getMessages().stream().noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")),
                "helm lint " + values + " reported: " + result.getMessages());
    }

    @Test
    void shouldFailLintWhenTheValuesBreakTheManifests(@TempDir Path work) throws IOException {
        // Labels given as a list render as YAML that does not parse. (Lint cannot see the chart's own fail checks:
        // Helm's lint mode turns fail into a log line; the template tests cover them.)
        Path values = Files.writeString(work.resolve("bad-values.yaml"), "podLabels: [a, b]\n");
        LintResult result = new Helm(chartWithValues(values, work)).lint().strict().call();
        assertTrue(result.isFailed(), "lint passed a chart whose Deployment does not parse: " + result.getMessages());
        assertTrue(result.getMessages().toString().contains("deployment.yaml: unable to parse YAML"),
                result.getMessages().toString());
    }

    @ParameterizedTest(name = "template {0}")
    @MethodSource("valueSets")
    void shouldRenderManifestsThatMatchTheKubernetesSchemas(Path values) throws IOException {
        List<JsonNode> documents = render(values);
        assertTrue(documents.stream().anyMatch(d -> d.path("kind").asText().equals("Deployment")), "no Deployment");
        List<String> problems = new ArrayList<>();
        documents.forEach(d -> problems.addAll(schema.problems(d)));
        assertEquals(List.of(), problems, "rendered with " + values);
    }

    @ParameterizedTest(name = "security {0}")
    @MethodSource("valueSets")
    void shouldRunEveryContainerRestrictedWithPinnedImages(Path values) throws IOException {
        JsonNode pod = only(render(values), "Deployment").path("spec").path("template").path("spec");
        JsonNode podSecurity = pod.path("securityContext");
        assertTrue(podSecurity.path("runAsNonRoot").asBoolean(), "pod runAsNonRoot");
        assertEquals(1001, podSecurity.path("runAsUser").asInt(), "pod uid (docker/Dockerfile's user)");
        assertEquals("RuntimeDefault", podSecurity.path("seccompProfile").path("type").asText());
        assertFalse(pod.path("automountServiceAccountToken").asBoolean(true), "service account token mounted");
        List<JsonNode> containers = new ArrayList<>();
        pod.path("initContainers").forEach(containers::add);
        pod.path("containers").forEach(containers::add);
        for (JsonNode container : containers) {
            String name = container.path("name").asText();
            JsonNode security = container.path("securityContext");
            assertTrue(security.path("runAsNonRoot").asBoolean(), name + ": runAsNonRoot");
            assertFalse(security.path("allowPrivilegeEscalation").asBoolean(true), name + ": allowPrivilegeEscalation");
            assertTrue(security.path("readOnlyRootFilesystem").asBoolean(), name + ": readOnlyRootFilesystem");
            assertEquals("[\"ALL\"]", security.path("capabilities").path("drop").toString(), name + ": capabilities");
            String image = container.path("image").asText();
            assertTrue(image.contains("@sha256:") || image.matches(".+:[A-Za-z0-9_][A-Za-z0-9_.-]*"),
                    name + ": image '" + image + "' has no tag");
            assertFalse(image.endsWith(":latest"), name + ": image '" + image + "' uses latest");
        }
        JsonNode resalign = container(pod, "resalign");
        List<String> mounts = new ArrayList<>();
        resalign.path("volumeMounts").forEach(m -> mounts.add(m.path("mountPath").asText()));
        assertTrue(mounts.contains("/tmp"), "no writable /tmp: " + mounts);
        assertTrue(mounts.contains(env(resalign, "KAFKA_STREAMS_STATE_DIR")), "state dir not on a volume: " + mounts);
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertTrue(resalign.path(probe).path("httpGet").path("path").asText().startsWith("/q/health/"), probe);
        }
    }

    @Test
    void shouldRefuseTheLatestTag() {
        Exception refused = assertThrows(IllegalStateException.class,
                () -> new Helm(CHART).template().withKubeVersion(KUBE_VERSION).withName("r").set("image.tag", "latest").call());
        assertTrue(refused.getMessage().contains("\"latest\" is not allowed"), refused.getMessage());
    }

    @Test
    void shouldRequestAGpuAndTheCudaImageWhenGpuIsEnabled() throws IOException {
        JsonNode pod = only(render(CHART.resolve("ci/gpu-values.yaml")), "Deployment").path("spec").path("template")
                .path("spec");
        JsonNode resalign = container(pod, "resalign");
        assertEquals("1", resalign.path("resources").path("limits").path("nvidia.com/gpu").asText());
        assertTrue(resalign.path("image").asText().endsWith("-cuda"), resalign.path("image").asText());
        assertEquals("gpu", env(resalign, "RESALIGN_DEVICE"));
        assertEquals("true", pod.path("nodeSelector").path("nvidia.com/gpu.present").asText());
        assertEquals("linux", pod.path("nodeSelector").path("kubernetes.io/os").asText(), "user's nodeSelector kept");
        assertEquals(2, pod.path("tolerations").size(), "user's and GPU tolerations: " + pod.path("tolerations"));
    }

    @Test
    void shouldWireSaslAndTlsFromExistingSecrets() throws IOException {
        List<JsonNode> documents = render(CHART.resolve("ci/kafka-sasl-tls-values.yaml"));
        JsonNode pod = only(documents, "Deployment").path("spec").path("template").path("spec");
        JsonNode resalign = container(pod, "resalign");
        assertEquals("SASL_SSL", env(resalign, "QUARKUS_KAFKA_STREAMS_SECURITY_PROTOCOL"));
        assertEquals("SCRAM-SHA-512", env(resalign, "QUARKUS_KAFKA_STREAMS_SASL_MECHANISM"));
        JsonNode jaas = envVar(resalign, "QUARKUS_KAFKA_STREAMS_SASL_JAAS_CONFIG").path("valueFrom").path("secretKeyRef");
        assertEquals("resalign-kafka-user", jaas.path("name").asText());
        assertEquals("/etc/resalign/kafka-tls/ca.p12", env(resalign, "QUARKUS_KAFKA_STREAMS_SSL_TRUSTSTORE_LOCATION"));
        assertEquals("kafka-cluster-ca", pod.path("volumes").findValue("secretName").asText());
        assertEquals("exactly_once_v2", env(resalign, "kafka-streams.processing.guarantee"));
        assertEquals("3", env(resalign, "kafka-streams.replication.factor"));
        assertEquals("1", only(documents, "PodDisruptionBudget").path("spec").path("maxUnavailable").asText());
    }

    @Test
    void shouldRunOneStandbyPerTaskOnlyWhenThereAreSeveralReplicas() throws IOException {
        JsonNode three = container(only(render(CHART.resolve("ci/kafka-sasl-tls-values.yaml")), "Deployment")
                .path("spec").path("template").path("spec"), "resalign");
        assertEquals("1", env(three, "kafka-streams.num.standby.replicas"), "three replicas: one standby by default");

        JsonNode one = container(only(render(null), "Deployment").path("spec").path("template").path("spec"), "resalign");
        assertTrue(one.path("env").findValues("name").stream().noneMatch(n -> n.asText().endsWith("standby.replicas")),
                "one replica has no other replica to keep a standby on: " + one.path("env"));

        JsonNode own = container(only(renderWith(Map.of("replicaCount", "2", "kafka.bootstrapServers", "kafka:9092",
                "kafka.streamsProperties.num\\.standby\\.replicas", "2")), "Deployment")
                .path("spec").path("template").path("spec"), "resalign");
        List<String> standbys = own.path("env").findValues("name").stream().map(JsonNode::asText)
                .filter(n -> n.equals("kafka-streams.num.standby.replicas")).toList();
        assertEquals(1, standbys.size(), "streamsProperties' num.standby.replicas replaces the chart's: " + own.path("env"));
        assertEquals("2", env(own, "kafka-streams.num.standby.replicas"));
    }

    @Test
    void shouldCarryTheRulesAndDashboardsOfDeployAndGrafanaByteForByte() throws IOException {
        assertArrayEqualsWithHint(RULES_SOURCE, CHART.resolve("files/resalign-alerts.yml"));
        Map<String, Path> sources = jsonFiles(DASHBOARDS_SOURCE);
        Map<String, Path> copies = jsonFiles(CHART.resolve("files/dashboards"));
        assertFalse(sources.isEmpty(), "no dashboards in " + DASHBOARDS_SOURCE);
        assertEquals(sources.keySet(), copies.keySet(), "dashboards in the chart differ from grafana/dashboards: "
                + SYNC + " (and delete copies whose source is gone)");
        for (String name : sources.keySet()) {
            assertArrayEqualsWithHint(sources.get(name), copies.get(name));
        }
    }

    @Test
    void shouldRenderTheRuleGroupsAndDashboardsUnchanged() throws IOException {
        List<JsonNode> documents = render(CHART.resolve("ci/monitoring-values.yaml"));
        JsonNode rendered = only(documents, "PrometheusRule").path("spec").path("groups");
        assertEquals(YAML.readTree(RULES_SOURCE.toFile()).path("groups"), rendered);
        Map<String, Path> sources = jsonFiles(DASHBOARDS_SOURCE);
        int configMaps = 0;
        for (JsonNode document : documents) {
            if (!document.path("kind").asText().equals("ConfigMap")) {
                continue;
            }
            configMaps++;
            assertEquals("1", document.path("metadata").path("labels").path("grafana_dashboard").asText());
            Iterator<Map.Entry<String, JsonNode>> data = document.path("data").fields();
            Map.Entry<String, JsonNode> entry = data.next();
            assertFalse(data.hasNext(), "one dashboard per ConfigMap");
            assertEquals(Files.readString(sources.get(entry.getKey())), entry.getValue().asText(), entry.getKey());
        }
        assertEquals(sources.size(), configMaps, "one ConfigMap per dashboard");
        JsonNode monitor = only(documents, "ServiceMonitor").path("spec").path("endpoints").get(0);
        assertEquals("/q/metrics", monitor.path("path").asText());
        assertEquals("http", monitor.path("port").asText());
    }

    @Test
    void shouldRejectAnUnknownFieldAWrongTypeAndAMissingRequiredField() throws IOException {
        // A typo in a volume mount, an unquoted number as an env value and a volume without a name: Helm renders
        // all three happily; the API server would refuse each, and so must the check.
        List<JsonNode> documents = renderWith(Map.of(
                "extraVolumeMounts[0].name", "scratch", "extraVolumeMounts[0].mountPth", "/scratch",
                "extraEnv[0].name", "RESALIGN_BATCH_SIZE", "extraEnv[0].value", 32,
                "extraVolumes[0].emptyDir.medium", "Memory",
                "serviceMonitor.enabled", true, "serviceMonitor.relabelings[0].sourceLabel", "pod"));
        List<String> problems = new ArrayList<>();
        documents.forEach(d -> problems.addAll(schema.problems(d)));
        String all = String.join("\n", problems);
        assertTrue(all.contains("Deployment resalign") && all.contains("does not decode"), all);
        assertTrue(all.contains("ServiceMonitor") && all.contains("unknown field(s) [sourceLabel]"), all);

        // Each defect alone, so that one failure does not hide the others.
        assertTrue(problemsWith(Map.of("extraVolumeMounts[0].name", "s", "extraVolumeMounts[0].mountPth", "/s"))
                .contains("unknown field(s) [mountPth]"));
        assertTrue(problemsWith(Map.of("extraEnv[0].name", "X", "extraEnv[0].value", 32)).contains("does not decode"));
        assertTrue(problemsWith(Map.of("extraVolumes[0].emptyDir.medium", "Memory"))
                .contains("required field 'name' of Volume is missing"));
    }

    private String problemsWith(Map<String, Object> set) throws IOException {
        List<String> problems = new ArrayList<>();
        renderWith(set).forEach(d -> problems.addAll(schema.problems(d)));
        return String.join("\n", problems);
    }

    private static List<JsonNode> renderWith(Map<String, Object> set) throws IOException {
        var template = new Helm(CHART).template().withKubeVersion(KUBE_VERSION).withName("resalign");
        set.forEach(template::set);
        return documents(template.call());
    }

    static List<JsonNode> render(Path values) throws IOException {
        var template = new Helm(CHART).template().withKubeVersion(KUBE_VERSION).withName("resalign").withNamespace("monitoring");
        if (values != null) {
            template.withValuesFile(values);
        }
        return documents(template.call());
    }

    private static List<JsonNode> documents(String manifests) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(manifests)) {
            Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode document = it.next();
                if (document != null && !document.isNull() && !document.isMissingNode() && document.size() > 0) {
                    documents.add(document);
                }
            }
        }
        return documents;
    }

    private static JsonNode only(List<JsonNode> documents, String kind) {
        List<JsonNode> matching = documents.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
        assertEquals(1, matching.size(), "documents of kind " + kind);
        return matching.get(0);
    }

    private static JsonNode container(JsonNode pod, String name) {
        for (JsonNode container : pod.path("containers")) {
            if (container.path("name").asText().equals(name)) {
                return container;
            }
        }
        throw new AssertionError("no container " + name + " in " + pod);
    }

    private static JsonNode envVar(JsonNode container, String name) {
        for (JsonNode env : container.path("env")) {
            if (env.path("name").asText().equals(name)) {
                return env;
            }
        }
        throw new AssertionError("container " + container.path("name").asText() + " has no env " + name);
    }

    private static String env(JsonNode container, String name) {
        JsonNode value = envVar(container, name).path("value");
        assertNotNull(value);
        return value.asText();
    }

    /** A copy of the chart whose values.yaml is the chart's values with {@code values} merged in as Helm does. */
    private static Path chartWithValues(Path values, Path work) throws IOException {
        Path chart = work.resolve("resalign");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path source : files.toList()) {
                Path target = chart.resolve(CHART.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        JsonNode merged = merge(YAML.readTree(CHART.resolve("values.yaml").toFile()), YAML.readTree(values.toFile()));
        YAML.writeValue(chart.resolve("values.yaml").toFile(), merged);
        return chart;
    }

    private static JsonNode merge(JsonNode base, JsonNode override) {
        if (!(base instanceof ObjectNode baseObject) || override == null || !override.isObject()) {
            return override == null || override.isMissingNode() ? base : override;
        }
        ObjectNode result = baseObject.deepCopy();
        override.fields().forEachRemaining(e -> result.set(e.getKey(), merge(result.get(e.getKey()), e.getValue())));
        return result;
    }

    private static Map<String, Path> jsonFiles(Path directory) throws IOException {
        Map<String, Path> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(directory)) {
            list.filter(f -> f.getFileName().toString().endsWith(".json"))
                    .forEach(f -> files.put(f.getFileName().toString(), f));
        }
        return files;
    }

    private static void assertArrayEqualsWithHint(Path source, Path copy) throws IOException {
        assertTrue(Files.exists(copy), copy + " is missing: " + SYNC);
        assertTrue(Arrays.equals(Files.readAllBytes(source), Files.readAllBytes(copy)),
                copy + " differs from its source " + source + ": " + SYNC);
    }

}
