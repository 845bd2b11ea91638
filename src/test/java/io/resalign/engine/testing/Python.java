package io.resalign.engine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs python3 (with numpy) for the independent cross-checks. A missing python3 or numpy fails
 * the test: the cross-checks are never skipped.
 */
public final class Python {
    /** The reference implementation of the RA metrics (src/test/python/ra_reference.py). */
    public static final Path REFERENCE = Path.of("src/test/python/ra_reference.py");

    private Python() {}

    /** Runs {@code python3 args...} and returns its output; fails on a non-zero exit. */
    public static String run(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("python3");
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("python3 did not finish in 300 s: " + command);
        }
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> "python3 failed: " + command + "\n" + text);
        return text;
    }

    /** Runs an inline script with {@code dir} as its first argument. */
    public static String script(String script, Path dir) throws IOException, InterruptedException {
        return run(List.of("-c", script, dir.toString()));
    }

    /** Runs the reference implementation with a sub-command and its arguments. */
    public static String reference(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>();
        all.add(REFERENCE.toString());
        all.addAll(List.of(args));
        return run(all);
    }
}
