package io.resalign.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.model.ModelWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Exports a trained {@link ResNetMlp} as a resalign model directory: PyTorch {@code state_dict}
 * names (docs/models.md) in model.safetensors, and manifest.json with the hyper-parameters, the
 * preprocessing, the classes and a {@code training} record.
 *
 * <p>Name mapping (DJL parameter of the block -> torch name):
 * <pre>
 *   Linear    weight (out, in) -> weight (out, in)   (same layout as torch: no transpose)
 *             bias             -> bias
 *   BatchNorm gamma            -> weight
 *             beta             -> bias
 *             runningMean      -> running_mean
 *             runningVar       -> running_var
 *   blocks:   stem, stem_bn, blocks.{l}.fc1, blocks.{l}.bn1, blocks.{l}.fc2, blocks.{l}.bn2, head
 * </pre>
 * torch's {@code num_batches_tracked} has no DJL counterpart and is not written (the engine does not need it).
 */
public final class TorchExport {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, String> LINEAR = Map.of("weight", "weight", "bias", "bias");
    static final Map<String, String> CONV = Map.of("weight", "weight");
    static final Map<String, String> BATCH_NORM = Map.of("gamma", "weight", "beta", "bias", "runningMean", "running_mean",
            "runningVar", "running_var");

    private TorchExport() {}

