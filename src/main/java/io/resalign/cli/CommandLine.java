package io.resalign.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Splits a command line into options the way every resalign command reads them: {@code --name
 * value} or {@code --name=value}, {@code -h} for {@code --help}, each option at most once, no
 * stray arguments; and parses option values with messages that name the option.
 */
final class CommandLine {
    /** One option as given: its name and its value (null for a flag). */
    record Option(String name, String value) {}

    private CommandLine() {}

    /**
     * Returns the options in the order given.
     *
     * @param args the command line
     * @param known every option the command has
     * @param flags the options that take no value
     * @throws UsageException on an unknown, repeated or valueless option, or a stray argument
     */
    static List<Option> split(String[] args, Set<String> known, Set<String> flags) throws UsageException {
        List<Option> options = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i].equals("-h") ? "--help" : args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "' (options start with --)");
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!known.contains(name)) {
                throw new UsageException("unknown option '" + name + "'");
            }
            if (!seen.add(name) && !name.equals("--help")) {
                throw new UsageException(name + " given more than once");
            }
            if (flags.contains(name)) {
                if (value != null) {
                    throw new UsageException(name + " takes no value");
                }
            } else if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException(name + " needs a value");
                }
                value = args[++i];
            }
            options.add(new Option(name, value));
        }
        return options;
    }

    static Path path(String name, String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException(name + " needs a non-empty path");
        }
        try {
            return Path.of(value);
        } catch (RuntimeException e) {
            throw new UsageException(name + ": invalid path '" + value + "'");
        }
    }

    static int positiveInt(String name, String value) throws UsageException {
        long v = parseLong(name, value, "a positive integer");
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new UsageException(name + " expects a positive integer, got '" + value + "'");
        }
        return (int) v;
    }

    static long nonNegativeInt(String name, String value) throws UsageException {
        long v = parseLong(name, value, "a non-negative integer");
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new UsageException(name + " expects a non-negative integer, got '" + value + "'");
        }
        return v;
    }

    static long nonNegativeLong(String name, String value) throws UsageException {
        long v = parseLong(name, value, "a non-negative integer");
        if (v < 0) {
            throw new UsageException(name + " expects a non-negative integer, got '" + value + "'");
        }
        return v;
    }

    static long parseLong(String name, String value, String what) throws UsageException {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(name + " expects " + what + ", got '" + value + "'");
        }
    }

    /** Parses a comma-separated list of finite numbers ({@code 0.485,0.456,0.406}). */
    static float[] floats(String name, String value) throws UsageException {
        String[] parts = value.split(",", -1);
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Float.parseFloat(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException(name + " expects comma-separated numbers, got '" + value + "'");
            }
            if (!Float.isFinite(out[i])) {
                throw new UsageException(name + " expects finite numbers, got '" + value + "'");
            }
        }
        return out;
    }
}
