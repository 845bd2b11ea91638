package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The JSON contract of alignment reports: round trip, field names, nulls, and the documented example. */
class AlignmentReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static AlignmentReport sample(AlignmentReport.OutputContext output) {
        return sample(output, new AlignmentReport.OutputDrift(4.25, 2.9, 1 / 2001.0, 1, 0.01, 2,
                List.of(new AlignmentReport.OutputFeatureScore("output_entropy", 4.25, 1.5, 0.9, 1.2),
                        new AlignmentReport.OutputFeatureScore("output_confidence", -3.5, 0.5, 0.7, -1.1))));
    }

    static AlignmentReport sample(AlignmentReport.OutputContext output, AlignmentReport.OutputDrift outputDrift) {
        return new AlignmentReport(AlignmentReport.SCHEMA_VERSION, "demo-mlp", "1",
                new AlignmentReport.Window(1_000, 2_000, 128, 191, 64, 64, 32),
                List.of(new AlignmentReport.FeatureStatistics("line_shape", null, 64, 0, 1.25, 1.2, 1.4, 1.6),
                        new AlignmentReport.FeatureStatistics("block:b0:self_alignment", "b0", 0, 64, null, null, null, null)),
                new AlignmentReport.Reference("first_samples", 900, 128, 1.1),
                new AlignmentReport.Drift(7.5, 3.2, 1 / 2001.0, 1, 0.01, "max_abs", 1,
                        List.of(new AlignmentReport.BlockScore("b0", null, "block:b0:sigma1")),
                        List.of(new AlignmentReport.FeatureScore("line_shape", null, 7.5, 1.25, 1.0, 2.5))),
                "cpu", output, outputDrift);
    }

    @Test
    void shouldReadBackAnEqualReportWhenWrittenAsJson() {
        AlignmentReport.OutputDrift undefined = new AlignmentReport.OutputDrift(null, null, null, 0, 0.01, 0, List.of());
        for (AlignmentReport report : List.of(sample(null), sample(new AlignmentReport.OutputContext(64, 0.75, 0, null, null)),
                sample(null, undefined), sample(null, null))) {
            assertEquals(report, AlignmentReport.fromJson(report.toJson()));
            assertEquals(report, AlignmentReport.fromJson(report.toJsonBytes()));
            assertEquals(report, AlignmentReport.fromJson(report.toPrettyJson()));
        }
    }

    @Test
    void shouldWriteSnakeCaseFieldsAndNullsWhenValuesAreUndefined() throws Exception {
        JsonNode json = JSON.readTree(sample(null).toJson());

        assertEquals(List.of("schema_version", "model", "version", "window", "reference", "drift", "output_drift", "features",
                "engine_device", "output"), iterable(json.fieldNames()));
        assertEquals(List.of("statistic", "threshold", "p_value", "alarm", "false_alarm_rate", "tested_features", "features"),
                iterable(json.get("output_drift").fieldNames()));
        assertEquals(List.of("feature", "z", "window_mean", "reference_mean", "shift_in_reference_sd"),
                iterable(json.at("/output_drift/features/0").fieldNames()));
        assertEquals("output_entropy", json.at("/output_drift/features/0/feature").asText());
        assertEquals(2, json.at("/output_drift/tested_features").asInt());
        assertEquals(191, json.at("/window/last_sample").asInt());
        assertEquals(1, json.at("/drift/alarm").asInt());
        assertTrue(json.at("/drift/top_blocks/0/score").isNull());
        assertTrue(json.at("/features/1/mean").isNull(), "NaN is written as null");
        assertTrue(json.at("/features/0/block").isNull());
        assertTrue(json.get("output").isNull(), "output is present and null when no record carried context");
    }

    @Test
    void shouldReadAReportWrittenBeforeOutputDriftWithANullOutputDecision() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode older = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(
                sample(null).toJson());
        older.remove("output_drift");

        AlignmentReport read = AlignmentReport.fromJson(JSON.writeValueAsString(older));

        assertNull(read.outputDrift());
        assertEquals(sample(null).drift(), read.drift());
        assertTrue(JSON.readTree(read.toJson()).get("output_drift").isNull(), "written back as null, the field present");
        String undefined = sample(null, new AlignmentReport.OutputDrift(null, null, null, 0, 0.01, 0, List.of())).toJson();
        assertTrue(JSON.readTree(undefined).at("/output_drift/statistic").isNull(), "an undefined statistic is null, not NaN");
    }

    @Test
    void shouldIgnoreUnknownFieldsAndRefuseNonReportsWhenReading() {
        String json = sample(null).toJson().replaceFirst("\\{", "{\"added_later\":{\"x\":1},");
        assertEquals(sample(null), AlignmentReport.fromJson(json));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AlignmentReport.fromJson("[1, 2]"));
        assertTrue(e.getMessage().startsWith("not an alignment report"), e.getMessage());
    }

    @Test
    void shouldMatchTheDocumentedExampleWhenTheSchemaIsUnchanged() throws Exception {
        String doc = Files.readString(Path.of("docs/reports.md"));
        Matcher m = Pattern.compile("<!-- example-report -->\\s*```json\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        assertTrue(m.find(), "docs/reports.md carries the example after <!-- example-report -->");
        JsonNode documented = JSON.readTree(m.group(1));

        AlignmentReport parsed = AlignmentReport.fromJson(m.group(1));

        assertEquals(documented, JSON.readTree(parsed.toJson()), "every documented field is read and written back unchanged");
        assertEquals(AlignmentReport.SCHEMA_VERSION, parsed.schemaVersion());
        assertNull(AlignmentReport.finite(Double.NaN));
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
