package io.resalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.ResalignConfig;
import io.resalign.config.Topics;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.testing.Python;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.AlignmentReport;
import io.resalign.service.ModelRegistry;
import io.resalign.streams.ModelRegistryProducer;
import io.resalign.streams.MonitorBoard;
import io.resalign.streams.TopologyProducer;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user does with the models teams deploy: torchvision's {@code resnet50},
 * {@code resnext50_32x4d} and {@code vit_b_16} (random weights) saved with the export snippet of
 * docs/models.md as the page prints it, a manifest from {@code propose-manifest}, then the samples
 * analysed by the CLI's {@code analyze} and by the service (its topology, settings and model
 * registry as it builds them from its configuration, the records as a model server would log them).
 * Every watched block of each model is analysed in forward order by both, the CLI's predictions are
 * torch's, and the service's first window report holds the CLI's numbers for the same samples.
 * The ResNets run on 3 x 64 x 64 inputs (their Jacobians go through the matrix-free path all the
 * same); the ViT at its native 224 x 224.
 */
class LargeTorchvisionModelsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SAMPLES = 4;
    private static final int REFERENCE = 2;
    private static final Instant START = Instant.parse("2026-12-03T10:00:00Z");

    /** A torchvision constructor, its input size and its watched blocks in forward order. */
    private record Case(String variant, int size, List<String> blocks) {}

    private static final List<Case> CASES = List.of(
            new Case("resnet50", 64, resnetBlocks()),
            new Case("resnext50_32x4d", 64, resnetBlocks()),
            new Case("vit_b_16", 224, vitBranches()));

    @TempDir
    static Path dir;

    private static final Map<String, float[][]> inputs = new HashMap<>();
    private static final Map<String, int[]> torchPredictions = new HashMap<>();
    private static final Map<String, List<JsonNode>> cliRecords = new HashMap<>();

    private static List<String> resnetBlocks() {
        List<String> names = new ArrayList<>();
        int[] layers = {3, 4, 6, 3};
        for (int s = 0; s < layers.length; s++) {
            for (int b = 0; b < layers[s]; b++) {
                names.add("layer" + (s + 1) + "." + b);
            }
        }
        return names;
    }

    private static List<String> vitBranches() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            names.add("encoder_layer_" + i + ".attention");
            names.add("encoder_layer_" + i + ".mlp");
        }
        return names;
    }

    /** Exports each model with the documented snippet, proposes its manifest and analyses its samples with the CLI. */
    @BeforeAll
    static void exportProposeAndAnalyseWithTheCli() throws Exception {
        String snippet = OwnModelDocsTest.snippet();
        String documented = "torchvision.models.resnet18(num_classes=10)";
        assertTrue(snippet.contains(documented), "the snippet builds " + documented);
        for (Case c : CASES) {
            Path work = Files.createDirectories(dir.resolve("export-" + c.variant()));
            String script = "import torch\ntorch.manual_seed(0)\n"
                    + snippet.replace(documented, "torchvision.models." + c.variant() + "(num_classes=10)")
                    + String.join("\n", "",
                            "model.eval()",
                            "x = torch.rand(" + SAMPLES + ", 3, " + c.size() + ", " + c.size() + ", generator=torch.Generator().manual_seed(1))",
                            "with torch.no_grad():",
                            "    predicted = model(x).argmax(1).tolist()",
                            "with open('inputs.json', 'w') as f:",
                            "    json.dump([s.flatten().tolist() for s in x], f)",
                            "print(json.dumps({'predicted': predicted}))",
                            "");
            long started = System.nanoTime();
            JsonNode torch = JSON.readTree(Python.torchIn(work, Files.writeString(work.resolve("export.py"), script))
                    .lines().reduce((a, b) -> b).orElseThrow());
            int[] predicted = new int[SAMPLES];
            for (int i = 0; i < SAMPLES; i++) {
                predicted[i] = torch.get("predicted").get(i).asInt();
            }
            torchPredictions.put(c.variant(), predicted);
            inputs.put(c.variant(), JSON.readValue(work.resolve("inputs.json").toFile(), float[][].class));

            CliFixtures.Run proposed = CliFixtures.propose("--weights", work.resolve("model.safetensors").toString(),
                    "--input-shape", "3," + c.size() + "," + c.size(), "--out", dir.resolve("models").resolve(c.variant()).toString());
            assertEquals(0, proposed.status(), proposed.err());

            Path output = work.resolve("metrics.jsonl");
            CliFixtures.Run analysed = CliFixtures.run("--model", dir.resolve("models").resolve(c.variant()).toString(),
                    "--input", work.resolve("inputs.json").toString(), "--batch", Integer.toString(SAMPLES),
                    "--output", output.toString());
            assertEquals(0, analysed.status(), analysed.err());
            List<JsonNode> records = new ArrayList<>();
            for (String line : Files.readAllLines(output)) {
                records.add(JSON.readTree(line));
            }
            cliRecords.put(c.variant(), records);
            System.out.printf("%s: exported, proposed and %d samples analysed by the CLI in %.1f s%n", c.variant(), SAMPLES,
                    (System.nanoTime() - started) / 1e9);
        }
    }

    @Test
    void shouldAnalyseEveryWatchedBlockInForwardOrderWithTorchsPredictionsWhenTheCliRunsOnTorchvisionModels() {
        for (Case c : CASES) {
            List<JsonNode> records = cliRecords.get(c.variant());
            assertEquals(SAMPLES, records.size(), c.variant());
            for (int i = 0; i < SAMPLES; i++) {
                JsonNode r = records.get(i);
                assertEquals(torchPredictions.get(c.variant())[i], r.get("predicted").asInt(), c.variant() + " sample " + i + " prediction");
                List<String> names = new ArrayList<>();
                for (JsonNode block : r.get("blocks")) {
                    names.add(block.get("name").asText());
                    double sigma1 = block.get("sigma1").asDouble(Double.NaN);
                    assertTrue(sigma1 > 0 && Double.isFinite(sigma1), c.variant() + " sample " + i + " " + block);
                    // RA2 needs a square Jacobian: a ResNet stage's first block changes the shape (docs/metrics-definitions.md)
                    boolean square = c.variant().startsWith("vit") || !block.get("name").asText().endsWith(".0");
                    assertEquals(square, Double.isFinite(block.get("alignment").asDouble(Double.NaN)), c.variant() + " " + block);
                }
                assertEquals(c.blocks(), names, c.variant() + ": every block, in forward order");
                assertTrue(Double.isFinite(r.get("line_shape").asDouble(Double.NaN)), c.variant() + " " + r.get("line_shape"));
            }
        }
    }

    @Test
    void shouldReportTheCliNumbersWhenTheServiceAnalysesTheSameSamplesOfTorchvisionModels() throws Exception {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder().withMapping(ResalignConfig.class);
        Map.of("resalign.models-dir", dir.resolve("models").toString(),
                "resalign.batch.size", Integer.toString(SAMPLES),
                "resalign.drift.reference-size", Integer.toString(REFERENCE),
                "resalign.drift.window-size", Integer.toString(SAMPLES - REFERENCE),
                "resalign.drift.window-advance", Integer.toString(SAMPLES - REFERENCE),
                "resalign.drift.bootstrap-replicates", "200")
                .forEach(builder::withDefaultValue);
        ResalignConfig config = builder.build().getConfigMapping(ResalignConfig.class);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "large-torchvision-models-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(dir.resolve("state")).toString());

        Map<String, AlignmentReport> reports = new HashMap<>();
        try (ModelRegistry registry = ModelRegistryProducer.load(config);
                TopologyTestDriver driver = new TopologyTestDriver(new TopologyProducer().buildTopology(registry,
                        new ResalignMetrics(new SimpleMeterRegistry()), new MonitorBoard(), config), props, START)) {
            TestInputTopic<byte[], byte[]> samples = driver.createInputTopic(Topics.INFERENCE_SAMPLES, new ByteArraySerializer(),
                    new ByteArraySerializer());
            TestOutputTopic<byte[], byte[]> deadLetters = driver.createOutputTopic(Topics.INFERENCE_SAMPLES_DLQ,
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            TestOutputTopic<String, byte[]> out = driver.createOutputTopic(Topics.ALIGNMENT_REPORTS, new StringDeserializer(),
                    new ByteArrayDeserializer());
            long time = START.toEpochMilli();
            for (Case c : CASES) {
                assertTrue(registry.isLoaded(new ModelVersion(c.variant(), "1")), c.variant() + ": " + registry.statuses());
                for (int i = 0; i < SAMPLES; i++) {
                    time += 100;
                    samples.pipeInput(c.variant().getBytes(StandardCharsets.UTF_8), record(c, i, time), Instant.ofEpochMilli(time));
                }
                driver.advanceWallClockTime(Duration.ofSeconds(1));
            }
            assertTrue(deadLetters.isEmpty(), "no record is refused");
            for (var record : out.readRecordsToList()) {
                AlignmentReport report = AlignmentReport.fromJson(record.value());
                reports.put(report.model(), report);
            }
        }

        assertEquals(CASES.size(), reports.size(), "one window report per model: " + reports.keySet());
        for (Case c : CASES) {
            AlignmentReport report = reports.get(c.variant());
            assertEquals(REFERENCE, report.window().firstSample(), c.variant() + ": the window follows the reference");
            List<String> blocks = new ArrayList<>();
            for (AlignmentReport.FeatureStatistics f : report.features()) {
                if (f.feature().equals("block:" + f.block() + ":sigma1")) {
                    blocks.add(f.block());
                    double cli = 0;
                    for (int i = REFERENCE; i < SAMPLES; i++) {
                        cli += blockSigma1(cliRecords.get(c.variant()).get(i), f.block()) / (SAMPLES - REFERENCE);
                    }
                    assertEquals(cli, f.mean(), 1e-4 * cli, c.variant() + " " + f.block() + ": window mean of sigma1, service against CLI");
                }
            }
            assertEquals(c.blocks(), blocks, c.variant() + ": every block reported, in forward order");
        }
    }

    private static double blockSigma1(JsonNode record, String block) {
        for (JsonNode b : record.get("blocks")) {
            if (b.get("name").asText().equals(block)) {
                return b.get("sigma1").asDouble();
            }
        }
        throw new AssertionError("no block " + block + " in " + record);
    }

    /** The record a model server's logger writes: Open Inference Protocol V2 request, FP32, batch of one. */
    private static byte[] record(Case c, int i, long timestamp) {
        StringBuilder b = new StringBuilder("{\"model_name\":\"").append(c.variant()).append("\",\"model_version\":\"1\",\"id\":\"s-")
                .append(i).append("\",\"timestamp\":").append(timestamp).append(",\"inputs\":[{\"name\":\"input-0\",\"shape\":[1,3,")
                .append(c.size()).append(',').append(c.size()).append("],\"datatype\":\"FP32\",\"data\":[");
        float[] x = inputs.get(c.variant())[i];
        for (int j = 0; j < x.length; j++) {
            b.append(j == 0 ? "" : ",").append(x[j]);
        }
        return b.append("]}]}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
