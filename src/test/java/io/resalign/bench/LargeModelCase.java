package io.resalign.bench;

import ai.djl.Device;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.SampleMetrics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Runs one case of {@link LargeModelBenchmark}: a model directory, a watch set and a batch size.
 * The engine is timed first (a warm-up, then timed batches with its stack sampled every 10 ms),
 * closed, and then torch's peer runs on the same model and inputs, so the two never share the
 * cores; then the work count, the achieved rates and the GPU estimate are printed.
 */
final class LargeModelCase {
    /** NVIDIA's fp32 peaks (spec sheets, GFLOP/s), for the estimate only: T4 and A100 (no tensor cores, no TF32). */
    static final double T4 = 8_100;
    static final double A100 = 19_500;
    /** vit_b_16's MLP width and patch side (torchvision's constructor arguments). */
    private static final long VIT_MLP_DIM = 3072;
    private static final long VIT_PATCH = 16;
    private static final long SEED = 20231;
    /** Profile phases that stay on the CPU with a GPU engine: the r x r problems (ojAlgo) and the Java Gaussian sketch. */
    private static final List<String> CPU_PHASES = List.of("SVD: small r x r problems (CPU)", "SVD: Gaussian sketch (Java RNG)");
    private static final List<String> PRODUCT_PHASES = List.of("Jacobian build (dense + stacking)", "SVD: J products", "cross-alignment");

    /**
     * The machine's rates measured at the start, GFLOP/s.
     *
     * @param matmul a 1024^3 float32 matrix product
     * @param conv56 a 3x3 convolution of 20 images, 64 channels at 56 x 56 (layer1's conv2 with r tangents)
     * @param conv14 the same at 256 channels, 14 x 14 (layer3's)
     */
    record Rates(double matmul, double conv56, double conv14) {
        /** The mean of two measurements, before and after the engine's timed batches. */
        Rates mean(Rates other) {
            return new Rates((matmul + other.matmul) / 2, (conv56 + other.conv56) / 2, (conv14 + other.conv14) / 2);
        }
    }

    /**
     * One case's headline numbers.
     *
     * @param model model name
     * @param watch watch set
     * @param blocks watched blocks
     * @param batch samples per batch
     * @param engine engine seconds per sample of each timed batch
     * @param torch torch's seconds per sample of each timed batch (empty without the peer)
     * @param work the counted work of one sample
     * @param productShare share of the engine's time in the large products (stack sampling)
     * @param cpuSeconds seconds per sample in the phases that stay on the CPU
     * @param rates the machine's rates through DJL, measured around the case
     * @param torchRates torch's own rates on the same shapes, null without the peer
     */
    record Row(String model, String watch, int blocks, int batch, double[] engine, double[] torch, LargeModelWork.Work work,
            double productShare, double cpuSeconds, Rates rates, Rates torchRates) {
        double engineMedian() {
            return median(engine);
        }

        /** GFLOP/s over the whole sample. */
        double achieved() {
            return work.total() / engineMedian();
        }

        /** GFLOP/s of the large products while they run. */
        double productRate() {
            return work.large() / (engineMedian() * productShare);
        }

        /**
         * Estimated seconds per sample on a GPU of the given fp32 peak: the device part of this run at the
         * same fraction of the GPU's peak as it reached of the measured matmul rate here, plus the CPU-bound
         * part unchanged.
         */
        double gpuSeconds(double peak) {
            return (engineMedian() - cpuSeconds) * rates.matmul() / peak + cpuSeconds;
        }
    }

    private final Device device;
    private final int threads;
    private final int warmup;
    private final int timed;
    private final boolean torch;
    private final MachineRates machine;
    private final Path work;

    LargeModelCase(Device device, int threads, int warmup, int timed, boolean torch, MachineRates machine, Path work) {
        this.device = device;
        this.threads = threads;
        this.warmup = warmup;
        this.timed = timed;
        this.torch = torch;
        this.machine = machine;
        this.work = work;
    }

