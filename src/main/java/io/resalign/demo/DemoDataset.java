package io.resalign.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;

/**
 * The images the demo sends: UINT8 pixels (0..255) with optional labels, held as bytes.
 *
 * <p>{@code auto} takes the full Fashion-MNIST test set from Debian's {@code dataset-fashion-mnist}
 * package ({@value #FASHION_MNIST_IMAGES}, 10,000 images) when it is installed and the model's
 * manifest says it was trained on {@code fashion-mnist}; otherwise the model directory's bundled
 * {@code samples.npy} and {@code labels.npy} (64 images for demo-mlp).
 */
public final class DemoDataset {

    /** Debian's Fashion-MNIST test images. */
    public static final String FASHION_MNIST_IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    /** Debian's Fashion-MNIST test labels. */
    public static final String FASHION_MNIST_LABELS = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

    private final byte[] pixels;
    private final int sampleLength;
    private final int size;
    private final int[] labels;
    private final String description;

    DemoDataset(byte[] pixels, int sampleLength, int[] labels, String description) {
        if (sampleLength < 1 || pixels.length % sampleLength != 0 || pixels.length == 0) {
            throw new IllegalArgumentException(pixels.length + " pixels are not a whole, non-zero number of samples of " + sampleLength);
        }
        this.pixels = pixels;
        this.sampleLength = sampleLength;
        this.size = pixels.length / sampleLength;
        if (labels != null && labels.length != size) {
            throw new IllegalArgumentException(labels.length + " labels for " + size + " samples");
        }
        this.labels = labels;
        this.description = description;
    }

    /**
     * Loads the demo's images.
     *
     * @param data {@code auto}, or a samples file that {@link SampleReaders} reads (.npy, IDX, ...)
     * @param labels a labels file; when empty, found beside {@code data} ({@code labels.npy} next
     *     to {@code samples.npy}, {@code *-labels-idx1-ubyte*} next to {@code *-images-idx3-ubyte*}),
     *     else the samples go without labels
     * @param modelDir the model's directory (manifest, bundled samples)
     * @param sampleLength the number of values of one model input
     * @throws IOException if the files cannot be read or hold something else than whole pixels 0..255
     *     of the model's size
     */
    public static DemoDataset load(String data, Optional<Path> labels, Path modelDir, int sampleLength) throws IOException {
        Path samples;
        Optional<Path> labelFile = labels;
        String origin;
        if (data == null || data.isBlank() || data.trim().equalsIgnoreCase("auto")) {
            Path fashion = Path.of(FASHION_MNIST_IMAGES);
            if (Files.isReadable(fashion) && "fashion-mnist".equals(trainingDataset(modelDir)) && sampleLength == 28 * 28) {
                samples = fashion;
                labelFile = Optional.of(Path.of(FASHION_MNIST_LABELS)).filter(Files::isReadable);
                origin = "Fashion-MNIST test set (Debian dataset-fashion-mnist)";
            } else {
                samples = modelDir.resolve("samples.npy");
                labelFile = Optional.of(modelDir.resolve("labels.npy")).filter(Files::isReadable);
                origin = "the samples bundled with the model"
                        + (Files.isReadable(fashion) ? "" : " (install Debian's dataset-fashion-mnist for the 10,000 test images)");
            }
        } else {
            samples = Path.of(data.trim());
            if (labelFile.isEmpty()) {
                labelFile = besides(samples);
            }
            origin = "resalign.demo.data";
        }
        if (!Files.isReadable(samples)) {
            throw new IOException("demo data " + samples + " does not exist or cannot be read");
        }
        SampleBatch batch = SampleReaders.read(samples);
        if (batch.sampleLength() != sampleLength) {
            throw new IOException("demo data " + samples + " has samples of " + batch.sampleLength()
                    + " values, the model takes " + sampleLength);
        }
        float[] values = batch.data();
        byte[] pixels = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (!(v >= 0 && v <= 255 && v == Math.rint(v))) {
                throw new IOException("demo data " + samples + " value " + i + " is " + v
                        + "; the demo sends UINT8 images: whole numbers 0..255");
            }
            pixels[i] = (byte) (int) v;
        }
        int[] l = null;
        if (labelFile.isPresent()) {
            l = SampleReaders.readLabels(labelFile.get());
            if (l.length != batch.size()) {
                throw new IOException(labelFile.get() + " has " + l.length + " labels for the " + batch.size() + " samples of " + samples);
            }
        }
        String description = batch.size() + " images from " + samples + " (" + origin + "), "
                + (l == null ? "without labels" : "labels from " + labelFile.get());
        return new DemoDataset(pixels, sampleLength, l, description);
    }

    /** Returns the number of images. */
    public int size() {
        return size;
    }

    /** Returns the number of values of one image. */
    public int sampleLength() {
        return sampleLength;
    }

    /** Returns image {@code i} as floats 0..255. */
    public float[] image(int i) {
        float[] out = new float[sampleLength];
        int from = i * sampleLength;
        for (int k = 0; k < sampleLength; k++) {
            out[k] = pixels[from + k] & 0xFF;
        }
        return out;
    }

    /** Returns whether the images have labels. */
    public boolean hasLabels() {
        return labels != null;
    }

    /** Returns the label of image {@code i}; only when {@link #hasLabels()}. */
    public int label(int i) {
        return labels[i];
    }

    /** Says what was loaded, for the log. */
    public String description() {
        return description;
    }

    private static Optional<Path> besides(Path samples) {
        Path name = samples.getFileName();
        if (name == null) {
            return Optional.empty();
        }
        String n = name.toString();
        String guess = n.contains("images") ? n.replace("images", "labels").replace("idx3", "idx1")
                : n.contains("samples") ? n.replace("samples", "labels") : null;
        return Optional.ofNullable(guess).map(samples::resolveSibling).filter(Files::isReadable);
    }

    private static String trainingDataset(Path modelDir) {
        try {
            JsonNode manifest = new ObjectMapper().readTree(modelDir.resolve("manifest.json").toFile());
            return manifest.path("training").path("dataset").asText(null);
        } catch (IOException e) {
            return null;
        }
    }
}
