package io.resalign.cli;

import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.metrics.StageMetrics;
import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * Writes metrics in long ("tidy") CSV, one row per sample, scope, name and metric, so that any
 * number of blocks and stages fits one header (schema in docs/cli.md):
 *
 * <pre>index,label,predicted,scope,name,metric,value</pre>
 *
 * <p>{@code scope} is {@code sample} (name empty), {@code stage} (the stage's name) or
 * {@code block} (the block's name). NaN is an empty value; booleans are 1 and 0; the label is
 * empty when the input has none. Only defined cross-alignments are written (as block rows with
 * metric {@code cross_alignment:PARTNER}).
 */
public final class CsvWriter extends MetricsWriter {
    /** The header line. */
    public static final String HEADER = "index,label,predicted,scope,name,metric,value";

    private final StringBuilder line = new StringBuilder(128);

    /**
     * Creates a writer and writes the header.
     *
     * @param out the destination
     * @param owned whether {@link #close()} closes {@code out} (false for stdout)
     * @throws IOException if the header cannot be written
     */
    public CsvWriter(Writer out, boolean owned) throws IOException {
        super(out, owned);
        out.write(HEADER);
        out.write('\n');
    }

    @Override
    public void write(SampleMetrics s, Integer label) throws IOException {
        String prefix = s.index() + "," + (label == null ? "" : label.toString()) + "," + s.predicted() + ",";
        row(prefix, "sample", "", "line_shape", s.lineShape());
        row(prefix, "sample", "", "step_cv", s.stepCv());
        row(prefix, "sample", "", "alignment", s.alignment());
        row(prefix, "sample", "", "depth_scaled_sigma1", s.depthScaledSigma1());
        row(prefix, "sample", "", "entropy", s.entropy());
        row(prefix, "sample", "", "confidence", s.confidence());
        for (StageMetrics st : s.stages()) {
            row(prefix, "stage", st.name(), "steps", st.steps());
            row(prefix, "stage", st.name(), "line_shape", st.lineShape());
            row(prefix, "stage", st.name(), "step_cv", st.stepCv());
        }
        List<BlockMetrics> blocks = s.blocks();
        for (int i = 0; i < blocks.size(); i++) {
            BlockMetrics b = blocks.get(i);
            String n = b.name();
            row(prefix, "block", n, "sigma1", b.sigma1());
            double[] sv = b.singularValues();
            for (int m = 0; m < sv.length; m++) {
                row(prefix, "block", n, "singular_value_" + (m + 1), sv[m]);
            }
            row(prefix, "block", n, "frobenius_sq", b.frobeniusSquared());
            row(prefix, "block", n, "frobenius_exact", b.frobeniusExact() ? 1 : 0);
            row(prefix, "block", n, "stable_rank", b.stableRank());
            row(prefix, "block", n, "effective_rank", b.effectiveRank());
            row(prefix, "block", n, "effective_rank_saturated", b.effectiveRankSaturated() ? 1 : 0);
            row(prefix, "block", n, "self_alignment", b.selfAlignment());
            row(prefix, "block", n, "alignment", b.alignment());
            double[] cross = s.crossAlignment()[i];
            for (int j = 0; j < cross.length; j++) {
                if (j != i && !Double.isNaN(cross[j])) {
                    row(prefix, "block", n, "cross_alignment:" + blocks.get(j).name(), cross[j]);
                }
            }
        }
    }

    private void row(String prefix, String scope, String name, String metric, double value) throws IOException {
        line.setLength(0);
        line.append(prefix).append(scope).append(',');
        field(name);
        line.append(',');
        field(metric);
        line.append(',');
        if (Double.isFinite(value)) {
            line.append(value);
        }
        line.append('\n');
        out.append(line);
    }

    private void row(String prefix, String scope, String name, String metric, int value) throws IOException {
        line.setLength(0);
        line.append(prefix).append(scope).append(',');
        field(name);
        line.append(',');
        field(metric);
        line.append(',').append(value).append('\n');
        out.append(line);
    }

    /** Appends a text field, quoted per RFC 4180 when it holds a comma, quote or line break. */
    private void field(String text) {
        if (text.indexOf(',') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
            line.append(text);
        } else {
            line.append('"').append(text.replace("\"", "\"\"")).append('"');
        }
    }


}
