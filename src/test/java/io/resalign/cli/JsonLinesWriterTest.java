package io.resalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.metrics.StageMetrics;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonLinesWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Two samples of a three-block net: block "b,2" (a name that needs CSV quoting) is non-square and compares with nothing. */
    static List<SampleMetrics> samples() {
        double nan = Double.NaN;
        SampleMetrics first = new SampleMetrics(7, 2, new float[] {0.1f, 0.2f, 0.9f}, 0.875, 0.5, 1.25, 0.125, 0.5, 3.75,
                List.of(new StageMetrics("layer1", 2, 1.25, 0.125), new StageMetrics("layer2", 1, nan, nan)),
                List.of(new BlockMetrics("a.0", "layer1", 1.5, new double[] {1.5, 0.25, 1e-9}, 2.3125, true, 1.0277777777777777, 2, false,
                                0.75, 0.5),
                        new BlockMetrics("a.1", "layer1", 1.0, new double[] {1.0, 0.5, 0.25}, 1.3125, false, 1.3125, 3, true, 0.625, 0.5),
                        new BlockMetrics("b,2", "layer2", 0.5, new double[] {0.5, 0.25, 0.125}, 0.328125, true, 1.3125, 3, true, nan,
                                nan)),
                new double[][] {{nan, 0.5, nan}, {0.5, nan, nan}, {nan, nan, nan}});
        SampleMetrics second = new SampleMetrics(8, 0, new float[] {0.9f, 0.2f, 0.1f}, 0.875, 0.5, nan, nan, nan, 1.5,
                List.of(new StageMetrics("layer1", 2, nan, nan)),
                List.of(new BlockMetrics("a.0", "layer1", 0.0, new double[] {0.0, 0.0, 0.0}, 0.0, true, nan, 0, false, nan, nan)),
                new double[][] {{nan}});
        return List.of(first, second);
    }

    @Test
    void shouldWriteOneObjectPerLineWithNaNAsNull() throws Exception {
        StringWriter text = new StringWriter();
        try (JsonLinesWriter w = new JsonLinesWriter(text, true)) {
            w.write(samples().get(0), 4);
            w.write(samples().get(1), null);
        }
        String[] lines = text.toString().split("\n");
        assertEquals(2, lines.length);
        JsonNode a = JSON.readTree(lines[0]);
        assertEquals(List.of("index", "label", "predicted", "entropy", "confidence", "line_shape", "step_cv", "alignment", "depth_scaled_sigma1", "stages",
                "blocks", "cross_alignment"), fieldNames(a));
        assertEquals(7, a.get("index").asInt());
        assertEquals(4, a.get("label").asInt());
        assertEquals(2, a.get("predicted").asInt());
        assertEquals(0.875, a.get("entropy").asDouble());
        assertEquals(0.5, a.get("confidence").asDouble());
        assertEquals(1.25, a.get("line_shape").asDouble());
        assertEquals(3.75, a.get("depth_scaled_sigma1").asDouble());
        assertEquals("layer2", a.get("stages").get(1).get("name").asText());
        assertEquals(1, a.get("stages").get(1).get("steps").asInt());
        assertTrue(a.get("stages").get(1).get("line_shape").isNull());
        JsonNode b0 = a.get("blocks").get(0);
        assertEquals(List.of("name", "stage", "sigma1", "singular_values", "frobenius_sq", "frobenius_exact", "stable_rank",
                "effective_rank", "effective_rank_saturated", "self_alignment", "alignment"), fieldNames(b0));
        assertEquals("a.0", b0.get("name").asText());
        assertEquals("layer1", b0.get("stage").asText());
        assertEquals(1e-9, b0.get("singular_values").get(2).asDouble());
        assertTrue(b0.get("frobenius_exact").asBoolean());
        assertEquals(2, b0.get("effective_rank").asInt());
        assertFalse(b0.get("effective_rank_saturated").asBoolean());
        assertEquals(1.0277777777777777, b0.get("stable_rank").asDouble(), 0.0);
        JsonNode b2 = a.get("blocks").get(2);
        assertEquals("b,2", b2.get("name").asText());
        assertTrue(b2.get("self_alignment").isNull());
        assertTrue(b2.get("alignment").isNull());
        JsonNode cross = a.get("cross_alignment");
        assertEquals(3, cross.size());
        assertTrue(cross.get(0).get(0).isNull());
        assertEquals(0.5, cross.get(0).get(1).asDouble());
        assertTrue(cross.get(2).get(1).isNull());

        JsonNode b = JSON.readTree(lines[1]);
        assertFalse(b.has("label"), "no label field without labels");
        assertTrue(b.get("alignment").isNull());
        assertTrue(b.get("blocks").get(0).get("stable_rank").isNull());
        assertEquals(0.0, b.get("blocks").get(0).get("sigma1").asDouble());
    }

    @Test
    void shouldFlushButNotCloseABorrowedStream() throws Exception {
        StringWriter text = new StringWriter();
        JsonLinesWriter w = new JsonLinesWriter(text, false);
        w.write(samples().get(1), 1);
        w.close();
        text.write("still open");
        assertTrue(text.toString().endsWith("}\nstill open"));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
