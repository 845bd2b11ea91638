package io.resalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resalign.engine.metrics.SampleMetrics;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CsvWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldHoldExactlyTheNumbersOfTheJsonLines() throws Exception {
        List<SampleMetrics> samples = JsonLinesWriterTest.samples();
        StringWriter csv = new StringWriter();
        StringWriter jsonl = new StringWriter();
        try (CsvWriter c = new CsvWriter(csv, true); JsonLinesWriter j = new JsonLinesWriter(jsonl, true)) {
            c.write(samples.get(0), 4);
            j.write(samples.get(0), 4);
            c.write(samples.get(1), null);
            j.write(samples.get(1), null);
        }
        List<JsonNode> records = new ArrayList<>();
        for (String line : jsonl.toString().split("\n")) {
            records.add(JSON.readTree(line));
        }
        Map<String, Double> fromCsv = CliFixtures.flattenCsv(Arrays.asList(csv.toString().split("\n")));
        Map<String, Double> fromJson = CliFixtures.flattenJson(records);
        assertEquals(fromJson.keySet(), fromCsv.keySet());
        fromJson.forEach((key, v) -> assertEquals(v, fromCsv.get(key), key)); // exact: both print Double.toString
    }

    @Test
    void shouldWriteTidyRowsWithEmptyNaNAndQuotedNames() throws Exception {
        StringWriter csv = new StringWriter();
        try (CsvWriter c = new CsvWriter(csv, true)) {
            c.write(JsonLinesWriterTest.samples().get(0), 4);
            c.write(JsonLinesWriterTest.samples().get(1), null);
        }
        List<String> lines = Arrays.asList(csv.toString().split("\n"));
        assertEquals("index,label,predicted,scope,name,metric,value", lines.get(0));
        assertEquals("7,4,2,sample,,line_shape,1.25", lines.get(1));
        assertTrue(lines.contains("7,4,2,sample,,entropy,0.875"));
        assertTrue(lines.contains("7,4,2,sample,,confidence,0.5"));
        assertTrue(lines.contains("7,4,2,stage,layer2,steps,1"));
        assertTrue(lines.contains("7,4,2,stage,layer2,line_shape,"), "NaN is an empty value");
        assertTrue(lines.contains("7,4,2,block,a.0,singular_value_3,1.0E-9"));
        assertTrue(lines.contains("7,4,2,block,a.0,frobenius_exact,1"));
        assertTrue(lines.contains("7,4,2,block,a.1,effective_rank_saturated,1"));
        assertTrue(lines.contains("7,4,2,block,a.0,cross_alignment:a.1,0.5"));
        assertTrue(lines.contains("7,4,2,block,\"b,2\",self_alignment,"), "a name with a comma is quoted");
        assertTrue(lines.stream().noneMatch(l -> l.contains("cross_alignment:\"b,2\"") || l.contains("cross_alignment:b,2")),
                "undefined cross-alignments are left out");
        assertTrue(lines.contains("8,,0,sample,,alignment,"), "no label: empty label column");
        for (String line : lines) {
            assertEquals(7, CliFixtures.csvFields(line).size(), line);
        }
        // 6 sample rows + 3 x 2 stage rows + 3 blocks x (8 + 3 singular values) + 2 cross; then 6 + 3 + 11 for the second
        assertEquals(1 + 6 + 6 + 33 + 2 + 6 + 3 + 11, lines.size());
    }
}
