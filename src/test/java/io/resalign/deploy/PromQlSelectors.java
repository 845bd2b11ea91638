package io.resalign.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Extracts the vector selectors of a PromQL expression ({@code name}, {@code name{matchers}},
 * {@code {matchers}}), without their range or offset, so that a test can ask a real Prometheus
 * whether each one selects at least one series. An alert's condition is false on a healthy
 * service, so evaluating the whole expression proves only that it parses; evaluating each selector
 * proves that every metric name and label matcher it uses exists. Prometheus 2.42 has no
 * parse_query endpoint, hence this small scanner.
 *
 * <p>What it knows of PromQL: strings (three quote kinds, escapes), comments, numbers and
 * durations, range and subquery brackets, function calls (an identifier followed by {@code (}),
 * aggregation modifiers ({@code by}, {@code without}) and vector matching ({@code on},
 * {@code ignoring}, {@code group_left}, {@code group_right}) whose label lists are not metrics,
 * and the keywords {@code and}, {@code or}, {@code unless}, {@code bool}, {@code offset},
 * {@code atan2}, {@code Inf}, {@code NaN}.
 */
final class PromQlSelectors {
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan");
    private static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
            "count_values", "bottomk", "topk", "quantile");
    private static final Set<String> LABEL_LIST_KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

    private final String q;
    private int i;

    private PromQlSelectors(String expr) {
        this.q = expr;
    }

    /** Returns the distinct selectors of {@code expr} in the order they appear. */
    static List<String> of(String expr) {
        return new PromQlSelectors(expr).scan();
    }

    private List<String> scan() {
        Set<String> out = new LinkedHashSet<>();
        while (i < q.length()) {
            char c = q.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                while (i < q.length() && q.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '"' || c == '\'' || c == '`') {
                skipString();
            } else if (c == '[') {
                skipPast(']');
            } else if (c == '{') {
                out.add(braces());
            } else if (Character.isDigit(c) || c == '.' && i + 1 < q.length() && Character.isDigit(q.charAt(i + 1))) {
                // numbers, durations (15m, 1h30m), hex, exponents: one run of word characters
                while (i < q.length() && (Character.isLetterOrDigit(q.charAt(i)) || q.charAt(i) == '.' || q.charAt(i) == '_')) {
                    i++;
                }
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                identifier(out);
            } else {
                i++;
            }
        }
        return new ArrayList<>(out);
    }

    private void identifier(Set<String> out) {
        int start = i;
        while (i < q.length() && (Character.isLetterOrDigit(q.charAt(i)) || q.charAt(i) == '_' || q.charAt(i) == ':')) {
            i++;
        }
        String word = q.substring(start, i);
        String lower = word.toLowerCase(java.util.Locale.ROOT);
        int next = nextNonSpace();
        if (LABEL_LIST_KEYWORDS.contains(lower)) {
            if (next < q.length() && q.charAt(next) == '(') {
                i = next;
                skipPast(')');
            }
        } else if (KEYWORDS.contains(lower)) {
            // an operator or a number literal
        } else if (AGGREGATIONS.contains(lower) && startsWithWord(next, "by", "without")) {
            // "sum by (labels) (...)": the label list is skipped when its keyword is scanned
        } else if (next < q.length() && q.charAt(next) == '(') {
            // a function call or an aggregation: its arguments are scanned as they come
        } else if (next < q.length() && q.charAt(next) == '{') {
            i = next;
            out.add(word + braces());
        } else {
            out.add(word);
        }
    }

    private boolean startsWithWord(int at, String... words) {
        for (String w : words) {
            int end = at + w.length();
            if (q.regionMatches(true, at, w, 0, w.length())
                    && (end >= q.length() || !(Character.isLetterOrDigit(q.charAt(end)) || q.charAt(end) == '_'))) {
                return true;
            }
        }
        return false;
    }

    private int nextNonSpace() {
        int j = i;
        while (j < q.length() && Character.isWhitespace(q.charAt(j))) {
            j++;
        }
        return j;
    }

    /** Returns the matcher block starting at {@code i} (a '{'), strings included, and moves past it. */
    private String braces() {
        int start = i;
        i++;
        while (i < q.length() && q.charAt(i) != '}') {
            char c = q.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                skipString();
            } else {
                i++;
            }
        }
        if (i >= q.length()) {
            throw new IllegalArgumentException("unclosed '{' at " + start + " in: " + q);
        }
        i++;
        return q.substring(start, i);
    }

    private void skipPast(char close) {
        int start = i;
        while (i < q.length() && q.charAt(i) != close) {
            i++;
        }
        if (i >= q.length()) {
            throw new IllegalArgumentException("unclosed bracket at " + start + " (expected '" + close + "') in: " + q);
        }
        i++;
    }

    private void skipString() {
        char quote = q.charAt(i);
        int start = i;
        i++;
        while (i < q.length() && q.charAt(i) != quote) {
            // backquoted strings take no escapes
            i += q.charAt(i) == '\\' && quote != '`' ? 2 : 1;
        }
        if (i >= q.length()) {
            throw new IllegalArgumentException("unclosed string at " + start + " in: " + q);
        }
        i++;
    }
}
