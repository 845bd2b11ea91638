package io.resalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.testing.Python;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the export snippet of docs/models.md ("Your own model", between its marker comments) as
 * the page prints it, on its torchvision resnet18, then {@code propose-manifest} on the file it
 * wrote, and loads the proposed directory: its logits are torchvision's on the same input.
 */
class OwnModelDocsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PAGE = Path.of("docs/models.md");
    private static final String BEGIN = "<!-- own-model-export:begin -->";
    private static final String END = "<!-- own-model-export:end -->";

    /** Appended to the snippet: torchvision's logits on a fixed 32 x 32 input, printed with the input as JSON. */
    private static final String LOGITS = String.join("\n", "",
            "model.eval()",
            "x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))",
            "with torch.no_grad():",
            "    print(json.dumps({'input': x.flatten().tolist(), 'logits': model(x).flatten().tolist()}))",
            "");

    @TempDir
    Path dir;

    static String snippet() throws IOException {
        String page = Files.readString(PAGE);
        int begin = page.indexOf(BEGIN);
        int end = page.indexOf(END);
        assertTrue(begin >= 0 && end > begin, PAGE + " holds the export snippet between " + BEGIN + " and " + END);
        String block = page.substring(begin + BEGIN.length(), end).strip();
        assertTrue(block.startsWith("```python") && block.endsWith("```"), "the snippet is one python code block");
        return block.substring("```python".length(), block.length() - 3);
    }

    @Test
    void shouldLoadWithTorchvisionLogitsWhenExportSnippetAndProposedManifestAreUsedAsDocumented() throws Exception {
        Path script = Files.writeString(dir.resolve("export.py"), "import torch\ntorch.manual_seed(0)\n" + snippet() + LOGITS);

        JsonNode torch = JSON.readTree(Python.torchIn(dir, script).lines().reduce((a, b) -> b).orElseThrow());
        CliFixtures.Run run = CliFixtures.propose("--weights", dir.resolve("model.safetensors").toString(), "--input-shape",
                "3,32,32", "--out", dir.resolve("my-resnet18").toString());

        assertEquals(0, run.status(), run.err());
        assertTrue(run.err().contains("resnet-conv") && run.err().contains("\"variant\":\"resnet18\""), run.err());
        float[] input = new float[torch.get("input").size()];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) torch.get("input").get(i).asDouble();
        }
        try (ResidualNetwork network = Architectures.load(dir.resolve("my-resnet18"), Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] logits = Trajectory.trace(network, m.create(input, new Shape(1, 3, 32, 32))).logits().toFloatArray();
            assertEquals(10, logits.length);
            for (int c = 0; c < logits.length; c++) {
                double expected = torch.get("logits").get(c).asDouble();
                assertEquals(expected, logits[c], 1e-3 * Math.max(1, Math.abs(expected)), "logit " + c);
            }
        }
    }
}
