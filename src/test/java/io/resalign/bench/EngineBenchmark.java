package io.resalign.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.SampleMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmarks the alignment engine: per workload the seconds per sample of
 * {@link AlignmentEngine#analyse}, the naive baseline (per-row autograd Jacobians + full ojAlgo
 * SVDs) with the speed-up and the metric agreement, the FLOP floor at the rates DJL reaches on this
 * machine, a rough phase profile, and the resident-memory growth over many W-mlp batches.
 *
 * <p>It prints numbers and asserts nothing. Run it with
 * {@code ./mvnw -q test-compile exec:exec@bench -Dbench.args="--quick"}; flags:
 * {@code --workloads W-mlp,W-mlp-wide,W-conv}, {@code --batches N} (timed W-mlp batches, also the
 * RSS loop; default 1000), {@code --timed N} (timed batches of the other workloads; default 3),
 * {@code --naive-samples N} (samples whose full SVDs the wide baseline computes; default 8),
 * {@code --conv-rows N} (rows timed per conv block; default 32), {@code --svd-size N} (side of
 * the timed ojAlgo SVD; default 2048), {@code --profile-batches N}, {@code --quick} (tiny counts
 * for a smoke run).
 */
public final class EngineBenchmark {

    /** Parsed command-line settings. */
    private static final class Settings {
        List<String> workloads = List.of("W-mlp", "W-mlp-wide", "W-conv");
        int batches = 1000;
        int timed = 3;
        int naiveSamplesWide = 8;
        int convRows = 32;
        int svdSize = 2048;
        int convBatch = 8;
        int profileBatchesMlp = 20;
        int rateReps = 5;
        boolean quick;

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (String a : args) {
                if (a.equals("--quick")) {
                    s.quick = true;
                    s.batches = 5;
                    s.timed = 1;
                    s.naiveSamplesWide = 2;
                    s.convRows = 2;
                    s.svdSize = 256;
                    s.convBatch = 2;
                    s.profileBatchesMlp = 2;
                    s.rateReps = 2;
                }
            }
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--quick" -> { }
                    case "--workloads" -> s.workloads = Arrays.asList(args[++i].split(","));
                    case "--batches" -> s.batches = Integer.parseInt(args[++i]);
                    case "--timed" -> s.timed = Integer.parseInt(args[++i]);
                    case "--naive-samples" -> s.naiveSamplesWide = Integer.parseInt(args[++i]);
                    case "--conv-rows" -> s.convRows = Integer.parseInt(args[++i]);
                    case "--svd-size" -> s.svdSize = Integer.parseInt(args[++i]);
                    case "--profile-batches" -> s.profileBatchesMlp = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "'; flags: --workloads W-mlp,W-mlp-wide,W-conv "
                            + "--batches N --timed N --naive-samples N --conv-rows N --svd-size N --profile-batches N --quick");
                }
            }
            for (String w : s.workloads) {
                if (!List.of("W-mlp", "W-mlp-wide", "W-conv").contains(w)) {
                    throw new IllegalArgumentException("unknown workload '" + w + "'");
                }
            }
            return s;
        }
    }

    /** One workload's headline numbers, for the summary table. */
    private record Summary(String workload, double fast, int timedBatches, double naive, boolean extrapolated, double maxDiff,
            double floorShape, double floorPeak, String iterations, String rss) {}

    private EngineBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args flags, see the class comment
     * @throws IOException when a model directory cannot be written
     */
    public static void main(String[] args) throws IOException {
        Locale.setDefault(Locale.ROOT);
        Settings s = Settings.parse(args);
        Engine engine = Engine.getInstance();
        Device device = MachineRates.device(engine);
        System.out.println("resalign engine benchmark  " + ZonedDateTime.now());
        System.out.println(MachineRates.describe(engine, device, args));
        MachineRates rates = new MachineRates(device, s.rateReps);
        double peak = rates.squareMatmul(1024);
        System.out.printf("machine: float32 1024x1024x1024 matmul %.1f GFLOP/s (DJL, median of %d)%n%n", peak, s.rateReps);

        Path root = Files.createTempDirectory("resalign-bench");
        List<Summary> summaries = new ArrayList<>();
        try {
            for (String name : s.workloads) {
                Workload w = switch (name) {
                    case "W-mlp" -> Workload.mlp("W-mlp", 128, 32);
                    case "W-mlp-wide" -> Workload.mlp("W-mlp-wide", 512, 32);
                    default -> Workload.conv(s.convBatch);
                };
                summaries.add(run(w, s, device, rates, peak, root));
            }
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.println("== summary (markdown) ==");
        System.out.println();
        System.out.println("| workload | fast s/sample (median) | naive s/sample | naive/fast | max abs diff naive vs fast | floor s/sample "
                + "(same-shape rates) | achieved/floor | floor @ 1024^3 matmul rate | achieved/peak floor | power steps | RSS growth |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Summary m : summaries) {
            System.out.printf("| %s | %.4g (%d batches) | %.4g%s | %.3g | %s | %.3g | %.2f | %.3g | %.2f | %s | %s |%n", m.workload(), m.fast(),
                    m.timedBatches(), m.naive(), m.extrapolated() ? " (extrapolated)" : "", m.naive() / m.fast(),
                    Double.isNaN(m.maxDiff()) ? "n/a" : String.format("%.2e", m.maxDiff()), m.floorShape(), m.fast() / m.floorShape(),
                    m.floorPeak(), m.fast() / m.floorPeak(), m.iterations(), m.rss());
        }
    }

    private static Summary run(Workload w, Settings s, Device device, MachineRates rates, double peak, Path root) throws IOException {
        System.out.println("== " + w.name() + ": " + w.description() + " ==");
        System.out.println("load average at start: " + MachineRates.loadAverage());
        Path dir = w.writeModel(root);
        try (ResidualNetwork network = Architectures.load(dir, device); AlignmentEngine engine = new AlignmentEngine(network, w.options())) {
            int k = engine.k();
            float[][] pool = w.inputs(w.name().equals("W-mlp") ? 8 : 2);
            // warm-up; its metrics are the ones compared with the baseline
            List<SampleMetrics> fastMetrics = engine.analyse(pool[0], w.batch(), 0);
            int warmups = w.name().equals("W-mlp") ? 3 : 0;
            for (int i = 0; i < warmups; i++) {
                engine.analyse(pool[(i + 1) % pool.length], w.batch(), 0);
            }
            int timed = w.name().equals("W-mlp") ? s.batches : s.timed;
            long rssBefore = MachineRates.rssKb();
            long rssTenth = -1;
            double[] times = new double[timed];
            for (int i = 0; i < timed; i++) {
                long t0 = System.nanoTime();
                engine.analyse(pool[i % pool.length], w.batch(), i * w.batch());
                times[i] = (System.nanoTime() - t0) / 1e9;
                if (i == Math.max(0, timed / 10 - 1)) {
                    rssTenth = MachineRates.rssKb();
                }
                if (w.name().equals("W-mlp") && (i + 1) % Math.max(1, timed / 10) == 0) {
                    System.out.printf("  batch %d: %.3f s, VmRSS %.1f MB%n", i + 1, times[i], MachineRates.rssKb() / 1024.0);
                }
            }
            long rssAfter = MachineRates.rssKb();
            double[] sorted = times.clone();
            Arrays.sort(sorted);
            double fast = sorted[timed / 2] / w.batch();
            String rss = "-";
            if (w.name().equals("W-mlp")) {
                double growth = 100.0 * (rssAfter - rssBefore) / rssBefore;
                rss = String.format("%+.2f%% over %d batches", growth, timed);
                System.out.printf("RSS (VmRSS): %.1f MB after warm-up, %.1f MB after %d batches, %.1f MB after %d batches: growth %+.2f%% "
                        + "(%+.2f%% after the first tenth)%n", rssBefore / 1024.0, rssTenth / 1024.0, Math.max(1, timed / 10), rssAfter / 1024.0,
                        timed, growth, 100.0 * (rssAfter - rssTenth) / rssTenth);
            }
            System.out.printf("fast path: %.5f s/sample, median of %d batches of %d (batch min %.3f s, median %.3f s, max %.3f s)%n", fast, timed, w.batch(), sorted[0], sorted[timed / 2], sorted[timed - 1]);

            {
                // profile of the real engine by stack sampling
                int profileBatches = w.name().equals("W-mlp") ? s.profileBatchesMlp : 1;
                StackSampler sampler = new StackSampler(Thread.currentThread(), w.dense() ? 2 : 10);
                long p0 = System.nanoTime();
                for (int i = 0; i < profileBatches; i++) {
                    engine.analyse(pool[i % pool.length], w.batch(), 0);
                }
                double profiled = (System.nanoTime() - p0) / 1e9 / profileBatches / w.batch();
                Map<String, Double> shares = sampler.shares();
                System.out.printf("profile (stack sampling, %d samples over %d batches, %.5f s/sample while sampled):%n", sampler.samples(),
                        profileBatches, profiled);
                shares.forEach((phase, share) -> {
                    if (share > 0) {
                        System.out.printf("  %-40s %5.1f%%  %.5f s/sample%n", phase, 100 * share, share * profiled);
                    }
                });
            }

            // floor
            FloorModel.Floor floor;
            if (w.dense()) {
                List<Integer> its = FloorModel.probeDenseIterations(network, w.options(), k, pool[0], w.batch());
                floor = FloorModel.dense(network, w.options(), k, w.batch(), its, rates);
            } else {
                floor = FloorModel.convolutional(network, w.options(), k, w.batch(), rates);
            }
            System.out.printf("floor: power steps %s (%s)%n", floor.iterations(), floor.iterationNote());
            for (FloorModel.Line l : floor.lines()) {
                System.out.printf("  %-40s %9.4f GFLOP/sample at %7.1f GFLOP/s [%s] = %.5f s/sample%n", l.name(), l.gflopPerSample(), l.rate(),
                        l.rateShape(), l.seconds());
            }
            double floorPeak = floor.gflopPerSample() / peak;
            System.out.printf("  total %.3f GFLOP/sample: floor %.5f s/sample at same-shape rates, %.5f s/sample at the 1024^3 rate %.1f GFLOP/s%n",
                    floor.gflopPerSample(), floor.seconds(), floorPeak, peak);
            System.out.printf("  achieved/floor %.2f (same-shape rates), %.2f (1024^3 rate); achieved %.1f GFLOP/s%n", fast / floor.seconds(),
                    fast / floorPeak, floor.gflopPerSample() / fast);

            // naive baseline
            double naive;
            double maxDiff = Double.NaN;
            boolean extrapolated = !w.dense();
            if (w.dense()) {
                int samples = w.name().equals("W-mlp") ? w.batch() : Math.min(w.batch(), s.naiveSamplesWide);
                NaiveBaseline.Result r = NaiveBaseline.run(network, pool[0], w.batch(), k, w.options().rankTau(), samples);
                naive = r.secondsPerSample();
                System.out.printf("naive baseline: %.5f s/sample = Jacobians by %d per-row backward passes %.3f s for %d samples + full ojAlgo SVDs "
                        + "%.3f s and metric assembly %.3f s for %d samples (measured)%n", naive, r.backwardPasses(), r.jacobianSeconds(), w.batch(),
                        r.svdSeconds(), r.metricSeconds(), samples);
                Map<String, Double> diffs = MetricComparison.compare(fastMetrics, r.metrics());
                maxDiff = MetricComparison.overall(diffs);
                System.out.printf("naive vs fast, max abs difference over %d samples x %d blocks: %.3e%n", samples, network.blocks().size(), maxDiff);
                diffs.forEach((key, v) -> System.out.printf("  %-28s %s%n", key, key.endsWith("mismatches") ? String.valueOf(v.intValue())
                        : String.format("%.3e", v)));
            } else {
                NaiveExtrapolation.Estimate e = NaiveExtrapolation.estimate(network, pool[0], w.batch(), s.convRows, s.svdSize);
                naive = e.secondsPerSample();
                System.out.printf("naive baseline (EXTRAPOLATED): %.1f s/sample = Jacobians %.1f s + full SVDs %.1f s; measured: %d per-row backward "
                        + "passes per block (batch %d), one %dx%d ojAlgo SVD %.2f s, SVD cost scaled as m*n*min(m,n)%n", naive,
                        e.jacobianSecondsPerSample(), e.svdSecondsPerSample(), e.measuredRows(), w.batch(), e.svdSize(), e.svdSize(), e.svdSeconds());
                for (NaiveExtrapolation.BlockEstimate b : e.blocks()) {
                    System.out.printf("  %-9s J %6d x %6d (%.1f GB float32): %.4f s/row pass -> Jacobian %.1f s/sample, SVD %.3g s/sample%n", b.block(),
                            b.rows(), b.columns(), b.rows() * b.columns() * 4.0 / 1e9, b.secondsPerRow(), b.jacobianSecondsPerSample(),
                            b.svdSecondsPerSample());
                }
                System.out.println("naive vs fast metrics: not computed (the naive route is infeasible here)");
            }

            System.out.println("load average at end: " + MachineRates.loadAverage());
            System.out.println();
            System.out.printf("%-36s %s%n", "workload", w.name());
            System.out.printf("%-36s %s%n", "device", device);
            System.out.printf("%-36s %.5f  (median of %d batches of %d)%n", "fast s/sample", fast, timed, w.batch());
            System.out.printf("%-36s %.5f%s%n", "naive s/sample", naive, extrapolated ? "  (extrapolated)" : "  (measured)");
            System.out.printf("%-36s %.2f%n", "naive / fast", naive / fast);
            System.out.printf("%-36s %s%n", "max abs diff naive vs fast", Double.isNaN(maxDiff) ? "n/a" : String.format("%.2e", maxDiff));
            System.out.printf("%-36s %.5f  (%.3f GFLOP/sample)%n", "floor s/sample (same-shape rates)", floor.seconds(), floor.gflopPerSample());
            System.out.printf("%-36s %.2f%n", "achieved / floor", fast / floor.seconds());
            System.out.printf("%-36s %.5f  (achieved/peak floor %.2f)%n", "floor s/sample (1024^3 matmul rate)", floorPeak, fast / floorPeak);
            System.out.printf("%-36s %s%n", "RSS growth", rss);
            System.out.println();
            return new Summary(w.name(), fast, timed, naive, extrapolated, maxDiff, floor.seconds(), floorPeak,
                    floor.iterations().toString(), rss);
        }
    }
}
