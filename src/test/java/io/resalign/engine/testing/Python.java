package io.resalign.engine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs python3 (with numpy; with torch and torchvision for the torchvision reference) for the
 * independent cross-checks. A missing python3, numpy or torch fails the test: the cross-checks
 * are never skipped.
 */
public final class Python {
    /** The reference implementation of the RA metrics (src/test/python/ra_reference.py). */
    public static final Path REFERENCE = Path.of("src/test/python/ra_reference.py");

    /** torchvision's Bottleneck ResNets as the engine's reference (src/test/python/torchvision_reference.py). */
    public static final Path TORCHVISION_REFERENCE = Path.of("src/test/python/torchvision_reference.py");

    /** torchvision's VisionTransformer as the engine's reference (src/test/python/torchvision_vit_reference.py). */
    public static final Path TORCHVISION_VIT_REFERENCE = Path.of("src/test/python/torchvision_vit_reference.py");

    /**
     * Interpreters tried for torch, in order: the python3 on the PATH, then Debian's, where apt puts
     * python3-torch (a PATH python3 from pyenv or a venv does not see Debian's packages).
     */
    private static final List<String> TORCH_INTERPRETERS = List.of("python3", "/usr/bin/python3");

    private static String torchInterpreter;

    private Python() {}

    /** Runs {@code python3 args...} and returns its output; fails on a non-zero exit. */
    public static String run(List<String> args) throws IOException, InterruptedException {
        return run("python3", args);
    }

    /**
     * Runs the torchvision reference with its arguments under a python3 that has torch and
     * torchvision; fails (never skips) when there is none.
     */
    public static String torchvision(String... args) throws IOException, InterruptedException {
        return withTorch(TORCHVISION_REFERENCE, args);
    }

    /** Runs the torchvision ViT reference with its arguments, as {@link #torchvision}. */
    public static String torchvisionVit(String... args) throws IOException, InterruptedException {
        return withTorch(TORCHVISION_VIT_REFERENCE, args);
    }

    private static String withTorch(Path script, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>();
        all.add(script.toString());
        all.addAll(List.of(args));
        return run(torchInterpreter(), all);
    }

    /**
     * Runs an inline script, with its arguments, under a python3 that has torch and torchvision;
     * fails (never skips) when there is none.
     */
    public static String torch(String script, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("-c", script));
        all.addAll(List.of(args));
        return run(torchInterpreter(), all);
    }

    /** Runs a script file under a python3 that has torch and torchvision, in a working directory. */
    public static String torchIn(Path workingDirectory, Path script) throws IOException, InterruptedException {
        return run(torchInterpreter(), List.of(script.toAbsolutePath().toString()), workingDirectory);
    }

    /**
     * Runs a script file under a python3 that has torch and torchvision with extra environment
     * variables, its output passed through as it comes (a benchmark's progress); fails on a
     * non-zero exit, or after {@code timeout} (the other runners' 300 s is too short for one).
     */
    public static void torchLive(Path script, Duration timeout, Map<String, String> environment, List<String> args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(torchInterpreter(), script.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().putAll(environment);
        Process p = builder.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("python3 did not finish in " + timeout + ": " + command);
        }
        assertEquals(0, p.exitValue(), () -> "python3 failed: " + command);
    }

    private static synchronized String torchInterpreter() throws IOException, InterruptedException {
        if (torchInterpreter == null) {
            for (String candidate : TORCH_INTERPRETERS) {
                try {
                    Process p = new ProcessBuilder(candidate, "-c", "import torch, torchvision").redirectErrorStream(true).start();
                    p.getInputStream().readAllBytes();
                    if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
                        torchInterpreter = candidate;
                        break;
                    }
                } catch (IOException notThere) {
                    // try the next one
                }
            }
            if (torchInterpreter == null) {
                throw new AssertionError("no python3 with torch and torchvision (tried " + TORCH_INTERPRETERS
                        + "): apt-get install python3-torch python3-torchvision");
            }
        }
        return torchInterpreter;
    }

    private static String run(String interpreter, List<String> args) throws IOException, InterruptedException {
        return run(interpreter, args, null);
    }

    private static String run(String interpreter, List<String> args, Path workingDirectory) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(interpreter);
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (workingDirectory != null) {
            builder.directory(workingDirectory.toFile());
        }
        Process p = builder.start();
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
