package io.resalign.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.model.ModelManifest;
import io.resalign.engine.testing.Python;
import io.resalign.engine.testing.RandomModels;
import io.resalign.engine.testing.TorchReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Benchmarks the engine on two torchvision-sized models with random weights, written by
 * torchvision 0.14 itself: resnet50 at 3 x 224 x 224 (matrix-free path; all 16 Bottlenecks
 * watched, and the layer3 subset docs/models.md suggests) and vit_b_16 at 224 (all 24 class-token
 * Jacobians, dense path). Per case: seconds per sample of {@link io.resalign.engine.AlignmentEngine}
 * with {@link EngineOptions#defaults()} after a warm-up (median, min and max), the same work done
 * by torch 1.13 in the same run ({@link TorchPeer}) and the ratio, the FLOPs of the large products
 * ({@link LargeModelWork}) against this machine's matmul and conv rates, and the time a GPU would
 * take at the same fraction of its peak: an estimate, not a measurement.
 *
 * <p>It prints numbers and asserts nothing. Run it with
 * {@code OMP_WAIT_POLICY=PASSIVE ./mvnw -q test-compile exec:exec@large-bench -Dlarge-bench.args="--quick"};
 * flags: {@code --models resnet50,vit_b_16}, {@code --resnet-watch all,layer3},
 * {@code --resnet-batches 1}, {@code --vit-batches 1,16}, {@code --warmup N} (batches, default 1),
 * {@code --timed N} (batches, default 3), {@code --no-torch}, {@code --quick} (one timed batch,
 * batch 1 only).
 */
public final class LargeModelBenchmark {
    /** The layer3 subset of docs/models.md's resnet50 manifest. */
    static final List<String> LAYER3 = List.of("layer3.0", "layer3.1", "layer3.2", "layer3.3", "layer3.4", "layer3.5");

    /** 1-minute load average above which the machine does not count as quiet. */
    private static final double QUIET_LOAD = 0.5;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Parsed command-line settings. */
    static final class Settings {
        List<String> models = List.of("resnet50", "vit_b_16");
        List<String> resnetWatch = List.of("all", "layer3");
        List<Integer> resnetBatches = List.of(1);
        List<Integer> vitBatches = List.of(1, 16);
        int warmup = 1;
        int timed = 3;
        boolean torch = true;
        int rateReps = 5;

        static Settings parse(String[] args) {
            Settings s = new Settings();
            if (Arrays.asList(args).contains("--quick")) {
                s.timed = 1;
                s.vitBatches = List.of(1);
                s.rateReps = 3;
            }
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> { }
                    case "--models" -> s.models = List.of(args[++i].split(","));
                    case "--resnet-watch" -> s.resnetWatch = List.of(args[++i].split(","));
                    case "--resnet-batches" -> s.resnetBatches = ints(args[++i]);
                    case "--vit-batches" -> s.vitBatches = ints(args[++i]);
                    case "--warmup" -> s.warmup = Integer.parseInt(args[++i]);
                    case "--timed" -> s.timed = Integer.parseInt(args[++i]);
                    case "--no-torch" -> s.torch = false;
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'; flags: --models resnet50,vit_b_16 "
                            + "--resnet-watch all,layer3 --resnet-batches 1 --vit-batches 1,16 --warmup N --timed N --no-torch --quick");
                }
            }
            for (String m : s.models) {
                if (!List.of("resnet50", "vit_b_16").contains(m)) {
                    throw new IllegalArgumentException("unknown model '" + m + "'; models: resnet50, vit_b_16");
                }
            }
            for (String w : s.resnetWatch) {
                if (!List.of("all", "layer3").contains(w)) {
                    throw new IllegalArgumentException("unknown resnet50 watch set '" + w + "'; sets: all, layer3");
                }
            }
            if (s.timed < 1 || s.warmup < 0) {
                throw new IllegalArgumentException("need --timed >= 1 and --warmup >= 0");
            }
            return s;
        }

        private static List<Integer> ints(String csv) {
            return Arrays.stream(csv.split(",")).map(Integer::valueOf).toList();
        }
    }

    private LargeModelBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args flags, see the class comment
     * @throws Exception when a model cannot be written or the torch peer fails
     */
    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Settings s = Settings.parse(args);
        Engine engine = Engine.getInstance();
        Device device = MachineRates.device(engine);
        // the one use of DJL's PyTorch internals: the intra-op thread count torch's peer must match
        int threads = JniUtils.getNumThreads();
        System.out.println("resalign large-model benchmark  " + ZonedDateTime.now());
        System.out.println(MachineRates.describe(engine, device, args));
        System.out.println("PyTorch intra-op threads (DJL): " + threads);
        String loadBefore = quietCheck("start");
        MachineRates machine = new MachineRates(device, s.rateReps);
        System.out.printf("machine rates: DJL float32, median of %d repetitions, measured again before each case%n%n", s.rateReps);

        Path root = Files.createTempDirectory("resalign-large-bench");
        List<LargeModelCase.Row> rows = new ArrayList<>();
        try {
            LargeModelCase cases = new LargeModelCase(device, threads, s.warmup, s.timed, s.torch, machine, root);
            if (s.models.contains("resnet50")) {
                Path dir = writeResnet50(root.resolve("resnet50"));
                for (String watch : s.resnetWatch) {
                    writeResnetManifest(dir, watch.equals("all") ? List.of("all") : LAYER3);
                    for (int batch : s.resnetBatches) {
                        rows.add(cases.run(dir, "resnet50", watch, batch));
                    }
                }
            }
            if (s.models.contains("vit_b_16")) {
                Path dir = writeVitB16(root.resolve("vit_b_16"));
                for (int batch : s.vitBatches) {
                    rows.add(cases.run(dir, "vit_b_16", "all", batch));
                }
            }
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        String loadAfter = quietCheck("end");
        System.out.println();
        System.out.println("== summary (markdown) ==  load average " + loadBefore + " -> " + loadAfter);
        System.out.println();
        LargeModelCase.printSummary(rows);
    }

    /** Prints the load average and warns when the machine is not quiet; returns the 1-minute value. */
    private static String quietCheck(String when) {
        String load = MachineRates.loadAverage();
        System.out.println("load average at " + when + ": " + load);
        try {
            if (Double.parseDouble(load.split(" ")[0]) > QUIET_LOAD) {
                System.out.printf("WARNING: 1-minute load average above %.1f: other processes share these cores, the timings are slower "
                        + "than on a quiet machine%n", QUIET_LOAD);
            }
        } catch (NumberFormatException e) {
            System.out.println("WARNING: no load average: the machine's quietness is unknown");
        }
        return load.split(" ")[0];
    }

    /** torchvision's resnet50(num_classes=10), random weights and BatchNorm statistics (src/test/python/torchvision_reference.py). */
    private static Path writeResnet50(Path dir) throws IOException, InterruptedException {
        long started = System.nanoTime();
        // the script also checks one small block in float64; only the weights file is used here
        System.out.print(Python.torchvision(dir.toString(), "--arch", "resnet50", "--blocks", "layer4.2", "--batch", "1", "--size", "32",
                "--tangents", "1"));
        System.out.printf("resnet50 written by torchvision in %.1f s%n", (System.nanoTime() - started) / 1e9);
        return dir;
    }

    private static void writeResnetManifest(Path dir, List<String> watch) throws IOException {
        ObjectNode manifest = RandomModels.manifest("resnet50", "resnet-conv", 10, 3, 224, 224);
        ((ObjectNode) manifest.get("hyperparameters")).put("variant", "resnet50");
        ArrayNode w = manifest.putArray("watch");
        watch.forEach(w::add);
        Files.writeString(dir.resolve(ModelManifest.FILE), JSON.writeValueAsString(manifest));
    }

    /** torchvision's vit_b_16(num_classes=10), random weights (src/test/python/torchvision_vit_reference.py), every block watched. */
    private static Path writeVitB16(Path dir) throws IOException, InterruptedException {
        long started = System.nanoTime();
        System.out.print(Python.torchvisionVit(dir.toString(), "--variant", "vit_b_16", "--batch", "1", "--tangents", "1", "--blocks",
                "encoder_layer_0.mlp"));
        TorchReference.writeVitManifest(dir, "{\"variant\": \"vit_b_16\"}", 3, 224, 10);
        System.out.printf("vit_b_16 written by torchvision in %.1f s%n", (System.nanoTime() - started) / 1e9);
        return dir;
    }
}
