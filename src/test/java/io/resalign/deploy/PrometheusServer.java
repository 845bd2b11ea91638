package io.resalign.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus ({@code /usr/bin/prometheus}) run as a child process on a free port, with a
 * temporary configuration that scrapes its targets every second as job {@code resalign} (several
 * targets stand for several replicas) and loads the alert rules file if given; queried through its
 * HTTP API. {@link #close()} stops it and deletes its directory.
 */
final class PrometheusServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

    private final Path dir;
    private final Process process;
    private final URI base;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Instant started = Instant.now();

    private PrometheusServer(Path dir, Process process, URI base) {
        this.dir = dir;
        this.process = process;
        this.base = base;
    }

    /** Starts Prometheus scraping {@code target} (host:port) at {@code metricsPath}, with {@code rules} loaded. */
    static PrometheusServer start(String target, String metricsPath, Path rules) throws IOException {
        return start(List.of(target), metricsPath, List.of(rules));
    }

    /** Starts Prometheus scraping every one of {@code targets} (host:port) at {@code metricsPath}, with {@code rules} loaded. */
    static PrometheusServer start(List<String> targets, String metricsPath, List<Path> rules) throws IOException {
        Path binary = PrometheusTools.require("prometheus");
        Path dir = Files.createTempDirectory("resalign-prometheus");
        // 1 s scrapes and evaluations: the test waits for observations, so the interval bounds its length
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                rule_files: %s
                scrape_configs:
                  - job_name: resalign
                    metrics_path: %s
                    static_configs:
                      - targets: %s
                """.formatted(flowList(rules.stream().map(r -> r.toAbsolutePath().toString()).toList()), metricsPath, flowList(targets)));
        int port = freePort();
        Process p = new ProcessBuilder(binary.toString(),
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        return new PrometheusServer(dir, p, URI.create("http://127.0.0.1:" + port + "/"));
    }

    /** A YAML flow sequence of double-quoted strings (none of ours holds a quote or a backslash). */
    private static String flowList(List<String> items) {
        return items.stream().map(i -> "\"" + i + "\"").collect(java.util.stream.Collectors.joining(", ", "[", "]"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** When this Prometheus was started: the start of every range query. */
    Instant started() {
        return started;
    }

    /** Whether {@code /-/ready} answers 200; fails when the process has exited. */
    boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException("prometheus exited with " + process.exitValue() + ":\n" + log());
        }
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("-/ready")).timeout(REQUEST_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Evaluates {@code promql} at now ({@code /api/v1/query}); returns the whole JSON answer, errors included. */
    JsonNode query(String promql) {
        return get("api/v1/query?query=" + encode(promql));
    }

    /** Evaluates {@code promql} from {@link #started()} to now every {@code stepSeconds} ({@code /api/v1/query_range}). */
    JsonNode queryRange(String promql, int stepSeconds) {
        return get("api/v1/query_range?query=" + encode(promql) + "&start=" + started.getEpochSecond()
                + "&end=" + (Instant.now().getEpochSecond() + 1) + "&step=" + stepSeconds);
    }

    /** Returns the answer of {@code /api/v1/<path>} (rules, targets, label values, ...). */
    JsonNode api(String path) {
        return get("api/v1/" + path);
    }

    /** Returns the values of {@code label} over every series ({@code /api/v1/label/<label>/values}). */
    List<String> labelValues(String label) {
        return stream(api("label/" + encode(label) + "/values").path("data")).map(JsonNode::asText).toList();
    }

    /** Returns the values of {@code label} over the series {@code selector} selects, as Grafana's {@code label_values(selector, label)}. */
    List<String> labelValues(String label, String selector) {
        JsonNode values = api("label/" + encode(label) + "/values?" + encode("match[]") + "=" + encode(selector)).path("data");
        return stream(values).map(JsonNode::asText).toList();
    }

    static Stream<JsonNode> stream(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false);
    }

    private JsonNode get(String pathAndQuery) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(REQUEST_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            // errors (400 bad_data, 422 execution) come as JSON with status "error": the caller reports them
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + base.resolve(pathAndQuery) + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The last lines Prometheus logged, for failure messages. */
    String log() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("prometheus.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
