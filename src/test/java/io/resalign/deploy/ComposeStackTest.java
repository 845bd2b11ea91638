package io.resalign.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.resalign.api.HealthProbe;
import io.resalign.config.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the local stack deploy/compose.yaml statically (no Docker engine, and the docker client
 * here has no compose plugin): images pinned, host paths in the repository, every Kafka client
 * pointed at the Kafka service, the topics the service uses created, start order by health,
 * Prometheus scraping the service where it listens, Grafana provisioned from the mounted files, and
 * the README's URLs equal to the published ports.
 */
class ComposeStackTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path COMPOSE = ROOT.resolve("deploy/compose.yaml");
    private static JsonNode services;

    @BeforeAll
    static void readCompose() throws IOException {
        services = new YAMLMapper().readTree(COMPOSE.toFile()).path("services");
        assertTrue(services.isObject() && services.size() > 0, COMPOSE + ": no services");
    }

    private static JsonNode service(String name) {
        JsonNode s = services.get(name);
        assertNotNull(s, COMPOSE + ": no service '" + name + "'");
        return s;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void shouldPinEveryImageItPulls() {
        Set<String> built = new java.util.HashSet<>();
        services.forEach(s -> {
            if (s.has("build")) {
                built.add(s.path("image").asText());
            }
        });
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String image = e.getValue().path("image").asText();
            if (e.getValue().has("build")) {
                continue;
            }
            if (built.contains(image)) {
                assertEquals("never", e.getValue().path("pull_policy").asText(),
                        "service " + e.getKey() + " uses the locally built " + image + ": pull_policy must be never");
            } else {
                assertEquals(java.util.Optional.empty(), ImageRules.pinProblem(image), "service " + e.getKey());
            }
        }
    }

    @Test
    void shouldMountOnlyPathsOfTheRepository() {
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            for (String volume : strings(e.getValue().path("volumes"))) {
                String source = volume.split(":")[0];
                assertTrue(source.startsWith("."), "service " + e.getKey() + " volume " + volume
                        + ": expected a host path relative to deploy/ (no named volumes, no absolute paths)");
                Path host = COMPOSE.getParent().resolve(source).normalize();
                assertTrue(host.startsWith(ROOT), "service " + e.getKey() + " volume " + volume + " leaves the repository");
                String relative = ROOT.relativize(host).toString();
                assertTrue(Files.exists(host), "service " + e.getKey() + " volume " + volume
                            + ": " + relative + " does not exist in the repository");
            }
        }
    }

    @Test
    void shouldPointEveryKafkaClientAtTheKafkaService() {
        String bootstrap = service("resalign").path("environment").path("KAFKA_BOOTSTRAP_SERVERS").asText();
        String host = bootstrap.split(":")[0];
        JsonNode kafka = service(host);
        assertTrue(kafka.path("image").asText().startsWith("apache/kafka:"), "KAFKA_BOOTSTRAP_SERVERS " + bootstrap + " is not the Kafka service");
        String advertised = kafka.path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText();
        assertTrue(advertised.contains("://" + bootstrap), "kafka advertises " + advertised + ", the service connects to " + bootstrap);
        List<String> producer = strings(service("demo-producer").path("command"));
        assertEquals(bootstrap, producer.get(producer.indexOf("--bootstrap") + 1), "demo-producer --bootstrap");
        String topics = String.join(" ", strings(service("kafka-topics").path("command")));
        assertTrue(topics.contains("--bootstrap-server " + bootstrap), "kafka-topics: " + topics);
        assertEquals("false", service("resalign").path("environment").path("RESALIGN_DEMO_ENABLED").asText(),
                "the demo producer feeds the service; its own demo traffic stays off");
    }

    @Test
    void shouldCreateEveryTopicTheServiceUses() {
        String command = String.join(" ", strings(service("kafka-topics").path("command")));
        for (String topic : List.of(Topics.INFERENCE_SAMPLES, Topics.INFERENCE_SAMPLES_DLQ, Topics.ALIGNMENT_REPORTS)) {
            assertTrue(List.of(command.split("[\\s;]+")).contains(topic), "kafka-topics does not create " + topic + ": " + command);
        }
        assertEquals("no", service("kafka-topics").path("restart").asText(), "a one-shot job");
    }

    @Test
    void shouldStartEachServiceAfterItsDependenciesAreHealthy() {
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            for (Iterator<Map.Entry<String, JsonNode>> deps = e.getValue().path("depends_on").fields(); deps.hasNext();) {
                Map.Entry<String, JsonNode> dep = deps.next();
                String condition = dep.getValue().path("condition").asText();
                JsonNode target = service(dep.getKey());
                switch (condition) {
                    case "service_healthy" -> assertTrue(target.path("healthcheck").has("test")
                            && !target.path("healthcheck").path("disable").asBoolean(),
                            e.getKey() + " waits for " + dep.getKey() + " to be healthy, which has no health check");
                    case "service_completed_successfully" -> assertEquals("no", target.path("restart").asText(),
                            e.getKey() + " waits for " + dep.getKey() + " to finish, which must be a one-shot job");
                    default -> fail(e.getKey() + " depends on " + dep.getKey() + " with condition '" + condition
                            + "'; expected service_healthy or service_completed_successfully");
                }
            }
        }
    }

    @Test
    void shouldRunTheServiceFromTheCpuImageOnItsExposedPort() {
        JsonNode resalign = service("resalign");
        assertEquals(ROOT, COMPOSE.getParent().resolve(resalign.path("build").path("context").asText()).normalize(), "build context");
        Dockerfile image = Dockerfile.parse(ROOT.resolve(resalign.path("build").path("dockerfile").asText()));
        String port = image.finalStage().last("EXPOSE").orElseThrow().words().get(0);
        assertTrue(strings(resalign.path("ports")).contains(port + ":" + port), "resalign publishes " + resalign.path("ports"));
        List<String> check = strings(resalign.path("healthcheck").path("test"));
        assertTrue(check.contains(HealthProbe.class.getName()), "health check: " + check);
        assertTrue(check.contains("http://127.0.0.1:" + port + "/q/health/ready"), "health check: " + check);
        List<String> producer = strings(service("demo-producer").path("entrypoint"));
        assertTrue(producer.contains(io.resalign.demo.DemoProducer.class.getName()), "demo-producer entry point: " + producer);
        String classpath = producer.get(producer.indexOf("-cp") + 1);
        for (String entry : classpath.split(":")) {
            assertTrue(entry.matches("/app/(lib/boot|lib/main|app)/\\*"), "demo-producer class path entry " + entry
                    + " is not in the fast-jar the image copies to /app");
        }
        assertTrue(classpath.contains("/app/lib/boot/*"), "jboss-logmanager (the log manager it names) is in lib/boot");
    }

    /** The services that run the service itself: its image, its own entry point (the demo producer has another). */
    private static List<String> instances() {
        String image = service("resalign").path("image").asText();
        List<String> names = new ArrayList<>();
        services.fields().forEachRemaining(e -> {
            if (e.getValue().path("image").asText().equals(image) && !e.getValue().has("entrypoint")) {
                names.add(e.getKey());
            }
        });
        return names;
    }

    @Test
    void shouldRunTwoInstancesOfTheServiceAlikeOnTheirOwnHostPorts() {
        List<String> instances = instances();
        assertEquals(List.of("resalign", "resalign-2"), instances, "two instances, as a real deployment runs");
        JsonNode first = service("resalign");
        Set<String> hostPorts = new java.util.HashSet<>();
        for (String name : instances) {
            JsonNode s = service(name);
            for (String field : List.of("environment", "volumes", "healthcheck", "depends_on")) {
                assertEquals(first.path(field), s.path(field), name + " " + field + " differs from resalign's: one service, two instances");
            }
            List<String> ports = strings(s.path("ports"));
            assertEquals(1, ports.size(), name + " ports " + ports);
            assertEquals(strings(first.path("ports")).get(0).split(":")[1], ports.get(0).split(":")[1], name + ": container port");
            assertTrue(hostPorts.add(ports.get(0).split(":")[0]), name + ": host port " + ports.get(0) + " taken by another instance");
            assertEquals("1", s.path("environment").path("kafka-streams.num.standby.replicas").asText(),
                    name + ": one standby, so stopping an instance hands its tasks over warm");
            for (String dependent : List.of("demo-producer", "prometheus")) {
                assertEquals("service_healthy", service(dependent).path("depends_on").path(name).path("condition").asText(),
                        dependent + " must wait for " + name + " to be ready");
            }
        }
    }

    @Test
    void shouldScrapeTheServiceWhereItListens() throws IOException {
        Path config = ROOT.resolve("deploy/prometheus/prometheus.yml");
        assertTrue(Files.exists(config), config + " is missing: the compose stack mounts it");
        JsonNode prometheus = new YAMLMapper().readTree(config.toFile());
        String port = Dockerfile.parse(ROOT.resolve("docker/Dockerfile")).finalStage().last("EXPOSE").orElseThrow().words().get(0);
        JsonNode job = null;
        for (JsonNode j : prometheus.path("scrape_configs")) {
            if (j.path("job_name").asText().equals("resalign")) {
                job = j;
            }
        }
        assertNotNull(job, config + ": no scrape job 'resalign'");
        assertEquals("/q/metrics", job.path("metrics_path").asText(), config + ": job resalign metrics_path");
        List<String> targets = new ArrayList<>();
        job.path("static_configs").forEach(c -> targets.addAll(strings(c.path("targets"))));
        Set<String> expected = new java.util.TreeSet<>();
        instances().forEach(name -> expected.add(name + ":" + port));
        assertEquals(expected, new java.util.TreeSet<>(targets), config + ": job resalign must scrape every instance of the service where it listens");
        List<String> mounts = strings(service("prometheus").path("volumes")).stream().map(v -> v.split(":")[1]).toList();
        for (String rules : strings(prometheus.path("rule_files"))) {
            String inContainer = rules.startsWith("/") ? rules : "/etc/prometheus/" + rules;
            assertTrue(mounts.stream().anyMatch(m -> inContainer.startsWith(m + "/")),
                    config + ": rule_files " + rules + " is not under a mounted directory " + mounts);
        }
    }

    @Test
    void shouldProvisionGrafanaFromTheMountedFiles() throws IOException {
        Path datasources = ROOT.resolve("grafana/provisioning/datasources/prometheus.yml");
        Path dashboards = ROOT.resolve("grafana/provisioning/dashboards/resalign.yml");
        assertTrue(Files.exists(datasources) && Files.exists(dashboards), "grafana/provisioning is missing: the compose stack mounts it");
        List<String> urls = new ArrayList<>();
        new YAMLMapper().readTree(datasources.toFile()).path("datasources").forEach(d -> urls.add(d.path("url").asText()));
        assertTrue(urls.contains("http://prometheus:9090"), datasources + ": urls " + urls + ", expected the compose service http://prometheus:9090");
        List<String> paths = new ArrayList<>();
        new YAMLMapper().readTree(dashboards.toFile()).path("providers").forEach(p -> paths.add(p.path("options").path("path").asText()));
        assertTrue(paths.contains("/var/lib/grafana/dashboards"), dashboards + ": paths " + paths);
        String home = service("grafana").path("environment").path("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH").asText();
        assertTrue(Files.exists(ROOT.resolve("grafana/dashboards").resolve(Path.of(home).getFileName())), "home dashboard " + home);
    }

    @Test
    void shouldListThePublishedUrlsInTheReadme() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertTrue(readme.contains("docker compose -f deploy/compose.yaml up --build"), "README: the compose command");
        for (String name : List.of("resalign", "prometheus", "grafana")) {
            List<String> ports = strings(service(name).path("ports"));
            assertFalse(ports.isEmpty(), name + " publishes no port");
            String hostPort = ports.get(0).split(":")[0];
            assertTrue(readme.contains("http://localhost:" + hostPort), "README does not name " + name + " at http://localhost:" + hostPort);
        }
    }
}
