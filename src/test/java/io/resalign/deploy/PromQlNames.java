package io.resalign.deploy;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the metric names a PromQL expression selects: the name part of each of its vector selectors
 * ({@link PromQlSelectors}), or the {@code __name__} matcher of a selector that has no name part.
 * Enough for the queries of the dashboards and rules; the syntax itself is checked by promtool.
 */
final class PromQlNames {
    private static final Pattern NAME_MATCHER = Pattern.compile("__name__\\s*=\\s*\"([^\"]+)\"");

    private PromQlNames() {}

    /** Returns the metric names selected by {@code expr}, sorted. */
    static Set<String> of(String expr) {
        Set<String> names = new TreeSet<>();
        for (String selector : PromQlSelectors.of(expr)) {
            int brace = selector.indexOf('{');
            String name = (brace < 0 ? selector : selector.substring(0, brace)).strip();
            if (name.isEmpty()) {
                Matcher m = NAME_MATCHER.matcher(selector);
                if (m.find()) {
                    names.add(m.group(1));
                }
            } else {
                names.add(name);
            }
        }
        return names;
    }
}
