package io.resalign.engine.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.model.ModelWriter;
import java.util.Random;

/**
 * Builds model directories with random weights for tests and benchmarks: {@code resnet-mlp} and
 * {@code resnet-conv} with the tensor names of docs/models.md (torchvision's for conv).
 */
public final class RandomModels {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RandomModels() {}

    /** Returns a manifest skeleton with C numbered classes and the given input shape. */
    public static ObjectNode manifest(String name, String architecture, int classes, long... inputShape) {
        ObjectNode m = JSON.createObjectNode();
        m.put("name", name).put("version", "1").put("architecture", architecture);
        ArrayNode shape = m.putObject("input").putArray("shape");
        for (long s : inputShape) {
            shape.add(s);
        }
        ArrayNode cls = m.putArray("classes");
        for (int c = 0; c < classes; c++) {
            cls.add("class-" + c);
        }
        m.putObject("hyperparameters");
        return m;
    }

    /** Gaussian values with standard deviation std. */
    public static float[] gaussian(Random random, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    private static float[] uniform(Random random, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + (hi - lo) * random.nextDouble());
        }
        return v;
    }

    /** Puts PyTorch BatchNorm tensors with sane random statistics. */
    public static void batchNorm(ModelWriter w, Random random, String prefix, int channels) {
        w.put(prefix + ".weight", uniform(random, channels, 0.5, 1.5), channels);
        w.put(prefix + ".bias", gaussian(random, channels, 0.1), channels);
        w.put(prefix + ".running_mean", gaussian(random, channels, 0.1), channels);
        w.put(prefix + ".running_var", uniform(random, channels, 0.5, 2.0), channels);
    }

    /**
     * Returns the weights of a random {@code resnet-mlp} (N(0, 1/fan_in) weights, fc2 scaled by
     * 1/sqrt(depth) so the residual stream stays O(1)) and fills the manifest's hyper-parameters.
     */
    public static ModelWriter mlp(ObjectNode manifest, int in, int width, int depth, int classes, boolean batchNorm, boolean skip,
            long seed) {
        manifest.putObject("hyperparameters").put("width", width).put("depth", depth).put("batch_norm", batchNorm).put("skip", skip);
        Random random = new Random(seed);
        ModelWriter w = new ModelWriter();
        w.put("stem.weight", gaussian(random, width * in, 1 / Math.sqrt(in)), width, in);
        w.put("stem.bias", gaussian(random, width, 0.1), width);
        if (batchNorm) {
            batchNorm(w, random, "stem_bn", width);
        }
        for (int l = 0; l < depth; l++) {
            String p = "blocks." + l;
            w.put(p + ".fc1.weight", gaussian(random, width * width, 1 / Math.sqrt(width)), width, width);
            w.put(p + ".fc1.bias", gaussian(random, width, 0.1), width);
            w.put(p + ".fc2.weight", gaussian(random, width * width, 1 / Math.sqrt(width * (double) depth)), width, width);
            w.put(p + ".fc2.bias", gaussian(random, width, 0.1), width);
            if (batchNorm) {
                batchNorm(w, random, p + ".bn1", width);
                batchNorm(w, random, p + ".bn2", width);
            }
        }
        w.put("head.weight", gaussian(random, classes * width, 1 / Math.sqrt(width)), classes, width);
        w.put("head.bias", gaussian(random, classes, 0.1), classes);
        return w;
    }

    /**
     * Returns the weights of a random torchvision-style {@code resnet-conv} (He-scaled convs) with
     * torchvision's state_dict names, filling the manifest's hyper-parameters.
     */
    public static ModelWriter conv(ObjectNode manifest, int inChannels, int[] layers, int[] widths, String stem, int classes,
            boolean skip, long seed) {
        ObjectNode hp = manifest.putObject("hyperparameters");
        ArrayNode l = hp.putArray("layers");
        for (int x : layers) {
            l.add(x);
        }
        ArrayNode wd = hp.putArray("widths");
        for (int x : widths) {
            wd.add(x);
        }
        hp.put("stem", stem).put("skip", skip);
        Random random = new Random(seed);
        ModelWriter w = new ModelWriter();
        int k0 = stem.equals("imagenet") ? 7 : 3;
        convWeight(w, random, "conv1.weight", widths[0], inChannels, k0);
        batchNorm(w, random, "bn1", widths[0]);
        int channels = widths[0];
        for (int s = 0; s < layers.length; s++) {
            for (int i = 0; i < layers[s]; i++) {
                int stride = (s > 0 && i == 0) ? 2 : 1;
                String p = "layer" + (s + 1) + "." + i;
                int out = widths[s];
                convWeight(w, random, p + ".conv1.weight", out, channels, 3);
                batchNorm(w, random, p + ".bn1", out);
                convWeight(w, random, p + ".conv2.weight", out, out, 3);
                batchNorm(w, random, p + ".bn2", out);
                if (skip && (stride != 1 || out != channels)) {
                    convWeight(w, random, p + ".downsample.0.weight", out, channels, 1);
                    batchNorm(w, random, p + ".downsample.1", out);
                }
                channels = out;
            }
        }
        w.put("fc.weight", gaussian(random, classes * channels, 1 / Math.sqrt(channels)), classes, channels);
        w.put("fc.bias", gaussian(random, classes, 0.1), classes);
        return w;
    }

    private static void convWeight(ModelWriter w, Random random, String name, int out, int in, int k) {
        w.put(name, gaussian(random, out * in * k * k, Math.sqrt(2.0 / (in * k * k))), out, in, k, k);
    }
}
