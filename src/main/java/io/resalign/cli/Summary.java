package io.resalign.cli;

import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Collects the scalar metrics of every sample (one double per sample and metric, nothing else) to
 * print their mean and median at the end. NaN values are left out and counted.
 */
final class Summary {
    private final Map<String, Values> values = new LinkedHashMap<>();
    private int samples;
    private int labelled;
    private int correct;

    void add(SampleMetrics s, Integer label) {
        samples++;
        if (label != null) {
            labelled++;
            if (label == s.predicted()) {
                correct++;
            }
        }
        put("sample", "", "line_shape", s.lineShape());
        put("sample", "", "step_cv", s.stepCv());
        put("sample", "", "alignment", s.alignment());
        put("sample", "", "depth_scaled_sigma1", s.depthScaledSigma1());
        for (BlockMetrics b : s.blocks()) {
            put("block", b.name(), "sigma1", b.sigma1());
            put("block", b.name(), "stable_rank", b.stableRank());
            put("block", b.name(), "effective_rank", b.effectiveRank());
            put("block", b.name(), "self_alignment", b.selfAlignment());
            put("block", b.name(), "alignment", b.alignment());
        }
    }

    private void put(String scope, String name, String metric, double v) {
        values.computeIfAbsent(scope + "\t" + name + "\t" + metric, key -> new Values()).add(v);
    }

    void print(PrintStream err) {
        err.printf(Locale.ROOT, "summary over %d samples%s%n", samples,
                labelled > 0 ? String.format(Locale.ROOT, " (accuracy %.4f on %d labelled)", correct / (double) labelled, labelled) : "");
        err.printf(Locale.ROOT, "  %-6s %-12s %-20s %8s %14s %14s%n", "scope", "name", "metric", "n", "mean", "median");
        for (Map.Entry<String, Values> e : values.entrySet()) {
            String[] key = e.getKey().split("\t", -1);
            Values v = e.getValue();
            double[] finite = v.finite();
            err.printf(Locale.ROOT, "  %-6s %-12s %-20s %8d %14s %14s%n", key[0], key[1].isEmpty() ? "-" : key[1], key[2], finite.length,
                    format(io.resalign.engine.metrics.RaFormulas.mean(finite)), format(median(finite)));
        }
    }


    /** Median of the values (mean of the middle two for an even count), NaN when there are none. */
    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int mid = s.length / 2;
        return s.length % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    }

    private static String format(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.6g", v);
    }

    /** A growable array of doubles. */
    private static final class Values {
        private double[] data = new double[64];
        private int size;

        void add(double v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        double[] finite() {
            return Arrays.stream(data, 0, size).filter(Double::isFinite).toArray();
        }
    }
}