    /** Measures the machine's rates now: on a shared machine they move with the load, so each case takes its own. */
    private Rates rates() {
        Rates r = new Rates(machine.squareMatmul(1024), machine.conv3x3(20, 64, 56), machine.conv3x3(20, 256, 14));
        System.out.printf("machine now (DJL, float32): 1024^3 matmul %.1f GFLOP/s; 3x3 conv on 20 images 64ch 56x56 %.1f, 256ch 14x14 %.1f "
                + "GFLOP/s; load average %s%n", r.matmul(), r.conv56(), r.conv14(), MachineRates.loadAverage());
        return r;
    }

    /** Times the engine and torch's peer on one model directory at one batch size and prints the case. */
    Row run(Path dir, String arch, String watch, int batch) throws IOException, InterruptedException {
        EngineOptions options = EngineOptions.defaults();
        int count = (warmup + timed) * batch;
        Path inputFile = work.resolve("inputs-" + count + ".f32");
        float[] inputs = inputs(count, inputFile);
        double[] engineSeconds = new double[timed];
        List<SampleMetrics> metrics = null;
        Map<String, Double> shares;
        List<String> watched;
        List<Integer> steps;
        int stackBlocks;
        int k;
        LargeModelWork.Work counted;
        Rates before = rates();
        Rates rates;
        boolean peakReset = MachineRates.resetPeakRss();
        long rssAtStart = MachineRates.rssKb();
        try (ResidualNetwork network = Architectures.load(dir, device); AlignmentEngine engine = new AlignmentEngine(network, options)) {
            k = engine.k();
            List<ResidualBlock> blocks = network.blocks();
            List<Integer> indices = network.manifest().watchesAll() ? IntStream.range(0, blocks.size()).boxed().toList()
                    : blocks.stream().filter(b -> network.manifest().watch().contains(b.name())).map(blocks::indexOf).toList();
            watched = indices.stream().map(i -> blocks.get(i).name()).toList();
            boolean dense = arch.equals("vit_b_16");
            System.out.printf("== %s 3x224x224, watch %s (%d blocks: %s .. %s), batch %d, %s path, k = %d, p = %d%s ==%n", arch, watch,
                    watched.size(), watched.get(0), watched.get(watched.size() - 1), batch, dense ? "dense" : "matrix-free", k,
                    options.oversampling(), dense ? ", power steps to tolerance " + options.denseTolerance() : ", q = "
                    + options.powerIterations());
            int per = Math.toIntExact(network.manifest().input().size());
            for (int i = 0; i < warmup; i++) {
                long t0 = System.nanoTime();
                engine.analyse(Arrays.copyOfRange(inputs, i * batch * per, (i + 1) * batch * per), batch, i * batch);
                System.out.printf("resalign batch %d (warm-up): %.2f s%n", i + 1, (System.nanoTime() - t0) / 1e9);
            }
            StackSampler sampler = new StackSampler(Thread.currentThread(), 10);
            for (int i = 0; i < timed; i++) {
                int n = warmup + i;
                long t0 = System.nanoTime();
                List<SampleMetrics> out = engine.analyse(Arrays.copyOfRange(inputs, n * batch * per, (n + 1) * batch * per), batch, n * batch);
                engineSeconds[i] = (System.nanoTime() - t0) / 1e9 / batch;
                metrics = metrics == null ? out : metrics;
                System.out.printf("resalign batch %d (timed): %.2f s%n", n + 1, engineSeconds[i] * batch);
            }
            shares = sampler.shares();
            rates = before.mean(rates());
            // the JVM keeps what earlier cases freed, so the start's RSS is a floor of the peak
            System.out.printf("resalign peak resident memory (VmHWM%s): %.1f GB; at the case's start %.1f GB%n", peakReset
                    ? " since this case's start" : ", process", MachineRates.peakRssKb() / 1e6, rssAtStart / 1e6);
            if (dense) {
                float[] first = Arrays.copyOfRange(inputs, warmup * batch * per, (warmup + 1) * batch * per);
                steps = FloorModel.probeDenseIterations(network, options, k, first, batch);
                // the class-token Jacobian is D x D (the block's token width), as the engine stacks it
                long d = blocks.get(0).inShape().get(1);
                stackBlocks = (int) Math.max(1, Math.min(blocks.size(), options.denseStackElements() / (batch * d * d)));
                counted = LargeModelWork.vit(network, options, k, VIT_MLP_DIM, VIT_PATCH, steps, stackBlocks);
            } else {
                steps = List.of(options.powerIterations());
                stackBlocks = 0;
                counted = LargeModelWork.resnet(network, indices, options, k);
            }
        }
        TorchPeer.Result peer = null;
        if (torch) {
            peer = TorchPeer.run(new TorchPeer.Request(dir, arch, inputFile, count, batch, warmup, threads, k, options.oversampling(), steps,
                    stackBlocks, watched), work);
        }
        Row row = new Row(arch, watch, watched.size(), batch, engineSeconds, peer == null ? new double[0] : perSample(peer.seconds(), batch),
                counted, sum(shares, PRODUCT_PHASES), sum(shares, CPU_PHASES) * median(engineSeconds), rates, peer == null ? null : peer.rates());
        print(row, shares, peer, metrics, steps, arch);
        return row;
    }