    /**
     * Returns the torch-named tensors of a network, and checks that every DJL parameter is exported
     * exactly once.
     */
    public static Map<String, NDArray> tensors(ResNetMlp net) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Map<Parameter, String> seen = new IdentityHashMap<>();
        put(out, seen, "stem", net.stem(), LINEAR);
        if (net.stemBn() != null) {
            put(out, seen, "stem_bn", net.stemBn(), BATCH_NORM);
        }
        for (int l = 0; l < net.residualBlocks().size(); l++) {
            ResidualMlpBlock b = net.residualBlocks().get(l);
            String p = "blocks." + l;
            put(out, seen, p + ".fc1", b.fc1(), LINEAR);
            if (b.bn1() != null) {
                put(out, seen, p + ".bn1", b.bn1(), BATCH_NORM);
            }
            put(out, seen, p + ".fc2", b.fc2(), LINEAR);
            if (b.bn2() != null) {
                put(out, seen, p + ".bn2", b.bn2(), BATCH_NORM);
            }
        }
        put(out, seen, "head", net.head(), LINEAR);
        requireAllExported(net, seen);
        return out;
    }

    /** Fails unless every DJL parameter of the network got exactly one torch name. */
    static void requireAllExported(Block net, Map<Parameter, String> seen) {
        for (var entry : net.getParameters()) {
            if (!seen.containsKey(entry.getValue())) {
                throw new IllegalStateException("DJL parameter " + entry.getKey() + " has no torch name");
            }
        }
        if (seen.size() != net.getParameters().size()) {
            throw new IllegalStateException(seen.size() + " parameters exported, the network has " + net.getParameters().size());
        }
    }

    static void put(Map<String, NDArray> out, Map<Parameter, String> seen, String prefix, Block block, Map<String, String> names) {
        if (!(block instanceof Linear) && !(block instanceof BatchNorm) && !(block instanceof Conv2d)) {
            throw new IllegalArgumentException(prefix + ": unexpected block " + block.getClass());
        }
        for (var entry : block.getParameters()) {
            String torch = names.get(entry.getKey());
            if (torch == null) {
                throw new IllegalStateException(prefix + ": DJL parameter '" + entry.getKey() + "' has no torch name");
            }
            Parameter parameter = entry.getValue();
            String name = prefix + "." + torch;
            if (seen.put(parameter, name) != null) {
                throw new IllegalStateException(name + ": parameter exported twice");
            }
            out.put(name, parameter.getArray());
        }
    }

    /** Returns a {@link ModelWriter} holding the network's tensors as float32 (copied to the CPU). */
    public static ModelWriter writer(ResNetMlp net) {
        ModelWriter writer = new ModelWriter();
        tensors(net).forEach((name, array) -> {
            Shape shape = array.getShape();
            writer.put(name, array.toFloatArray(), shape.getShape());
        });
        return writer;
    }

    /** Builds the manifest of a trained {@code resnet-mlp}. */
    public static ObjectNode manifest(TrainedMlp trained) {
        MlpSpec s = trained.spec();
        ObjectNode hp = JSON.createObjectNode();
        hp.put("width", s.width());
        hp.put("depth", s.depth());
        hp.put("batch_norm", s.batchNorm());
        hp.put("skip", s.skip());
        hp.put("post_activation", s.postActivation());
        hp.put("bn_eps", round(s.bnEps()));
        return manifest(trained, hp);
    }

    /** Builds the manifest of a trained network from its architecture's hyper-parameters. */
    static ObjectNode manifest(TrainedNetwork trained, ObjectNode hyperparameters) {
        TrainConfig c = trained.config();
        ObjectNode m = JSON.createObjectNode();
        m.put("name", c.name());
        m.put("version", c.version());
        m.put("architecture", trained.architecture());
        m.set("hyperparameters", hyperparameters);
        ObjectNode input = m.putObject("input");
        ArrayNode shape = input.putArray("shape");
        for (long d : trained.inputShape()) {
            shape.add(d);
        }
        input.put("scale", 1.0 / 255);
        input.putArray("mean").add(round(c.dataset().mean()));
        input.putArray("std").add(round(c.dataset().std()));
        ArrayNode classes = m.putArray("classes");
        c.dataset().classes().forEach(classes::add);
        m.putArray("watch").add("all");
        m.put("weights", "model.safetensors");
        ObjectNode t = m.putObject("training");
        t.put("dataset", c.dataset().id());
        t.put("train_samples", trained.trainSamples());
        t.put("test_samples", trained.testSamples());
        t.put("epochs", c.epochs());
        t.put("batch_size", c.batchSize());
        t.put("seed", c.seed());
        t.put("optimizer", c.optimizer());
        t.put("learning_rate", round(c.learningRate()));
        t.put("lr_schedule", c.schedule());
        if (c.optimizer().equals("sgd")) {
            t.put("momentum", round(c.momentum()));
        }
        t.put("weight_decay", round(c.weightDecay()));
        t.put("loss", "softmax cross-entropy");
        if (!Double.isNaN(trained.testAccuracy())) {
            t.put("test_accuracy", round4(trained.testAccuracy()));
        }
        ArrayNode loss = t.putArray("train_loss");
        trained.trainLoss().forEach(v -> loss.add(round4(v)));
        ArrayNode trainAcc = t.putArray("train_accuracy");
        trained.trainAccuracy().forEach(v -> trainAcc.add(round4(v)));
        ArrayNode testAcc = t.putArray("test_accuracy_per_epoch");
        trained.testAccuracyPerEpoch().forEach(v -> testAcc.add(round4(v)));
        t.put("training_seconds", Math.round(trained.seconds() * 10) / 10.0);
        t.put("machine", machine());
        t.put("date", LocalDate.now(ZoneOffset.UTC).toString());
        t.put("trainer", "io.resalign.train.Train (DJL " + Engine.getDjlVersion() + ", " + Engine.getInstance().getEngineName() + " "
                + Engine.getInstance().getVersion() + ")");
        return m;
    }

    /** Returns the shortest decimal of a float (1e-5f as 1e-5, not 9.99999974e-6). */
    static double round(float v) {
        return Double.parseDouble(Float.toString(v));
    }

    static double round4(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 1e4) / 1e4;
    }

    /** Describes this machine: cores, CPU model, OS, Java. */
    public static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // keep the default
        }
        return String.format(Locale.ROOT, "%d cores, %s, no GPU, %s %s, Java %s", Runtime.getRuntime().availableProcessors(), cpu,
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
    }

    /**
     * Writes the model directory (manifest.json + model.safetensors); other files in it are kept.
     *
     * @return the directory
     */
    public static Path write(TrainedMlp trained, Path directory) throws IOException {
        return writer(trained.network()).write(directory, manifest(trained));
    }
}
