package io.resalign.repro;

import io.resalign.repro.ModelAnalysis.Summary;
import io.resalign.train.Datasets;
import io.resalign.train.LabelledImages;
import io.resalign.train.TorchExport;
import io.resalign.train.TrainConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The reproduction command: trains (or loads from its cache) a grid of {@code resnet-mlp} models on
 * Fashion-MNIST with and without skip connections, measures RA1-RA4 with resalign's engine, draws
 * the figures (python3 + matplotlib) and writes {@code REPRODUCTION.md}.
 *
 * <pre>
 *   ./mvnw -q compile exec:exec@reproduce -Dreproduce.args="--grid full --out docs"
 * </pre>
 */
public final class Reproduce {
    private static final String USAGE = """
            usage: Reproduce [options]
              --grid full|tiny        full: depths 4, 8, 16, 34, width 128; tiny: depths 2, 4, width 16, 1 epoch on 1,000 images (full)
              --out DIR               writes DIR/REPRODUCTION.md, DIR/reproduction/*.png, DIR/reproduction/data/*.json (docs)
              --models-dir DIR        trained-model cache; a model with the same recipe is loaded, not retrained (target/repro-models)
              --samples N             test images analysed per model (grid default: 300 full, 20 tiny)
              --epochs N              training epochs (6 full, 1 tiny)
              --limit N               train on the first N training images (0 = all 60,000; tiny: 1,000)
              --width D               width of every model (128 full, 16 tiny)
              --depths L1,L2,...      depths of the grid
              --weight-decay W        Adam weight decay of the recipe (0)
              --data-dir DIR          Fashion-MNIST IDX folder (/usr/share/datasets/fashion-mnist)
              --python EXE            python interpreter with numpy and matplotlib (the first of python3, /usr/bin/python3 that has both)
              --figures-script FILE   (src/main/python/reproduction_figures.py)
              --discussion FILE       hand-written discussion included verbatim (OUT/reproduction/discussion.md if present)
              --no-bundled            do not consider models/demo-mlp and models/demo-mlp-noskip as cached models
              --report-only           redraw the figures and rewrite REPRODUCTION.md from OUT/reproduction/data (no training,
                                      no analysis), e.g. after editing the hand-written discussion
            """;

