package io.resalign.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.metrics.StageMetrics;
import java.io.IOException;
import java.io.Writer;

/**
 * Writes one JSON object per sample and line (schema in docs/cli.md). NaN and infinities, which
 * JSON cannot hold, are written as {@code null}; the cross-alignment matrix is {@code null} on its
 * diagonal and wherever a pair of blocks is not comparable.
 */
public final class JsonLinesWriter extends MetricsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();


    /**
     * Creates a writer.
     *
     * @param out the destination
     * @param owned whether {@link #close()} closes {@code out} (false for stdout)
     */
    public JsonLinesWriter(Writer out, boolean owned) {
        super(out, owned);
    }

    @Override
    public void write(SampleMetrics s, Integer label) throws IOException {
        out.write(JSON.writeValueAsString(toJson(s, label)));
        out.write('\n');
    }

    /** Returns the JSON object of one sample, as written on its line. */
    static ObjectNode toJson(SampleMetrics s, Integer label) {
        ObjectNode o = JSON.createObjectNode();
        o.put("index", s.index());
        if (label != null) {
            o.put("label", label.intValue());
        }
        o.put("predicted", s.predicted());
        number(o, "entropy", s.entropy());
        number(o, "confidence", s.confidence());
        number(o, "line_shape", s.lineShape());
        number(o, "step_cv", s.stepCv());
        number(o, "alignment", s.alignment());
        number(o, "depth_scaled_sigma1", s.depthScaledSigma1());
        ArrayNode stages = o.putArray("stages");
        for (StageMetrics st : s.stages()) {
            ObjectNode n = stages.addObject();
            n.put("name", st.name());
            n.put("steps", st.steps());
            number(n, "line_shape", st.lineShape());
            number(n, "step_cv", st.stepCv());
        }
        ArrayNode blocks = o.putArray("blocks");
        for (BlockMetrics b : s.blocks()) {
            ObjectNode n = blocks.addObject();
            n.put("name", b.name());
            n.put("stage", b.stage());
            number(n, "sigma1", b.sigma1());
            ArrayNode sv = n.putArray("singular_values");
            for (double v : b.singularValues()) {
                element(sv, v);
            }
            number(n, "frobenius_sq", b.frobeniusSquared());
            n.put("frobenius_exact", b.frobeniusExact());
            number(n, "stable_rank", b.stableRank());
            n.put("effective_rank", b.effectiveRank());
            n.put("effective_rank_saturated", b.effectiveRankSaturated());
            number(n, "self_alignment", b.selfAlignment());
            number(n, "alignment", b.alignment());
        }
        ArrayNode cross = o.putArray("cross_alignment");
        for (double[] row : s.crossAlignment()) {
            ArrayNode r = cross.addArray();
            for (double v : row) {
                element(r, v);
            }
        }
        return o;
    }

    private static void number(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) {
            o.put(field, v);
        } else {
            o.putNull(field);
        }
    }

    private static void element(ArrayNode a, double v) {
        if (Double.isFinite(v)) {
            a.add(v);
        } else {
            a.addNull();
        }
    }


}
