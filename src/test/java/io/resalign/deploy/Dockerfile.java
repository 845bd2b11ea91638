package io.resalign.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A Dockerfile read into build stages of instructions: enough for the static checks of the images
 * (no Docker engine runs here). It joins continuation lines, drops comments, splits at {@code FROM}
 * and reads the exec form (JSON arrays), {@code --flags} and {@code ENV} pairs; it does not expand
 * {@code ARG}s (the images use none) and knows no heredocs.
 */
record Dockerfile(Path path, List<Dockerfile.Stage> stages) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One instruction: its keyword in upper case, its line in the file and the text after the keyword. */
    record Instruction(int line, String keyword, String arguments) {
        /** Returns the leading {@code --name=value} flags. */
        Map<String, String> flags() {
            Map<String, String> flags = new LinkedHashMap<>();
            for (String word : arguments.split("\\s+")) {
                if (!word.startsWith("--")) {
                    break;
                }
                int eq = word.indexOf('=');
                flags.put(eq < 0 ? word.substring(2) : word.substring(2, eq), eq < 0 ? "" : word.substring(eq + 1));
            }
            return flags;
        }

        /** Returns the text after the leading flags. */
        String body() {
            String rest = arguments;
            while (rest.startsWith("--")) {
                int space = rest.indexOf(' ');
                rest = space < 0 ? "" : rest.substring(space + 1).trim();
            }
            return rest;
        }

        /** Returns the words of the body (shell form, split at white space). */
        List<String> words() {
            String body = body();
            return body.isEmpty() ? List.of() : List.of(body.split("\\s+"));
        }

        /** Returns the exec form (a JSON array) that the body ends with, or fails naming the line. */
        List<String> execForm() {
            String body = body();
            int start = body.indexOf('[');
            if (start < 0) {
                throw new AssertionError(this + ": expected the exec form [\"...\"], got shell form");
            }
            try {
                return JSON.readValue(body.substring(start), new TypeReference<List<String>>() { });
            } catch (IOException e) {
                throw new AssertionError(this + ": exec form is not a JSON array of strings", e);
            }
        }

        @Override
        public String toString() {
            return "line " + line + " " + keyword + " " + arguments;
        }
    }

    /** One build stage: the image it starts from, its name ({@code AS name}, may be null), its instructions. */
    record Stage(String image, String name, int line, List<Instruction> instructions) {
        /** Returns this stage's instructions with the keyword, in order. */
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        /** Returns the last instruction with the keyword, the one in effect. */
        Optional<Instruction> last(String keyword) {
            List<Instruction> all = all(keyword);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
        }

        /** Returns the variables this stage's {@code ENV} instructions set (later ones win). */
        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            for (Instruction i : all("ENV")) {
                List<String> words = splitQuoted(i.arguments());
                if (!words.isEmpty() && !words.get(0).contains("=")) {
                    env.put(words.get(0), String.join(" ", words.subList(1, words.size())));
                    continue;
                }
                for (String word : words) {
                    int eq = word.indexOf('=');
                    if (eq <= 0) {
                        throw new AssertionError(i + ": '" + word + "' is not NAME=value");
                    }
                    env.put(word.substring(0, eq), word.substring(eq + 1));
                }
            }
            return env;
        }
    }

    /** Reads the file. */
    static Dockerfile parse(Path path) {
        try {
            return parse(path, Files.readString(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the text, {@code path} only naming it in messages. */
    static Dockerfile parse(Path path, String text) {
        List<Stage> stages = new ArrayList<>();
        List<Instruction> current = null;
        String[] lines = text.split("\n", -1);
        StringBuilder logical = new StringBuilder();
        int startLine = 0;
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.startsWith("#") || (line.isEmpty() && logical.length() == 0)) {
                continue; // comments may sit inside a continued instruction too; Docker drops them
            }
            if (logical.length() == 0) {
                startLine = n + 1;
            }
            boolean continued = line.endsWith("\\");
            logical.append(continued ? line.substring(0, line.length() - 1) : line).append(' ');
            if (continued) {
                continue;
            }
            String instruction = logical.toString().strip();
            logical.setLength(0);
            if (instruction.isEmpty()) {
                continue;
            }
            int space = instruction.indexOf(' ');
            String keyword = (space < 0 ? instruction : instruction.substring(0, space)).toUpperCase(Locale.ROOT);
            String arguments = space < 0 ? "" : instruction.substring(space + 1).strip();
            Instruction parsed = new Instruction(startLine, keyword, arguments);
            if (keyword.equals("FROM")) {
                List<String> words = parsed.words();
                String name = words.size() >= 3 && words.get(1).equalsIgnoreCase("AS") ? words.get(2) : null;
                current = new ArrayList<>();
                stages.add(new Stage(words.get(0), name, startLine, current));
            } else if (current == null) {
                if (!keyword.equals("ARG")) {
                    throw new AssertionError(path + " line " + startLine + ": " + keyword + " before the first FROM");
                }
            } else {
                current.add(parsed);
            }
        }
        if (logical.length() > 0) {
            throw new AssertionError(path + " line " + startLine + ": the last instruction ends with a continuation");
        }
        if (stages.isEmpty()) {
            throw new AssertionError(path + ": no FROM");
        }
        return new Dockerfile(path, List.copyOf(stages));
    }

    /** Returns the stage the image is made of: the last one. */
    Stage finalStage() {
        return stages.get(stages.size() - 1);
    }

    /** Returns the stage named {@code name}, if any. */
    Optional<Stage> stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst();
    }

    /** Splits at white space outside double quotes, dropping the quotes. */
    private static List<String> splitQuoted(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        for (char c : text.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (word.length() > 0) {
                    words.add(word.toString());
                    word.setLength(0);
                }
            } else {
                word.append(c);
            }
        }
        if (word.length() > 0) {
            words.add(word.toString());
        }
        return words;
    }
}