    private Reproduce() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
        } catch (PythonFigures.FiguresException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(3);
        }
    }

    /** Runs the command; returns the path of the written markdown. */
    static Path run(String[] args) throws IOException, InterruptedException, PythonFigures.FiguresException {
        long start = System.nanoTime();
        Grid grid = Grid.full();
        Path out = Path.of("docs");
        Path models = Path.of("target/repro-models");
        Path dataDir = Datasets.FASHION_MNIST.defaultDir();
        String python = null;
        Path script = Path.of("src/main/python/reproduction_figures.py");
        Path discussion = null;
        boolean bundled = true;
        boolean reportOnly = false;
        Integer samples = null;
        Integer epochs = null;
        Integer limit = null;
        Integer width = null;
        List<Integer> depths = null;
        Float wd = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.print(USAGE);
                return null;
            }
            if (a.equals("--no-bundled")) {
                bundled = false;
                continue;
            }
            if (a.equals("--report-only")) {
                reportOnly = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--grid" -> grid = switch (v) {
                    case "full" -> Grid.full();
                    case "tiny" -> Grid.tiny();
                    default -> throw new IllegalArgumentException("--grid takes full or tiny, not " + v);
                };
                case "--out" -> out = Path.of(v);
                case "--models-dir" -> models = Path.of(v);
                case "--samples" -> samples = Integer.parseInt(v);
                case "--epochs" -> epochs = Integer.parseInt(v);
                case "--limit" -> limit = Integer.parseInt(v);
                case "--width" -> width = Integer.parseInt(v);
                case "--depths" -> depths = Arrays.stream(v.split(",")).map(String::trim).map(Integer::parseInt).toList();
                case "--weight-decay" -> wd = Float.parseFloat(v);
                case "--data-dir" -> dataDir = Path.of(v);
                case "--python" -> python = v;
                case "--figures-script" -> script = Path.of(v);
                case "--discussion" -> discussion = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (samples != null) {
            grid = grid.withSamples(samples);
        }
        if (epochs != null) {
            grid = grid.withEpochs(epochs);
        }
        if (limit != null) {
            grid = grid.withLimit(limit);
        }
        if (width != null) {
            grid = grid.withWidth(width);
        }
        if (depths != null) {
            grid = grid.withDepths(depths);
        }
        if (wd != null) {
            grid = grid.withWeightDecay(wd);
        }
        if (grid.samples() < 1 || grid.epochs() < 1 || grid.depths().isEmpty() || grid.depths().stream().anyMatch(d -> d < 2)) {
            throw new IllegalArgumentException("need --samples >= 1, --epochs >= 1 and depths >= 2 (cross-alignment needs two blocks)");
        }
        python = PythonFigures.findPython(python, script);

        Path figures = out.resolve("reproduction");
        Path data = figures.resolve("data");
        Files.createDirectories(data);
        String command = "./mvnw -q compile exec:exec@reproduce -Dreproduce.args=\""
                + String.join(" ", Arrays.stream(args).filter(a -> !a.equals("--report-only")).toList()) + "\"";
        if (reportOnly) {
            return reportOnly(out, figures, data, python, script, discussion, command);
        }
        log("reproduction, grid " + grid.name() + ": " + grid.describe() + "; depths " + grid.depths() + ", skips on and off; "
                + grid.samples() + " test images analysed per model");

        LabelledImages train = Datasets.FASHION_MNIST.train(dataDir);
        LabelledImages test = Datasets.FASHION_MNIST.test(dataDir);
        if (grid.limit() > 0) {
            train = train.head(grid.limit());
        }

        int classes = Datasets.FASHION_MNIST.classes().size();
        long refStart = System.nanoTime();
        Map<String, Object> reference = NoAlignment.simulate(grid.width(), Math.min(classes, grid.width()), Math.min(classes, grid.width()),
                grid.name().equals("full") ? 200 : 20, 7);
        log(String.format(Locale.ROOT, "no-alignment reference simulated in %.1f s: %s", (System.nanoTime() - refStart) / 1e9, reference));

        List<Path> extra = bundled ? List.of(Path.of("models/demo-mlp"), Path.of("models/demo-mlp-noskip")) : List.of();
        ModelStore store = new ModelStore(models, extra, Reproduce::log);
        List<Summary> summaries = new ArrayList<>();
        Map<String, Object> summaryJson = new LinkedHashMap<>();
        summaryJson.put("grid", Json.record(grid));
        summaryJson.put("recipe", grid.describe());
        summaryJson.put("reference", reference);
        List<Object> files = new ArrayList<>();
        summaryJson.put("models", files);
        for (TrainConfig recipe : grid.models()) {
            log("model " + recipe.name());
            ModelStore.Located located = store.obtain(recipe, train, test);
            ModelAnalysis.Result result = ModelAnalysis.run(located.directory(), recipe, located, test, grid, Reproduce::log);
            String file = "d" + recipe.depth() + (recipe.skip() ? "-skip" : "-noskip") + ".json";
            Json.write(data.resolve(file), result.data(), false);
            summaries.add(result.summary());
            Map<String, Object> entry = new LinkedHashMap<>(Json.record(result.summary()));
            entry.put("file", file);
            files.add(entry);
            Json.write(data.resolve("summary.json"), summaryJson, true);
            Summary s = result.summary();
            log(String.format(Locale.ROOT, "  %s: accuracy %.4f, alignment %.4f, self %.3f, line_shape %.2f, pc1 %.3f, eff rank %.1f, "
                            + "stable rank %.2f, sigma1 %.4f (%.0f s)", recipe.name(), s.testAccuracy(), s.alignmentMean(), s.selfAlignmentMean(),
                    s.lineShapeMedian(), s.pc1FractionMedian(), s.effectiveRankFullMean(), s.stableRankMean(), s.sigma1Mean(),
                    s.analysisSeconds()));
        }
        summaries = Report.sorted(summaries);
        DepthFit skipFit = fit(summaries, true);
        DepthFit noSkipFit = fit(summaries, false);
        summaryJson.put("fit_skip", Json.record(skipFit));
        summaryJson.put("fit_noskip", Json.record(noSkipFit));
        summaryJson.put("machine", TorchExport.machine() + ", DJL 0.36 / PyTorch CPU");
        double minutes = (System.nanoTime() - start) / 60e9;
        summaryJson.put("minutes", minutes);
        Json.write(data.resolve("summary.json"), summaryJson, true);

        figures(python, script, data, figures);

        Report report = new Report(grid, summaries, reference, skipFit, noSkipFit, command, TorchExport.machine() + ", DJL 0.36 / PyTorch CPU",
                minutes, discussion(discussion, figures));
        Path md = out.resolve("REPRODUCTION.md");
        report.write(md);
        log(String.format(Locale.ROOT, "wrote %s (%.1f min)", md, minutes));
        return md;
    }

    private static String discussion(Path given, Path figures) throws IOException {
        Path file = given != null ? given : figures.resolve("discussion.md");
        return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : null;
    }

    /** Rewrites the figures and the markdown from the JSON of an earlier run. */
    @SuppressWarnings("unchecked")
    private static Path reportOnly(Path out, Path figures, Path data, String python, Path script, Path discussion, String command)
            throws IOException, InterruptedException, PythonFigures.FiguresException {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper()
                .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
                .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        Map<String, Object> summary = mapper.readValue(data.resolve("summary.json").toFile(), Map.class);
        Grid grid = mapper.convertValue(summary.get("grid"), Grid.class);
        List<Summary> summaries = new ArrayList<>();
        for (Object entry : (List<Object>) summary.get("models")) {
            Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) entry);
            m.replaceAll((key, value) -> value == null ? Double.NaN : value);
            summaries.add(mapper.convertValue(m, Summary.class));
        }
        DepthFit skipFit = mapper.convertValue(summary.get("fit_skip"), DepthFit.class);
        DepthFit noSkipFit = mapper.convertValue(summary.get("fit_noskip"), DepthFit.class);
        figures(python, script, data, figures);
        Report report = new Report(grid, Report.sorted(summaries), (Map<String, Object>) summary.get("reference"), skipFit, noSkipFit,
                command, String.valueOf(summary.get("machine")), ((Number) summary.getOrDefault("minutes", Double.NaN)).doubleValue(),
                discussion(discussion, figures));
        Path md = out.resolve("REPRODUCTION.md");
        report.write(md);
        log("rewrote " + md + " from " + data);
        return md;
    }

    private static DepthFit fit(List<Summary> summaries, boolean skip) {
        List<Summary> s = summaries.stream().filter(m -> m.skip() == skip).toList();
        return DepthFit.fit(s.stream().mapToDouble(Summary::depth).toArray(), s.stream().mapToDouble(Summary::sigma1Mean).toArray());
    }

    /**
     * Returns the interpreter for the figures: the one given, or the first of {@code python3} and
     * {@code /usr/bin/python3} that imports numpy and matplotlib (a pyenv {@code python3} on the PATH
     * may lack Debian's python3-matplotlib).
     */
    private static void figures(String python, Path script, Path data, Path figures) throws IOException, InterruptedException,
            PythonFigures.FiguresException {
        String output = PythonFigures.run(python, script, "--data", data.toString(), "--out", figures.toString());
        if (!output.isBlank()) {
            log(output.strip());
        }
    }

    static void log(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
