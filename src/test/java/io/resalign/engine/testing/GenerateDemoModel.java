package io.resalign.engine.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.io.SampleBatch;
import io.resalign.engine.io.SampleReaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes {@code models/demo-mlp}: a seeded random {@code resnet-mlp} shaped for Fashion-MNIST and
 * the first 64 images of its test set, so a fresh checkout can run the analysis with no download.
 * The weights are a placeholder until the trained demo model replaces them.
 *
 * <p>Run: {@code ./mvnw -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.resalign.engine.testing.GenerateDemoModel} (needs the Debian package
 * dataset-fashion-mnist).
 */
public final class GenerateDemoModel {
    private static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot");

    private GenerateDemoModel() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "models/demo-mlp");
        Path data = Path.of("/usr/share/datasets/fashion-mnist");
        ObjectNode manifest = RandomModels.manifest("demo-mlp", "resnet-mlp", 10, 1, 28, 28);
        ArrayNode classes = manifest.putArray("classes");
        CLASSES.forEach(classes::add);
        ObjectNode input = (ObjectNode) manifest.get("input");
        input.put("scale", 1.0 / 255).putArray("mean").add(0.2860);
        input.putArray("std").add(0.3530);
        RandomModels.mlp(manifest, 784, 64, 8, 10, true, true, 20261127L).write(out, manifest);

        SampleBatch test = SampleReaders.readLabelled(data.resolve("t10k-images-idx3-ubyte.gz"), data.resolve("t10k-labels-idx1-ubyte.gz"));
        int n = 64;
        StringBuilder py = new StringBuilder("import numpy as np, sys\n");
        py.append("x = np.array([").append(join(test.data(), n * 784)).append("], dtype=np.uint8).reshape(").append(n).append(", 1, 28, 28)\n");
        py.append("y = np.array([").append(join(test.labels(), n)).append("], dtype=np.uint8)\n");
        py.append("np.save(sys.argv[1] + '/samples.npy', x); np.save(sys.argv[1] + '/labels.npy', y)\n");
        Path script = Files.createTempFile("demo", ".py");
        Files.writeString(script, py);
        Python.run(List.of(script.toString(), out.toString()));
        Files.delete(script);
    }

    private static String join(float[] values, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append((int) values[i]);
        }
        return sb.toString();
    }

    private static String join(int[] values, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append(values[i]);
        }
        return sb.toString();
    }
}
