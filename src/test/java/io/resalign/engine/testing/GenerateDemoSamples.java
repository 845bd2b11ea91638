package io.resalign.engine.testing;

import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the bundled demo inputs of a model directory: the first 64 images of the Fashion-MNIST
 * test set ({@code samples.npy}, uint8) and their labels ({@code labels.npy}), so a fresh checkout
 * runs the analysis with no download. The trained weights come from the trainer (docs/training.md).
 *
 * <p>Run: {@code ./mvnw -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.resalign.engine.testing.GenerateDemoSamples -Dexec.args=models/demo-mlp}
 * (needs the Debian package dataset-fashion-mnist).
 */
public final class GenerateDemoSamples {
    private GenerateDemoSamples() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "models/demo-mlp");
        Path data = Path.of("/usr/share/datasets/fashion-mnist");
        java.nio.file.Files.createDirectories(out);
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
