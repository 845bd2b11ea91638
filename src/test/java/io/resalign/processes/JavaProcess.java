package io.resalign.processes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A JVM the tests start as a process of its own (a Kafka broker, the packaged service), with its
 * output in a log file the test can wait on, and that the test can kill with SIGKILL: an
 * in-process stop runs shutdown hooks and commits, which hides what a crash does.
 */
public final class JavaProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private JavaProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code java ARGS} with this JVM's binary, the given environment additions, output to {@code log}. */
    public static JavaProcess start(String name, List<String> args, Map<String, String> env, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        builder.environment().putAll(env);
        return new JavaProcess(name, builder.start(), log);
    }

    /** Starts a main class of the test classpath. */
    public static JavaProcess startMain(String name, Class<?> main, List<String> args, Path log) throws IOException {
        List<String> all = new ArrayList<>(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"), main.getName()));
        all.addAll(args);
        return start(name, all, Map.of(), log);
    }

    /** Waits until the output holds {@code fragment}; fails with the output's tail when the process ends or the time is up. */
    public void awaitOutput(String fragment, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains(fragment)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " ended (exit " + process.exitValue() + ") before printing '" + fragment + "':\n" + tail());
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " did not print '" + fragment + "' within " + timeout + ":\n" + tail());
    }

    /** Returns everything the process printed so far. */
    public String output() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** Returns the last lines of the output, for failure messages. */
    public String tail() throws IOException {
        String out = output();
        return out.substring(Math.max(0, out.length() - 6_000));
    }

    /** Kills the process with SIGKILL (no shutdown hook, no commit, no flush) and waits for it to end. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Returns whether the process still runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Stops the process with SIGTERM (its shutdown hooks run), waiting up to 30 s before a SIGKILL. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(Duration.ofSeconds(30).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                kill();
            }
        }
    }
}
