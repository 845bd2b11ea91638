package io.resalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resalign.cli.CliFixtures.Run;
import io.resalign.engine.testing.Python;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@link Analyze#run} end to end on random models, numpy-made models and broken inputs. */
class AnalyzeTest {
    /** The agreement asked of the engine against numpy: relative for sigma1, absolute for alignments in [0, 1]. */
    private static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Path mlp;
    static Path mlpInputs;

    @BeforeAll
    static void models() throws Exception {
        mlp = CliFixtures.randomMlp(dir.resolve("mlp"));
        mlpInputs = CliFixtures.jsonInputs(dir.resolve("mlp-inputs.json"), 10, 36, 1);
    }

    private static List<JsonNode> records(Run run) throws Exception {
        assertEquals(0, run.status(), run.err());
        List<JsonNode> out = new ArrayList<>();
        for (String line : run.lines()) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static List<Integer> indices(List<JsonNode> records) {
        return records.stream().map(r -> r.get("index").asInt()).toList();
    }

    @Test
    void shouldAgreeWithNumpyReference() throws Exception {
        Path model = dir.resolve("numpy-model");
        Python.reference("make-mlp", model.toString(), "--in-shape", "1", "8", "8", "--width", "32", "--depth", "6", "--classes", "5",
                "--samples", "10", "--seed", "19");
        Path inputs = model.resolve("inputs.npy");
        Path ref = dir.resolve("numpy-ref.json");
        Python.reference("metrics", model.toString(), inputs.toString(), "--out", ref.toString());
        JsonNode expected = JSON.readTree(ref.toFile()).get("samples");
        Path labels = Files.writeString(dir.resolve("numpy-labels.json"), "[0,1,2,3,4,0,1,2,3,4]");
        Path output = dir.resolve("numpy-out.jsonl");

        Run run = CliFixtures.run("--model", model.toString(), "--input", inputs.toString(), "--labels", labels.toString(), "--output",
                output.toString(), "--batch", "4", "--device", "cpu");
        assertEquals(0, run.status(), run.err());
        assertEquals("", run.out(), "records go to --output, not stdout");
        assertTrue(run.err().contains("model numpy-model"), run.err());
        assertTrue(run.err().contains("device cpu"), run.err());
        List<String> lines = Files.readAllLines(output);
        assertEquals(expected.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode a = JSON.readTree(lines.get(i));
            JsonNode e = expected.get(i);
            String where = "sample " + i;
            assertEquals(i, a.get("index").asInt(), where);
            assertEquals(i % 5, a.get("label").asInt(), where + " label");
            assertEquals(e.get("predicted").asInt(), a.get("predicted").asInt(), where + " predicted");
            assertEquals(e.get("alignment").asDouble(), a.get("alignment").asDouble(), TOLERANCE, where + " alignment");
            relative(e.get("depth_scaled_sigma1").asDouble(), a.get("depth_scaled_sigma1").asDouble(), where + " depth_scaled_sigma1");
            relative(e.get("line_shape").asDouble(), a.get("line_shape").asDouble(), where + " line_shape");
            assertEquals(6, a.get("blocks").size());
            for (int l = 0; l < 6; l++) {
                JsonNode ab = a.get("blocks").get(l);
                JsonNode eb = e.get("blocks").get(l);
                String at = where + " block " + l;
                assertEquals(eb.get("name").asText(), ab.get("name").asText(), at);
                relative(eb.get("sigma1").asDouble(), ab.get("sigma1").asDouble(), at + " sigma1");
                assertEquals(eb.get("alignment").asDouble(), ab.get("alignment").asDouble(), TOLERANCE, at + " alignment");
                assertEquals(eb.get("self_alignment").asDouble(), ab.get("self_alignment").asDouble(), TOLERANCE, at + " self_alignment");
                for (int j = 0; j < 6; j++) {
                    JsonNode ec = e.get("cross_alignment").get(l).get(j);
                    JsonNode ac = a.get("cross_alignment").get(l).get(j);
                    if (ec.isNull()) {
                        assertTrue(ac.isNull(), at + " cross " + j);
                    } else {
                        assertEquals(ec.asDouble(), ac.asDouble(), TOLERANCE, at + " cross " + j);
                    }
                }
            }
        }
    }

    private static void relative(double expected, double actual, String what) {
        assertEquals(expected, actual, TOLERANCE * Math.max(1, Math.abs(expected)), what);
    }

    @Test
    void shouldWriteTheSameNumbersAsCsvAndAsJsonLines() throws Exception {
        Path model = CliFixtures.randomConv(dir.resolve("conv"));
        Path inputs = CliFixtures.jsonInputs(dir.resolve("conv-inputs.json"), 5, 3 * 8 * 8, 2);
        Path csv = dir.resolve("conv-out.csv");
        Run jsonl = CliFixtures.run("--model", model.toString(), "--input", inputs.toString(), "--batch", "2", "--device", "cpu");
        Run csvRun = CliFixtures.run("--model", model.toString(), "--input", inputs.toString(), "--batch", "2", "--device", "cpu",
                "--output", csv.toString());
        assertEquals(0, csvRun.status(), csvRun.err());
        assertTrue(csvRun.err().contains("as csv"), "format inferred from the .csv extension: " + csvRun.err());

        List<JsonNode> records = records(jsonl);
        assertEquals(List.of(0, 1, 2, 3, 4), indices(records));
        // A conv net exercises stages and incomparable pairs: layer2.0 down-samples and has no partner,
        // and blocks of different stages do not compare.
        JsonNode first = records.get(0);
        assertEquals(2, first.get("stages").size());
        assertEquals(List.of("layer1", "layer2"), IntStream.range(0, 2).mapToObj(s -> first.get("stages").get(s).get("name").asText())
                .toList());
        assertEquals(List.of("layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer2.2"),
                IntStream.range(0, 5).mapToObj(b -> first.get("blocks").get(b).get("name").asText()).toList());
        assertTrue(first.get("blocks").get(2).get("alignment").isNull());
        assertTrue(first.get("blocks").get(2).get("self_alignment").isNull());
        assertTrue(first.get("cross_alignment").get(0).get(2).isNull());
        assertTrue(first.get("cross_alignment").get(0).get(3).isNull(), "different stages do not compare");
        assertFalse(first.get("cross_alignment").get(0).get(1).isNull());
        assertFalse(first.get("cross_alignment").get(4).get(3).isNull());

        Map<String, Double> fromJson = CliFixtures.flattenJson(records);
        Map<String, Double> fromCsv = CliFixtures.flattenCsv(Files.readAllLines(csv));
        assertEquals(fromJson.keySet(), fromCsv.keySet());
        for (Map.Entry<String, Double> e : fromJson.entrySet()) {
            double want = e.getValue();
            double got = fromCsv.get(e.getKey());
            if (Double.isNaN(want)) {
                assertTrue(Double.isNaN(got), e.getKey());
            } else {
                // two separate runs of the same batches: equal up to float32 reduction order
                assertEquals(want, got, 1e-6 * Math.max(1, Math.abs(want)), e.getKey());
            }
        }
    }

    @Test
    void shouldProduceEverySampleOnceInOrderWhateverTheBatchAndLimit() throws Exception {
        List<JsonNode> whole = records(CliFixtures.run("--model", mlp.toString(), "--input", mlpInputs.toString(), "--device", "cpu"));
        List<JsonNode> byFour = records(CliFixtures.run("--model", mlp.toString(), "--input", mlpInputs.toString(), "--batch", "4",
                "--device", "cpu"));
        List<JsonNode> limited = records(CliFixtures.run("--model", mlp.toString(), "--input", mlpInputs.toString(), "--batch=3",
                "--limit", "7", "--device", "cpu"));
        List<JsonNode> overLimit = records(CliFixtures.run("--model", mlp.toString(), "--input", mlpInputs.toString(), "--limit", "99",
                "--batch", "10"));
        assertEquals(IntStream.range(0, 10).boxed().toList(), indices(whole));
        assertEquals(IntStream.range(0, 10).boxed().toList(), indices(byFour));
        assertEquals(IntStream.range(0, 7).boxed().toList(), indices(limited));
        assertEquals(IntStream.range(0, 10).boxed().toList(), indices(overLimit));
        for (int i = 0; i < 10; i++) {
            assertFalse(whole.get(i).has("label"));
            // a sample's metrics do not depend on the batch it rode in
            assertEquals(whole.get(i).get("alignment").asDouble(), byFour.get(i).get("alignment").asDouble(), 1e-5, "sample " + i);
            assertEquals(whole.get(i).get("predicted").asInt(), byFour.get(i).get("predicted").asInt(), "sample " + i);
            if (i < 7) {
                assertEquals(whole.get(i).get("blocks").get(0).get("sigma1").asDouble(),
                        limited.get(i).get("blocks").get(0).get("sigma1").asDouble(), 1e-5, "sample " + i);
            }
        }
    }

    @Test
    void shouldHonourKAndPrintASummary() throws Exception {
        Path labels = Files.writeString(dir.resolve("labels.json"), "[0,1,2,3,0,1,2,3,0,1]");
        Run run = CliFixtures.run("--model", mlp.toString(), "--input", mlpInputs.toString(), "--labels", labels.toString(), "--k", "2",
                "--summary", "--device", "cpu", "--dense-limit", "0", "--power-iterations", "6", "--oversampling", "8", "--seed", "1");
        List<JsonNode> records = records(run);
        assertEquals(10, records.size());
        assertEquals(2, records.get(0).get("blocks").get(0).get("singular_values").size());
        assertEquals(1, records.get(1).get("label").asInt());
        assertTrue(run.err().contains("summary over 10 samples (accuracy"), run.err());
        assertTrue(run.err().matches("(?s).*sample\\s+-\\s+alignment\\s+10\\s.*"), run.err());
        assertTrue(run.err().matches("(?s).*block\\s+3\\s+sigma1\\s+10\\s.*"), run.err());
    }

    @Test
    void shouldExitTwoOnUsageErrors() {
        String model = mlp.toString();
        String input = mlpInputs.toString();
        assertUsage(CliFixtures.run("--input", input), "--model DIR is required");
        assertUsage(CliFixtures.run("--model", model), "--input FILE is required");
        assertUsage(CliFixtures.run("--model", model, "--input", input, "--frobnicate"), "unknown option '--frobnicate'");
        assertUsage(CliFixtures.run("--model", model, "--input", input, "--format", "parquet"), "--format must be jsonl or csv");
        assertUsage(CliFixtures.run("--model", model, "--input", input, "--batch", "0"), "--batch expects a positive integer");
        assertUsage(CliFixtures.run("--model", model, "--input", input, "--batch", "x"), "--batch expects a positive integer");
        assertUsage(CliFixtures.run("--model", model, "--input", input, "--limit"), "--limit needs a value");
        assertUsage(CliFixtures.run("--model", model, "--input", input, "--device", "tpu"), "--device must be cpu, gpu or auto");
        assertUsage(CliFixtures.run("--model", model, "--model", model, "--input", input), "--model given more than once");
        assertUsage(CliFixtures.run("--model", model, "--input", input, "extra"), "unexpected argument 'extra'");
    }

    private static void assertUsage(Run run, String message) {
        assertEquals(2, run.status(), run.err());
        assertTrue(run.err().contains(message), run.err());
        assertTrue(run.err().contains("Usage: analyze"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void shouldPrintHelpOnStdout() {
        Run run = CliFixtures.run("--help");
        assertEquals(0, run.status());
        assertTrue(run.out().startsWith("Usage: analyze --model DIR --input FILE"), run.out());
    }

    @Test
    void shouldRejectNonFiniteInputNamingTheSample() throws Exception {
        float[][] samples = new float[6][36];
        samples[4][17] = Float.NaN;
        samples[5][0] = Float.POSITIVE_INFINITY;
        Path input = CliFixtures.jsonInputs(dir.resolve("nan.json"), samples);
        Run run = CliFixtures.run("--model", mlp.toString(), "--input", input.toString(), "--device", "cpu");
        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().contains("nan.json (sample 4): value 17 of sample 4 is NaN"), run.err());
        assertEquals("", run.out(), "nothing is analysed or written");
        // --limit keeps the bad sample out
        Run limited = CliFixtures.run("--model", mlp.toString(), "--input", input.toString(), "--device", "cpu", "--limit", "4");
        assertEquals(0, limited.status(), limited.err());
        assertEquals(4, limited.lines().size());
    }

    @Test
    void shouldRejectAWrongShapeNamingTheExpectedShape() throws Exception {
        Path input = CliFixtures.jsonInputs(dir.resolve("wrong-shape.json"), 3, 35, 4);
        Run run = CliFixtures.run("--model", mlp.toString(), "--input", input.toString(), "--device", "cpu");
        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().contains("wrong-shape.json"), run.err());
        assertTrue(run.err().contains("expected 36 values (shape [1, 6, 6])"), run.err());
    }

    @Test
    void shouldReportMissingFilesAndLabelCounts() throws Exception {
        Run noModel = CliFixtures.run("--model", dir.resolve("absent").toString(), "--input", mlpInputs.toString());
        assertEquals(1, noModel.status());
        assertTrue(noModel.err().contains("absent"), noModel.err());
        Run noInput = CliFixtures.run("--model", mlp.toString(), "--input", dir.resolve("absent.npy").toString());
        assertEquals(1, noInput.status());
        assertTrue(noInput.err().contains("absent.npy"), noInput.err());
        Path labels = Files.writeString(dir.resolve("three-labels.json"), "[0,1,2]");
        Run badLabels = CliFixtures.run("--model", mlp.toString(), "--input", mlpInputs.toString(), "--labels", labels.toString());
        assertEquals(1, badLabels.status());
        assertTrue(badLabels.err().contains("three-labels.json: 3 labels for the 10 samples"), badLabels.err());
        Run badOutput = CliFixtures.run("--model", mlp.toString(), "--input", mlpInputs.toString(), "--device", "cpu", "--output",
                dir.resolve("no/such/dir/out.jsonl").toString());
        assertEquals(1, badOutput.status());
        assertTrue(badOutput.err().contains("cannot create output file"), badOutput.err());
    }
}
