package io.resalign.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The benchmark's input-space baseline: a kernel two-sample test (maximum mean discrepancy)
 * between each window of n inputs and a fixed reference of N inputs, with no model in the loop.
 *
 * <p>Method, fixed at {@link #fit} time from the reference alone:
 * <ul>
 *   <li>Gaussian RBF kernel {@code k(x, y) = exp(-||x - y||^2 / (2 h^2))}, with h the median of
 *       the Euclidean distances over all reference pairs i &lt; j (the median heuristic; numpy's
 *       median, so the mean of the two middle values for an even count).</li>
 *   <li>Statistic: the unbiased MMD^2 (a U-statistic): the mean of k over ordered pairs i != j
 *       within the reference, plus the same within the window, minus twice the mean over all
 *       reference-window pairs. It can be negative; about 0 when nothing changed.</li>
 *   <li>Threshold: B pseudo-windows of n rows drawn without replacement from the reference, each
 *       tested against the other N - n reference rows, all from the precomputed N x N kernel
 *       matrix and its row sums (O(n^2) per replicate). The threshold is the
 *       {@code ceil((1 - alpha)(B + 1))}-th smallest replicate, the p-value
 *       {@code (1 + #{T* >= T}) / (B + 1)}, the alarm {@code T > threshold}; B = max(2,000,
 *       100 / alpha) capped at 400,000, as in the product's drift test (docs/drift.md). The
 *       replicates compare n rows against N - n rather than N, a slightly wider null than the real
 *       test's, so the threshold errs on the conservative side. Thresholds are cached per window
 *       size and seeded from the seed and the size: the same reference, alpha, seed and size give
 *       the same threshold.</li>
 * </ul>
 * Inputs are any fixed-length vectors; for images use {@link #unitPixels} (pixels 0..255 scaled to
 * 0..1). Distances are computed in float64, as {@code |x|^2 + |y|^2 - 2 x.y} with the dot products
 * from {@link SquaredDistances} ({@link #DEFAULT_PRODUCTS}, chosen by measurement, see
 * {@code MmdDetectorTiming}). {@link Stream} tests hopping windows over a stream, computing each
 * sample's kernel values once.
 */
public final class MmdDetector {

    /** Replicates at most, whatever alpha asks (the product's cap). */
    public static final int MAX_REPLICATES = 400_000;

    /** The dot-product implementation {@link #fit} uses (measured faster here, see the class comment). */
    static final SquaredDistances DEFAULT_PRODUCTS = SquaredDistances.DJL;

    /**
     * One window's test.
     *
     * @param statistic the unbiased MMD^2 between the window and the reference
     * @param threshold the bootstrap (1 - alpha) quantile for this window size
     * @param pValue {@code (1 + #{replicates >= statistic}) / (B + 1)}
     * @param alarm {@code statistic > threshold}
     */
    public record Decision(double statistic, double threshold, double pValue, boolean alarm) {
    }

    /**
     * The test of one window of a stream.
     *
     * @param first stream index of the window's first sample
     * @param last stream index of its last sample (inclusive)
     * @param decision the test
     */
    public record WindowDecision(long first, long last, Decision decision) {
    }

    private final double[][] reference;
    private final double[] referenceNorms;
    private final double[][] kernel;
    private final double[] rowSums;
    private final double kernelTotal;
    private final double referenceTerm;
    private final double bandwidth;
    private final double gamma;
    private final double alpha;
    private final int replicates;
    private final long seed;
    private final SquaredDistances products;
    private final Map<Integer, double[]> nullByWindowSize = new HashMap<>();

    private MmdDetector(double[][] reference, double alpha, long seed, SquaredDistances products) {
        this.reference = reference;
        this.alpha = alpha;
        this.seed = seed;
        this.products = products;
        this.replicates = replicates(alpha);
        int n = reference.length;
        this.referenceNorms = SquaredDistances.squaredNorms(reference);
        double[][] d2 = products.between(reference, referenceNorms, reference, referenceNorms, true);
        this.bandwidth = medianDistance(d2);
        if (!(bandwidth > 0)) {
            throw new IllegalArgumentException("the median distance between reference rows is 0 (more than half the pairs"
                    + " are identical rows): the median heuristic gives no kernel bandwidth");
        }
        this.gamma = 1 / (2 * bandwidth * bandwidth);
        this.kernel = d2;
        this.rowSums = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            double[] row = kernel[i];
            double s = 0;
            for (int j = 0; j < n; j++) {
                row[j] = i == j ? 1 : Math.exp(-gamma * row[j]);
                s += row[j];
            }
            rowSums[i] = s;
            total += s;
        }
        this.kernelTotal = total;
        this.referenceTerm = (total - n) / ((double) n * (n - 1));
    }

    /**
     * Fits the detector: kernel bandwidth, reference kernel matrix, and the threshold for windows
     * of {@code windowSize} rows.
     *
     * @param reference N rows of equal length, finite values (for images: {@link #unitPixels})
     * @param alpha false-alarm rate per window, in (0, 1)
     * @param windowSize rows per tested window, at least 2 and at most N - 2
     * @param seed seed of the bootstrap
     * @throws IllegalArgumentException naming the row and value, or the setting, that is wrong
     */
    public static MmdDetector fit(float[][] reference, double alpha, int windowSize, long seed) {
        return fit(reference, alpha, windowSize, seed, DEFAULT_PRODUCTS);
    }

    static MmdDetector fit(float[][] reference, double alpha, int windowSize, long seed, SquaredDistances products) {
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
        }
        if (reference == null || reference.length < 4) {
            throw new IllegalArgumentException("the reference needs at least 4 rows, got " + (reference == null ? 0 : reference.length));
        }
        double[][] rows = toDouble(reference, reference[0] == null ? 0 : reference[0].length, "reference");
        MmdDetector detector = new MmdDetector(rows, alpha, seed, products);
        detector.checkWindowSize(windowSize);
        detector.nullDistribution(windowSize);
        return detector;
    }

    /** Returns a copy of the image with pixels 0..255 scaled to 0..1, the detector's input space for images. */
    public static float[] unitPixels(float[] image) {
        float[] out = new float[image.length];
        for (int i = 0; i < image.length; i++) {
            out[i] = image[i] / 255f;
        }
        return out;
    }

    /** Returns the kernel bandwidth h (median reference distance). */
    public double bandwidth() {
        return bandwidth;
    }

    /** Returns N, the reference rows. */
    public int referenceSize() {
        return reference.length;
    }

    /** Returns the length of a row. */
    public int dimension() {
        return reference[0].length;
    }

    /** Returns B, the bootstrap replicates per window size. */
    public int replicates() {
        return replicates;
    }

    /** Returns the false-alarm rate per window. */
    public double alpha() {
        return alpha;
    }

    /** Returns the threshold for windows of {@code windowSize} rows (computed on first use, then cached). */
    public synchronized double threshold(int windowSize) {
        checkWindowSize(windowSize);
        return thresholdOf(nullDistribution(windowSize));
    }

    /**
     * Tests one window against the reference.
     *
     * @param window n rows of the reference's length, 2 &lt;= n &lt;= N - 2
     */
    public Decision test(float[][] window) {
        if (window == null || window.length == 0) {
            throw new IllegalArgumentException("empty window");
        }
        checkWindowSize(window.length);
        double[][] rows = toDouble(window, dimension(), "window");
        double[] norms = SquaredDistances.squaredNorms(rows);
        double cross = 0;
        for (double s : crossSums(rows, norms)) {
            cross += s;
        }
        double[][] d2 = products.between(rows, norms, rows, norms, true);
        double within = 0;
        for (int i = 0; i < rows.length; i++) {
            for (int j = i + 1; j < rows.length; j++) {
                within += Math.exp(-gamma * d2[i][j]);
            }
        }
        return decide(rows.length, 2 * within, cross);
    }

    /**
     * Starts a stream of hopping windows: {@code size} samples, a new window every {@code advance}
     * samples; the first window starts at stream index {@code firstIndex}.
     *
     * @param size samples per window, 2 &lt;= size &lt;= N - 2
     * @param advance samples between window starts, 1 &lt;= advance &lt;= size (= size: tumbling)
     * @param firstIndex stream index of the first sample that will be added (e.g. N when the
     *     reference is the stream's first N samples)
     */
    public Stream stream(int size, int advance, long firstIndex) {
        checkWindowSize(size);
        if (advance < 1 || advance > size) {
            throw new IllegalArgumentException("window advance must be within 1.." + size + " (the window size), got " + advance);
        }
        threshold(size);
        return new Stream(size, advance, firstIndex);
    }

    /**
     * Tests hopping windows over a stream of samples added one by one. Each sample's kernel values
     * against the reference (reduced to their sum, all the statistic needs) and against the other
     * samples it shares a window with are computed once, in a batch when the next window closes,
     * and kept while a later window may still need them; closing a window then costs O(size^2)
     * additions. Not thread-safe: one producer.
     */
    public final class Stream {
        private final int size;
        private final int advance;
        private final double[][] rows;
        private final double[] norms;
        private final double[] crossSums;
        private final double[][] pairs;
        private long next;
        private long processed;
        private long windowStart;

        private Stream(int size, int advance, long firstIndex) {
            this.size = size;
            this.advance = advance;
            this.rows = new double[size][];
            this.norms = new double[size];
            this.crossSums = new double[size];
            this.pairs = new double[size][size];
            this.next = firstIndex;
            this.processed = firstIndex;
            this.windowStart = firstIndex;
        }

        /** Returns the stream index the next added sample gets. */
        public long nextIndex() {
            return next;
        }

        /**
         * Adds the next sample; returns the window's test when this sample is the last of a window.
         *
         * @param sample a row of the reference's length (for images: {@link #unitPixels})
         */
        public Optional<WindowDecision> add(float[] sample) {
            double[] row = toDouble(new float[][] {sample}, dimension(), "sample " + next)[0];
            int slot = slot(next);
            rows[slot] = row;
            norms[slot] = SquaredDistances.dot(row, row);
            long index = next++;
            if (index != windowStart + size - 1) {
                return Optional.empty();
            }
            long first = windowStart;
            computePending(first, index);
            double within = 0;
            double cross = 0;
            for (long s = first; s <= index; s++) {
                double[] p = pairs[slot(s)];
                cross += crossSums[slot(s)];
                for (long u = s + 1; u <= index; u++) {
                    within += p[slot(u)];
                }
            }
            windowStart += advance;
            return Optional.of(new WindowDecision(first, index, decide(size, 2 * within, cross)));
        }

        /** Computes the reference sums and the in-window kernel values of samples processed..last. */
        private void computePending(long first, long last) {
            int pending = (int) (last - processed + 1);
            double[][] newRows = new double[pending][];
            double[] newNorms = new double[pending];
            for (int i = 0; i < pending; i++) {
                newRows[i] = rows[slot(processed + i)];
                newNorms[i] = norms[slot(processed + i)];
            }
            double[] sums = crossSums(newRows, newNorms);
            // Against the whole window: a later window holding a pending sample starts no earlier.
            int w = (int) (last - first + 1);
            double[][] windowRows = new double[w][];
            double[] windowNorms = new double[w];
            for (int i = 0; i < w; i++) {
                windowRows[i] = rows[slot(first + i)];
                windowNorms[i] = norms[slot(first + i)];
            }
            double[][] d2 = products.between(newRows, newNorms, windowRows, windowNorms, false);
            for (int i = 0; i < pending; i++) {
                long p = processed + i;
                int ps = slot(p);
                crossSums[ps] = sums[i];
                for (int j = 0; j < w; j++) {
                    long s = first + j;
                    if (s != p) {
                        double k = Math.exp(-gamma * d2[i][j]);
                        pairs[ps][slot(s)] = k;
                        pairs[slot(s)][ps] = k;
                    }
                }
            }
            processed = last + 1;
        }

        private int slot(long index) {
            return (int) Math.floorMod(index, (long) size);
        }
    }

    private Decision decide(int n, double withinOffDiagonal, double crossTotal) {
        int big = reference.length;
        double t = referenceTerm + withinOffDiagonal / ((double) n * (n - 1)) - 2 * crossTotal / ((double) n * big);
        double[] sorted;
        synchronized (this) {
            sorted = nullDistribution(n);
        }
        double threshold = thresholdOf(sorted);
        int below = lowerBound(sorted, t);
        double p = (1.0 + (sorted.length - below)) / (sorted.length + 1.0);
        return new Decision(t, threshold, p, t > threshold);
    }

    private double[] crossSums(double[][] rows, double[] norms) {
        double[][] d2 = products.between(rows, norms, reference, referenceNorms, false);
        double[] sums = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            double s = 0;
            for (double v : d2[i]) {
                s += Math.exp(-gamma * v);
            }
            sums[i] = s;
        }
        return sums;
    }

    private double thresholdOf(double[] sorted) {
        long k = (long) Math.ceil((1 - alpha) * (sorted.length + 1));
        return k > sorted.length ? Double.POSITIVE_INFINITY : sorted[(int) Math.max(k, 1) - 1];
    }

    /** Returns the sorted bootstrap replicates for windows of n rows. Callers hold the monitor. */
    private double[] nullDistribution(int n) {
        double[] cached = nullByWindowSize.get(n);
        if (cached != null) {
            return cached;
        }
        int big = reference.length;
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + n);
        int[] index = new int[big];
        for (int i = 0; i < big; i++) {
            index[i] = i;
        }
        int[] chosen = new int[n];
        double[] out = new double[replicates];
        for (int b = 0; b < replicates; b++) {
            // Partial Fisher-Yates: the first n places are a uniform draw without replacement.
            for (int i = 0; i < n; i++) {
                int j = i + random.nextInt(big - i);
                int pick = index[j];
                index[j] = index[i];
                index[i] = pick;
                chosen[i] = pick;
            }
            Arrays.sort(chosen); // row-ordered access into the kernel matrix
            out[b] = splitStatistic(chosen);
        }
        Arrays.sort(out);
        nullByWindowSize.put(n, out);
        return out;
    }

    /**
     * Returns the unbiased MMD^2 between the reference rows {@code chosen} (distinct, ascending) and
     * the other reference rows, from the kernel matrix: with S the chosen rows and R the rest,
     * sum_RR = total - 2 sum_S,all + sum_SS and sum_SR = sum_S,all - sum_SS, where sum_S,all is a sum
     * of precomputed row sums; only sum_SS costs O(n^2).
     */
    double splitStatistic(int[] chosen) {
        int n = chosen.length;
        int m = reference.length - n;
        double rowS = 0;
        double upper = 0;
        for (int a = 0; a < n; a++) {
            int i = chosen[a];
            rowS += rowSums[i];
            double[] row = kernel[i];
            for (int c = a + 1; c < n; c++) {
                upper += row[chosen[c]];
            }
        }
        double sFull = n + 2 * upper; // k(x, x) = 1
        double ssOff = 2 * upper;
        double rrOff = kernelTotal - 2 * rowS + sFull - m;
        double sr = rowS - sFull;
        return ssOff / ((double) n * (n - 1)) + rrOff / ((double) m * (m - 1)) - 2 * sr / ((double) n * m);
    }

    private void checkWindowSize(int n) {
        if (n < 2 || n > reference.length - 2) {
            throw new IllegalArgumentException("window size must be within 2.." + (reference.length - 2)
                    + " (the reference has " + reference.length + " rows; the bootstrap needs N - n >= 2), got " + n);
        }
    }

    static int replicates(double alpha) {
        return (int) Math.min(MAX_REPLICATES, Math.max(2000, Math.ceil(100 / alpha)));
    }

    /** Returns the median over i &lt; j of the distances sqrt(d2[i][j]) (numpy's median). */
    static double medianDistance(double[][] d2) {
        int n = d2.length;
        double[] all = new double[n * (n - 1) / 2];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                all[k++] = d2[i][j];
            }
        }
        Arrays.sort(all);
        int mid = all.length / 2;
        return all.length % 2 == 1 ? Math.sqrt(all[mid]) : (Math.sqrt(all[mid - 1]) + Math.sqrt(all[mid])) / 2;
    }

    /** Returns the number of values below t in a sorted array. */
    private static int lowerBound(double[] sorted, double t) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static double[][] toDouble(float[][] rows, int dimension, String what) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            float[] r = rows[i];
            String name = rows.length == 1 && what.startsWith("sample") ? what : what + " row " + i;
            if (r == null || r.length != dimension) {
                throw new IllegalArgumentException(name + " has " + (r == null ? "no" : r.length) + " values, expected " + dimension);
            }
            double[] d = new double[dimension];
            for (int j = 0; j < dimension; j++) {
                if (!Float.isFinite(r[j])) {
                    throw new IllegalArgumentException(name + ", value " + j + " is " + r[j] + ", expected a finite number");
                }
                d[j] = r[j];
            }
            out[i] = d;
        }
        return out;
    }
}
