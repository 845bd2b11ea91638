package io.resalign;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads which resalign packages each package's sources name, in imports or as qualified names in
 * code (comments and string literals left out). It sees what the compiled classes cannot: a
 * constant of another package ({@code @WithDefault(Other.DEFAULT)}) is copied into the class file,
 * so the bytecode of the class that names it no longer refers to that package.
 */
final class SourceDependencies {
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);

    /** Package -> the other packages under the root its sources name, both as full names. */
    private final Map<String, Set<String>> uses = new TreeMap<>();
    /** "from -> to" -> the first file that names it, for messages. */
    private final Map<String, Path> where = new TreeMap<>();

    private SourceDependencies() {
    }

    /** Scans every {@code .java} file under {@code sources} for names of packages under {@code root}. */
    static SourceDependencies scan(Path sources, String root) {
        SourceDependencies deps = new SourceDependencies();
        Pattern reference = Pattern.compile("(?<![\\w.])" + Pattern.quote(root) + "((?:\\.[a-z_]\\w*)*)\\.[A-Z]");
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = code(Files.readString(file));
                Matcher p = PACKAGE.matcher(code);
                if (!p.find() || !(p.group(1) + ".").startsWith(root + ".")) {
                    continue;
                }
                String from = p.group(1);
                deps.uses.computeIfAbsent(from, k -> new TreeSet<>());
                Matcher m = reference.matcher(code.substring(p.end()));
                while (m.find()) {
                    String to = root + m.group(1);
                    if (!to.equals(from)) {
                        deps.uses.get(from).add(to);
                        deps.where.putIfAbsent(from + " -> " + to, sources.relativize(file));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return deps;
    }

    /** Returns the source with comments, string and character literals (text blocks too) blanked out. */
    static String code(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            String closing = null;
            if (source.startsWith("/*", i)) {
                closing = "*/";
            } else if (source.startsWith("//", i)) {
                closing = "\n";
            } else if (source.startsWith("\"\"\"", i)) {
                closing = "\"\"\"";
            } else if (c == '"' || c == '\'') {
                closing = String.valueOf(c);
            }
            if (closing == null) {
                out.append(c);
                i++;
                continue;
            }
            int from = i + (closing.equals("\n") ? 2 : closing.equals("*/") ? 2 : closing.length());
            int j = from;
            while (j < n && !source.startsWith(closing, j)) {
                // a backslash escapes the next character inside literals, never inside comments
                j += source.charAt(j) == '\\' && (closing.startsWith("\"") || closing.equals("'")) ? 2 : 1;
            }
            out.append(' ');
            i = Math.min(n, j + closing.length());
        }
        return out.toString();
    }

    /** Returns every package found, with the packages it names. */
    Map<String, Set<String>> uses() {
        return uses;
    }

    /** Returns the file in which {@code from} first names {@code to}. */
    Path where(String from, String to) {
        return where.get(from + " -> " + to);
    }

    /** Returns each package cycle once, as a path that starts and ends at the same package. */
    List<List<String>> cycles() {
        List<List<String>> cycles = new ArrayList<>();
        Set<String> done = new TreeSet<>();
        for (String start : uses.keySet()) {
            walk(start, new ArrayList<>(), done, cycles);
        }
        return cycles;
    }

    private void walk(String at, List<String> path, Set<String> done, List<List<String>> cycles) {
        int seen = path.indexOf(at);
        if (seen >= 0) {
            List<String> cycle = new ArrayList<>(path.subList(seen, path.size()));
            cycle.add(at);
            cycles.add(cycle);
            return;
        }
        if (done.contains(at)) {
            return;
        }
        path.add(at);
        for (String next : uses.getOrDefault(at, Set.of())) {
            walk(next, path, done, cycles);
        }
        path.remove(path.size() - 1);
        done.add(at);
    }
}
