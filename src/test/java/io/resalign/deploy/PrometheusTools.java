package io.resalign.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds Prometheus's binaries (Debian package {@code prometheus}: {@code /usr/bin/prometheus},
 * {@code /usr/bin/promtool}) and runs promtool. A missing binary fails the calling test rather than
 * skipping it: the checks it guards would otherwise pass unseen.
 */
final class PrometheusTools {
    private static final long TIMEOUT_SECONDS = 120;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a promtool run printed and how it ended. */
    record Result(List<String> command, int exitCode, String output) {
        String describe() {
            return String.join(" ", command) + " exited with " + exitCode + ":\n" + output;
        }
    }

    private PrometheusTools() {
    }

    /** Returns the path of {@code name} on PATH or in /usr/bin; fails the test when there is none. */
    static Path require(String name) {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, name));
                }
            }
        }
        candidates.add(Path.of("/usr/bin", name));
        for (Path p : candidates) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail(name + " not found on PATH or in /usr/bin: apt-get install prometheus "
                + "(Debian's package has prometheus and promtool 2.42; .ci/run installs it)");
    }

    /** Runs promtool with {@code args} from the project directory and returns its combined output. */
    static Result promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(require("promtool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // read before waiting: a full pipe would block promtool
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return fail(String.join(" ", command) + " did not end within " + TIMEOUT_SECONDS + " s:\n" + output);
        }
        return new Result(command, p.exitValue(), output);
    }

    /**
     * Parses PromQL offline: writes the expressions as recording rules {@code q0, q1, ...} of one group
     * and runs {@code promtool check rules}, whose rule loader parses every {@code expr} with
     * Prometheus's own parser and names the rule it rejects (there is no offline {@code promtool query}).
     */
    static Result checkExpressions(String group, List<String> exprs, Path dir) throws IOException, InterruptedException {
        StringBuilder yaml = new StringBuilder("groups:\n  - name: ").append(quoted(group)).append("\n    rules:\n");
        for (int i = 0; i < exprs.size(); i++) {
            // a JSON string is a valid YAML double-quoted scalar: no YAML escaping of PromQL by hand
            yaml.append("      - record: q").append(i).append("\n        expr: ").append(quoted(exprs.get(i))).append('\n');
        }
        Path rules = Files.writeString(dir.resolve(group + ".rules.yml"), yaml);
        return promtool("check", "rules", rules.toString());
    }

    private static String quoted(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
