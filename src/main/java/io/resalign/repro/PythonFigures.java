package io.resalign.repro;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Draws figures with a python script (numpy + matplotlib): finds an interpreter that has both and
 * runs the script, failing with what to install. Used by the reproduction and by the benchmarks.
 */
public final class PythonFigures {

    /** Thrown when the figures cannot be drawn (python3 or matplotlib missing, or the script failed). */
    public static final class FiguresException extends Exception {
        FiguresException(String message) {
            super(message);
        }
    }

    private PythonFigures() {}

    /**
     * Returns a python interpreter with numpy and matplotlib: {@code given}, or the first of
     * {@code python3}, {@code /usr/bin/python3} that has both.
     *
     * @param given an interpreter the user named, or null
     * @param script the script to run (checked to exist, so a wrong working directory fails early)
     */
    public static String findPython(String given, Path script) throws IOException, InterruptedException, FiguresException {
        if (!Files.isRegularFile(script)) {
            throw new FiguresException("figure script " + script.toAbsolutePath() + " not found (run from the repository root or pass "
                    + "--figures-script)");
        }
        List<String> candidates = given != null ? List.of(given) : List.of("python3", "/usr/bin/python3");
        StringBuilder why = new StringBuilder();
        for (String python : candidates) {
            Process p;
            try {
                p = new ProcessBuilder(python, "-c", "import numpy, matplotlib").redirectErrorStream(true).start();
            } catch (IOException e) {
                why.append("\n  ").append(python).append(": not found");
                continue;
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return python;
            }
            why.append("\n  ").append(python).append(": ").append(output.strip().replace("\n", " | "));
        }
        throw new FiguresException("the figures need python3 with numpy and matplotlib (Debian: apt-get install -y python3-numpy "
                + "python3-matplotlib; or pass --python EXE); tried:" + why);
    }

    /** Runs {@code python script args...}; returns its output, or throws with it when the script fails. */
    public static String run(String python, Path script, String... args) throws IOException, InterruptedException, FiguresException {
        List<String> command = new ArrayList<>(List.of(python, script.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new FiguresException("the figure script " + script + " failed:\n" + output);
        }
        return output;
    }
}
