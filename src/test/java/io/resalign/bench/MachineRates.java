package io.resalign.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;

/**
 * Measures what this machine reaches with DJL: float32 matrix-product and convolution rates in
 * GFLOP/s (median of several repetitions after a warm-up), and the process's resident memory.
 */
final class MachineRates {
    private final Device device;
    private final int reps;

    MachineRates(Device device, int reps) {
        this.device = device;
        this.reps = reps;
    }

    /** Returns the median GFLOP/s of an operation built by {@code setup} in a scope; the operation closes its results. */
    double gflops(double flops, Function<NDManager, Runnable> setup) {
        try (NDManager m = NDManager.newBaseManager(device)) {
            Runnable op = setup.apply(m);
            op.run();
            double[] t = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                op.run();
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(t);
            return flops / t[reps / 2] / 1e9;
        }
    }

    private static NDArray random(NDManager m, Shape shape) {
        return m.randomNormal(shape);
    }

    /** Square n x n x n product. */
    double squareMatmul(int n) {
        return gflops(2.0 * n * n * n, m -> {
            NDArray a = random(m, new Shape(n, n));
            NDArray b = random(m, new Shape(n, n));
            return () -> a.matMul(b).close();
        });
    }

    /** Batched (s, rows, d) x (s, d, cols)^T-view products, as DenseJacobian.apply does (transposed view of a stored matrix). */
    double batchedMatmulTransposedView(long s, long rows, long d, long cols) {
        return gflops(2.0 * s * rows * d * cols, m -> {
            NDArray v = random(m, new Shape(s, rows, d));
            NDArray j = random(m, new Shape(s, cols, d));
            NDArray jt = j.transpose(0, 2, 1);
            return () -> v.matMul(jt).close();
        });
    }

    /** Batched (s, rows, d) x (s, d, cols) products. */
    double batchedMatmul(long s, long rows, long d, long cols) {
        return gflops(2.0 * s * rows * d * cols, m -> {
            NDArray v = random(m, new Shape(s, rows, d));
            NDArray j = random(m, new Shape(s, d, cols));
            return () -> v.matMul(j).close();
        });
    }

    /** Broadcast (s, d, d) x (d, d): the closed-form dense build of the MLP blocks (mask-scaled B^T times A^T). */
    double broadcastMatmul(long s, long d) {
        return gflops(2.0 * s * d * d * d, m -> {
            NDArray x = random(m, new Shape(s, d, d));
            NDArray w = random(m, new Shape(d, d));
            return () -> x.matMul(w).close();
        });
    }

    /** The Gram products of the orthonormalisation: (s, r, n) x (s, n, r) via a transposed view. */
    double gram(long s, long r, long n) {
        return gflops(2.0 * s * r * r * n, m -> {
            NDArray x = random(m, new Shape(s, r, n));
            NDArray xt = x.transpose(0, 2, 1);
            return () -> x.matMul(xt).close();
        });
    }

    /** A 3x3, stride-1, padding-1 convolution of n images (c, hw, hw) to c channels. */
    double conv3x3(long n, long c, long hw) {
        return gflops(2.0 * n * c * c * 9 * hw * hw, m -> {
            NDArray x = random(m, new Shape(n, c, hw, hw));
            NDArray w = random(m, new Shape(c, c, 3, 3)).mul(0.05);
            return () -> Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1).close();
        });
    }

    /** Returns seconds of one full float64 ojAlgo SVD (U, S, V) of an n x n Gaussian matrix. */
    static double ojalgoSvdSeconds(int n, long seed) {
        org.ojalgo.matrix.store.R064Store a = org.ojalgo.matrix.store.R064Store.FACTORY.make(n, n);
        Random random = new Random(seed);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a.set(i, j, random.nextGaussian());
            }
        }
        long t0 = System.nanoTime();
        var svd = org.ojalgo.matrix.decomposition.SingularValue.R064.make(a);
        if (!svd.decompose(a)) {
            throw new ArithmeticException("SVD failed");
        }
        svd.getU();
        svd.getV();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Returns the GPU when DJL's engine sees one, else the CPU: the device every engine benchmark runs on. */
    static Device device(Engine engine) {
        return engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    }

    /** Returns the two lines an engine benchmark's report starts with: engine, device, JVM, processors, arguments, PyTorch's environment. */
    static String describe(Engine engine, Device device, String[] args) {
        return String.format("engine %s %s, device %s (GPUs: %d), JVM %s, available processors %d, args %s%nenv OMP_WAIT_POLICY=%s "
                + "ONEDNN_MAX_CPU_ISA=%s", engine.getEngineName(), engine.getVersion(), device, engine.getGpuCount(), Runtime.version(),
                Runtime.getRuntime().availableProcessors(), String.join(" ", args), System.getenv("OMP_WAIT_POLICY"),
                System.getenv("ONEDNN_MAX_CPU_ISA"));
    }

    /** Returns /proc/loadavg (1, 5 and 15 minute load averages): other processes on the machine skew every timing. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    /** Returns the resident set size in kB (VmRSS of /proc/self/status), or -1 where there is none. */
    static long rssKb() {
        return status("VmRSS:");
    }

    /** Returns the peak resident set size in kB since the start or the last {@link #resetPeakRss()} (VmHWM), or -1. */
    static long peakRssKb() {
        return status("VmHWM:");
    }

    /** Resets the peak resident set size to the current one (Linux: "5" to /proc/self/clear_refs); false where that fails. */
    static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
