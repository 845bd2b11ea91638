package io.resalign.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** The parsed command line of {@link ProposeManifest}; {@link #parse} checks every value. */
final class ProposeOptions {
    Path weights;
    long[] inputShape;
    Path classes;
    Integer numClasses;
    Integer numHeads;
    String name;
    String version = "1";
    Path out;
    boolean link;
    boolean force;
    List<String> watch = List.of("all");
    Float scale;
    float[] mean;
    float[] std;
    boolean help;

    static final String USAGE = String.join("\n",
            "Usage: propose-manifest --weights FILE --input-shape C,H,W [options]",
            "",
            "Reads the header of a safetensors state_dict (names and shapes, never the data), recognises the",
            "architecture it describes (resnet-mlp, resnet-conv, vit) and writes DIR/manifest.json (docs/models.md).",
            "",
            "Required:",
            "  --weights FILE           the safetensors file (PyTorch state_dict names)",
            "  --input-shape S          one sample's shape as the model server sends it, no batch axis (3,224,224)",
            "Options:",
            "  --classes FILE           class names, one per line; their count must be the head's outputs",
            "  --num-classes N          instead of --classes: checks the head has N outputs, names them 0..N-1",
            "                           (neither: the head's output count, names 0..C-1)",
            "  --num-heads H            a vit's attention heads (no shape shows them; default: the torchvision",
            "                           variant's when the sizes are vit_b_16, vit_b_32 or vit_l_16)",
            "  --name N                 the model's name (default: DIR's name)",
            "  --version V              the model's version (default 1)",
            "  --out DIR                the model directory to write (default: the directory of --weights); the",
            "                           weights are copied into it unless they are there already",
            "  --link                   symlink the weights into DIR instead of copying them",
            "  --watch all|NAMES        blocks or stages to watch, comma-separated (layer3,layer4.0); default all",
            "  --scale S, --mean M, --std D   preprocessing x' = (x * S - M[c]) / D[c], one value or one per channel",
            "                           (default 1, 0, 1: the model gets the tensor as sent)",
            "  --force                  overwrite an existing DIR/manifest.json (and the weights copy)",
            "  --help                   print this help and exit",
            "",
            "Exit status: 0 success, 1 runtime error (unreadable or unrecognised weights, mismatched classes), 2 usage error.");

    private static final Set<String> FLAGS = Set.of("--link", "--force", "--help");
    private static final Set<String> KNOWN = Set.of("--weights", "--input-shape", "--classes", "--num-classes", "--num-heads",
            "--name", "--version", "--out", "--link", "--watch", "--scale", "--mean", "--std", "--force", "--help");

    private ProposeOptions() {}

    /**
     * Parses a command line.
     *
     * @throws UsageException on an unknown option, a malformed value, or a missing required option
     */
    static ProposeOptions parse(String[] args) throws UsageException {
        ProposeOptions o = new ProposeOptions();
        for (CommandLine.Option option : CommandLine.split(args, KNOWN, FLAGS)) {
            String name = option.name();
            String value = option.value();
            switch (name) {
                case "--weights" -> o.weights = CommandLine.path(name, value);
                case "--input-shape" -> o.inputShape = shape(name, value);
                case "--classes" -> o.classes = CommandLine.path(name, value);
                case "--num-classes" -> o.numClasses = CommandLine.positiveInt(name, value);
                case "--num-heads" -> o.numHeads = CommandLine.positiveInt(name, value);
                case "--name" -> o.name = text(name, value);
                case "--version" -> o.version = text(name, value);
                case "--out" -> o.out = CommandLine.path(name, value);
                case "--link" -> o.link = true;
                case "--force" -> o.force = true;
                case "--watch" -> o.watch = Arrays.stream(value.split(",", -1)).map(String::strip).toList();
                case "--scale" -> o.scale = CommandLine.floats(name, value)[0];
                case "--mean" -> o.mean = CommandLine.floats(name, value);
                case "--std" -> o.std = CommandLine.floats(name, value);
                case "--help" -> o.help = true;
                default -> throw new IllegalStateException(name);
            }
        }
        if (o.help) {
            return o;
        }
        if (o.weights == null) {
            throw new UsageException("--weights FILE is required");
        }
        if (o.inputShape == null) {
            throw new UsageException("--input-shape is required, e.g. --input-shape 3,224,224");
        }
        if (o.classes != null && o.numClasses != null) {
            throw new UsageException("give --classes FILE or --num-classes N, not both");
        }
        if (o.watch.stream().anyMatch(String::isEmpty)) {
            throw new UsageException("--watch expects all or comma-separated block or stage names, got an empty name");
        }
        return o;
    }

    private static long[] shape(String name, String value) throws UsageException {
        String[] parts = value.split(",", -1);
        long[] shape = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            long v = CommandLine.parseLong(name, parts[i], "positive integers separated by commas (3,224,224)");
            if (v < 1) {
                throw new UsageException(name + " expects positive integers separated by commas (3,224,224), got '" + value + "'");
            }
            shape[i] = v;
        }
        return shape;
    }

    private static String text(String name, String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException(name + " needs a non-empty value");
        }
        return value;
    }
}
