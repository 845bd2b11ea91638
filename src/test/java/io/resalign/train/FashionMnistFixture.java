package io.resalign.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gives the training tests the first images of Fashion-MNIST (Debian package
 * {@code dataset-fashion-mnist}, installed by {@code .ci/run}). A missing data set fails the test
 * with what to install instead of skipping it: a skipped training test would pass unseen.
 */
final class FashionMnistFixture {
    private FashionMnistFixture() {}

    /** Returns the data set's folder; fails the test when it is not there. */
    static Path dir() {
        Path dir = Datasets.FASHION_MNIST.defaultDir();
        assertTrue(Files.isDirectory(dir), "Fashion-MNIST not found at " + dir
                + ": install the Debian package dataset-fashion-mnist (.ci/run does)");
        return dir;
    }

    /** Returns the first {@code n} training images. */
    static LabelledImages train(int n) throws IOException {
        return Datasets.FASHION_MNIST.train(dir()).head(n);
    }

    /** Returns the first {@code n} test images. */
    static LabelledImages test(int n) throws IOException {
        return Datasets.FASHION_MNIST.test(dir()).head(n);
    }
}
