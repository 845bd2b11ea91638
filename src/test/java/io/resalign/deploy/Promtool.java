package io.resalign.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs Prometheus's {@code promtool} (Debian package {@code prometheus}, installed by {@code .ci/run}).
 * There is no offline {@code promtool query}, so {@link #checkExpressions} parses PromQL by writing each
 * expression as a recording rule and running {@code promtool check rules}: the rule loader parses every
 * {@code expr} with Prometheus's own parser and names the rule it rejects.
 */
final class Promtool {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Promtool() {}

    /** The promtool executable; fails (never skips) with what to install when it is missing. */
    static Path executable() {
        return Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(":")), Stream.of("/usr/bin"))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "promtool")).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("promtool not found on PATH or in /usr/bin: install the Debian "
                        + "package prometheus (apt-get install prometheus; .ci/run does)"));
    }

    /** Outcome of one promtool run: exit code and its combined output. */
    record Result(int exitCode, String output) {}

    /** Writes the expressions as recording rules {@code q0, q1, ...} of one group and runs {@code check rules}. */
    static Result checkExpressions(String group, List<String> exprs, Path dir) {
        StringBuilder yaml = new StringBuilder("groups:\n  - name: ").append(quoted(group)).append("\n    rules:\n");
        for (int i = 0; i < exprs.size(); i++) {
            // a JSON string is a valid YAML double-quoted scalar: no YAML escaping of PromQL by hand
            yaml.append("      - record: q").append(i).append("\n        expr: ").append(quoted(exprs.get(i))).append('\n');
        }
        try {
            Path rules = Files.writeString(dir.resolve(group + ".rules.yml"), yaml);
            return run(List.of(executable().toString(), "check", "rules", rules.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Result run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("promtool did not finish in 60 s: " + command);
            }
            return new Result(p.exitValue(), out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    private static String quoted(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
