package io.resalign.sample.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Reads the real Fashion-MNIST test set that the Debian package {@code dataset-fashion-mnist}
 * installs (gzipped IDX files); skipped only where that package is not installed.
 */
class FashionMnistTest {

    private static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

    @Test
    void shouldReadFashionMnistTestSetFromDebianPackage() throws Exception {
        Path images = DIR.resolve("t10k-images-idx3-ubyte.gz");
        Path labels = DIR.resolve("t10k-labels-idx1-ubyte.gz");
        assertTrue(Files.isRegularFile(images) && Files.isRegularFile(labels),
                "Fashion-MNIST not found at " + DIR + ": install the Debian package dataset-fashion-mnist (.ci/run does)");

        SampleBatch b = SampleReaders.readLabelled(images, labels);
        assertEquals(10000, b.size());
        assertArrayEquals(new long[] {28, 28}, b.sampleShape());
        assertEquals(9, b.labels()[0], "the first test image is an ankle boot");
        assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, java.util.Arrays.copyOf(b.labels(), 10));

        float[] first = b.sample(0);
        assertEquals(110f, first[14 * 28 + 14], "pixel (14, 14) of image 0, unscaled");
        double sum = 0;
        for (float v : first) {
            sum += v;
        }
        assertEquals(33456.0, sum, "sum of image 0's bytes, as numpy computes it");
        assertEquals(784, b.requireSampleShape(new long[] {1, 28, 28}).sampleLength());
    }
}