    private void print(Row row, Map<String, Double> shares, TorchPeer.Result peer, List<SampleMetrics> metrics, List<Integer> steps, String arch) {
        Rates rates = row.rates();
        double e = row.engineMedian();
        System.out.printf("resalign: %.3f s/sample (median of %d batches of %d; min %.3f, max %.3f)%n", e, timed, row.batch(),
                min(row.engine()), max(row.engine()));
        if (peer != null) {
            double t = median(row.torch());
            System.out.printf("torch %s (%d threads): %.3f s/sample (median of %d; min %.3f, max %.3f); resalign / torch = %.2f (time ratio, below 1: resalign faster)%n",
                    peer.torchVersion(), peer.threads(), t, row.torch().length, min(row.torch()), max(row.torch()), e / t);
            if (peer.fullSvdSeconds().length > 0) {
                System.out.printf("  torch.linalg.svd (full) of the stacked Jacobians, timed apart, not in the time above: %.3f s/sample%n",
                        median(peer.fullSvdSeconds()) / row.batch());
            }
            Rates own = peer.rates();
            System.out.printf("  torch's own rates (same shapes): 1024^3 matmul %.1f GFLOP/s, 3x3 conv %.1f / %.1f; DJL's %.1f, %.1f / %.1f: "
                    + "torch achieved %.1f GFLOP/s = %.2f of its matmul rate (resalign %.2f of DJL's)%n", own.matmul(), own.conv56(),
                    own.conv14(), rates.matmul(), rates.conv56(), rates.conv14(), row.work().total() / t,
                    row.work().total() / t / own.matmul(), row.achieved() / rates.matmul());
            System.out.println("  torch's checks: " + peer.check());
            System.out.printf("  top singular values, resalign vs torch (first timed batch, %d blocks x %d samples): max relative difference "
                    + "%.2e (%s)%n", row.blocks(), row.batch(), sigma1Difference(metrics, peer.sigma1()), arch.equals("vit_b_16")
                    ? "both dense, power steps to the engine's count" : "both randomized with 4 power steps, different Gaussian sketches");
        }
        System.out.printf("work per sample (%s):%n", row.work().note());
        for (LargeModelWork.Line l : row.work().lines()) {
            System.out.printf("  %-52s %9.2f GFLOP%s%n", l.name(), l.gflop(), l.large() ? "  [large product]" : "");
        }
        System.out.printf("  total %.1f GFLOP, of which large products %.1f%n", row.work().total(), row.work().large());
        System.out.println("profile of the timed batches (stack sampling every 10 ms):");
        shares.forEach((phase, share) -> {
            if (share > 0.001) {
                System.out.printf("  %-40s %5.1f%%%n", phase, 100 * share);
            }
        });
        double rate = row.productRate();
        System.out.printf("achieved: %.1f GFLOP/s over the sample = %.2f of the 1024^3 matmul rate (%.1f)%n", row.achieved(),
                row.achieved() / rates.matmul(), rates.matmul());
        System.out.printf("large products: %.1f GFLOP/s while they run (%.1f%% of the time) = %.2f of the matmul rate%s%n", rate,
                100 * row.productShare(), rate / rates.matmul(), arch.equals("resnet50") ? String.format(", %.2f / %.2f of the 3x3 conv "
                        + "rates at 64ch 56x56 / 256ch 14x14", rate / rates.conv56(), rate / rates.conv14()) : "");
        System.out.printf("CPU-bound (r x r problems, Java sketch): %.3f s/sample; power steps %s%n", row.cpuSeconds(), steps);
        System.out.printf("GPU ESTIMATE (not measured): the device part at the fraction of fp32 peak reached here of the matmul rate, the "
                + "CPU-bound part unchanged, transfers and kernel launches not modelled: T4 (%.1f TFLOP/s) %.3f s/sample, A100 (%.1f TFLOP/s) "
                + "%.3f s/sample; the FLOPs alone at peak: %.3f / %.3f s%n%n", T4 / 1e3, row.gpuSeconds(T4), A100 / 1e3, row.gpuSeconds(A100),
                row.work().total() / T4, row.work().total() / A100);
    }

    /** Prints the summary table of every case, markdown. */
    static void printSummary(List<Row> rows) {
        System.out.println("| model | watched | batch | resalign s/sample (median; min-max) | torch 1.13 s/sample | resalign / torch "
                + "| matmul GFLOP/s DJL / torch | GFLOP/sample (large products) | achieved GFLOP/s (of matmul) "
                + "| large products GFLOP/s (of matmul) | CPU-bound s/sample | T4 estimate s/sample | A100 estimate s/sample |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            boolean peer = r.torch().length > 0;
            System.out.printf("| %s | %s (%d) | %d | %.3f; %.3f-%.3f (%d) | %s | %s | %.0f / %s | %.1f (%.1f) | %.1f (%.2f) | %.1f (%.2f) "
                    + "| %.3f | %.3f | %.3f |%n", r.model(), r.watch(), r.blocks(), r.batch(), r.engineMedian(), min(r.engine()), max(r.engine()),
                    r.engine().length, peer ? String.format("%.3f", median(r.torch())) : "-", peer ? String.format("%.2f", r.engineMedian()
                    / median(r.torch())) : "-", r.rates().matmul(), peer ? String.format("%.0f", r.torchRates().matmul()) : "-", r.work().total(), r.work().large(), r.achieved(), r.achieved() / r.rates().matmul(), r.productRate(),
                    r.productRate() / r.rates().matmul(), r.cpuSeconds(), r.gpuSeconds(T4), r.gpuSeconds(A100));
        }
    }

    /** Max relative difference of every watched block's sigma1 over the first timed batch's samples. */
    private static double sigma1Difference(List<SampleMetrics> metrics, double[][] torchSigma1) {
        double worst = 0;
        for (int b = 0; b < metrics.size(); b++) {
            for (int i = 0; i < torchSigma1.length; i++) {
                double ours = metrics.get(b).blocks().get(i).sigma1();
                worst = Math.max(worst, Math.abs(ours - torchSigma1[i][b]) / Math.abs(torchSigma1[i][b]));
            }
        }
        return worst;
    }

    /** Uniform [0, 1) pixels (unnormalised, as the torchvision reference scripts draw them), also written for the peer. */
    private static float[] inputs(int count, Path file) throws IOException {
        int per = 3 * 224 * 224;
        float[] out = new float[count * per];
        Random random = new Random(SEED);
        for (int i = 0; i < out.length; i++) {
            out[i] = random.nextFloat();
        }
        ByteBuffer bytes = ByteBuffer.allocate(out.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(out);
        Files.write(file, bytes.array());
        return out;
    }

    private static double[] perSample(double[] batchSeconds, int batch) {
        return Arrays.stream(batchSeconds).map(t -> t / batch).toArray();
    }

    private static double sum(Map<String, Double> shares, List<String> phases) {
        return phases.stream().mapToDouble(p -> shares.getOrDefault(p, 0.0)).sum();
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
