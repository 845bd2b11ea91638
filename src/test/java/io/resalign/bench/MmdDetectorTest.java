package io.resalign.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.demo.ImageTransforms;
import io.resalign.demo.ImageTransforms.Layout;
import io.resalign.sample.file.IdxReader;
import io.resalign.sample.file.SampleBatch;
import io.resalign.engine.testing.Python;
import io.resalign.train.Datasets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The input-space MMD baseline: its statistic and bandwidth against a naive double-loop
 * implementation and against numpy, its bootstrap replicate against the naive statistic of the
 * same split, the stream's windows against one-off tests, and its false-alarm rate and power on
 * synthetic Gaussian data.
 */
class MmdDetectorTest {

    @ParameterizedTest
    @EnumSource(SquaredDistances.class)
    void shouldEqualANaiveDoubleLoopImplementation(SquaredDistances products) {
        SplittableRandom random = new SplittableRandom(11);
        float[][] reference = gaussian(random, 80, 30, 0);
        float[][] window = gaussian(random, 17, 30, 0.2);
        MmdDetector detector = MmdDetector.fit(reference, 0.05, 17, 3, products);

        double h = naiveMedianDistance(reference);
        assertEquals(h, detector.bandwidth(), 1e-12 * h, "bandwidth");
        double expected = naiveMmd2(reference, window, h);
        double actual = detector.test(window).statistic();
        assertEquals(expected, actual, 1e-9 * Math.abs(expected), "MMD^2");

        float[][] same = Arrays.copyOfRange(reference, 0, 17);
        assertEquals(naiveMmd2(reference, same, h), detector.test(same).statistic(), 1e-9 * Math.abs(naiveMmd2(reference, same, h)),
                "a window of reference rows");
    }

    @Test
    void shouldMatchNumpyOnATinyFixedDataset() throws Exception {
        float[][] reference = {
            {0.1f, 0.9f, 0.3f}, {0.5f, 0.2f, 0.8f}, {0.7f, 0.7f, 0.1f}, {0.0f, 0.4f, 0.6f},
            {0.9f, 0.1f, 0.5f}, {0.3f, 0.3f, 0.3f}, {0.6f, 0.8f, 0.9f},
        };
        float[][] window = {{0.2f, 0.8f, 0.4f}, {1.0f, 0.0f, 0.2f}, {0.4f, 0.6f, 0.7f}};
        MmdDetector detector = MmdDetector.fit(reference, 0.25, 3, 1);
        double statistic = detector.test(window).statistic();

        String script = "import sys, numpy as np\n"
                + "X = np.array(" + python(reference) + ", dtype=np.float32).astype(np.float64)\n"
                + "Y = np.array(" + python(window) + ", dtype=np.float32).astype(np.float64)\n"
                + "def d2(A, B): return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)\n"
                + "iu = np.triu_indices(len(X), 1)\n"
                + "h = np.median(np.sqrt(d2(X, X)[iu]))\n"
                + "k = lambda A, B: np.exp(-d2(A, B) / (2 * h * h))\n"
                + "n, m = len(Y), len(X)\n"
                + "kxx, kyy = k(X, X), k(Y, Y)\n"
                + "mmd = (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) "
                + "- 2 * k(X, Y).mean()\n"
                + "print(repr(float(h)), repr(float(mmd)))\n";
        String[] out = Python.script(script, Path.of(".")).strip().split("\\s+");
        double h = Double.parseDouble(out[0]);
        double mmd = Double.parseDouble(out[1]);
        assertEquals(h, detector.bandwidth(), 1e-12 * h, "bandwidth (median heuristic)");
        assertEquals(mmd, statistic, 1e-10 * Math.abs(mmd), "unbiased MMD^2");
    }

    @Test
    void shouldComputeEachBootstrapReplicateAsTheNaiveStatisticOfItsSplit() {
        SplittableRandom random = new SplittableRandom(5);
        float[][] reference = gaussian(random, 60, 8, 0);
        MmdDetector detector = MmdDetector.fit(reference, 0.05, 10, 1, SquaredDistances.JAVA);
        for (int trial = 0; trial < 5; trial++) {
            int[] chosen = random.ints(0, 60).distinct().limit(10).sorted().toArray();
            List<float[]> in = new ArrayList<>();
            List<float[]> rest = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                (Arrays.binarySearch(chosen, i) >= 0 ? in : rest).add(reference[i]);
            }
            double expected = naiveMmd2(rest.toArray(float[][]::new), in.toArray(float[][]::new), detector.bandwidth());
            assertEquals(expected, detector.splitStatistic(chosen), 1e-9 * Math.abs(expected), "split " + Arrays.toString(chosen));
        }
    }

    @Test
    void shouldTestHoppingWindowsOfAStreamLikeSeparateWindows() {
        SplittableRandom random = new SplittableRandom(7);
        float[][] reference = gaussian(random, 70, 12, 0);
        float[][] stream = gaussian(random, 43, 12, 0.3);
        MmdDetector detector = MmdDetector.fit(reference, 0.05, 10, 2);
        MmdDetector.Stream s = detector.stream(10, 4, 100);
        List<MmdDetector.WindowDecision> decisions = new ArrayList<>();
        for (int i = 0; i < stream.length; i++) {
            assertEquals(100 + i, s.nextIndex());
            Optional<MmdDetector.WindowDecision> d = s.add(stream[i]);
            d.ifPresent(decisions::add);
            assertEquals(i >= 9 && (i - 9) % 4 == 0, d.isPresent(), "a decision exactly when a window closes, sample " + i);
        }
        // Windows [100, 109], [104, 113], ..., [132, 141]; [136, 145] has not closed yet.
        assertEquals(9, decisions.size());
        for (int w = 0; w < decisions.size(); w++) {
            MmdDetector.WindowDecision d = decisions.get(w);
            assertEquals(100 + 4 * w, d.first());
            assertEquals(109 + 4 * w, d.last());
            float[][] rows = Arrays.copyOfRange(stream, 4 * w, 4 * w + 10);
            MmdDetector.Decision alone = detector.test(rows);
            assertEquals(alone.statistic(), d.decision().statistic(), 1e-12 * Math.abs(alone.statistic()), "window " + w);
            assertEquals(alone.threshold(), d.decision().threshold());
            assertEquals(alone.pValue(), d.decision().pValue());
            double naive = naiveMmd2(reference, rows, detector.bandwidth());
            assertEquals(naive, d.decision().statistic(), 1e-9 * Math.abs(naive), "window " + w + " against the naive statistic");
        }
        // Tumbling windows: the advance equals the size.
        MmdDetector.Stream tumbling = detector.stream(10, 10, 0);
        int closed = 0;
        for (float[] row : stream) {
            closed += tumbling.add(row).isPresent() ? 1 : 0;
        }
        assertEquals(4, closed);
    }

    @Test
    void shouldKeepTheFalseAlarmRateNearAlphaWhenNothingChanges() {
        // 50-dim standard Gaussian, reference 500, 400 independent windows of 50 from the same law.
        SplittableRandom random = new SplittableRandom(2024);
        float[][] reference = gaussian(random, 500, 50, 0);
        double alpha = 0.05;
        MmdDetector detector = MmdDetector.fit(reference, alpha, 50, 9);
        int alarms = 0;
        int windows = 400;
        double pSum = 0;
        for (int w = 0; w < windows; w++) {
            MmdDetector.Decision d = detector.test(gaussian(random, 50, 50, 0));
            assertEquals(d.pValue() <= alpha, d.alarm(), "alarm exactly when p <= alpha: " + d);
            alarms += d.alarm() ? 1 : 0;
            pSum += d.pValue();
        }
        double rate = alarms / (double) windows;
        System.out.printf("MMD H0: %d alarms in %d windows (rate %.4f, alpha %.2f), mean p %.3f, threshold %.6f, bandwidth %.4f%n",
                alarms, windows, rate, alpha, pSum / windows, detector.threshold(50), detector.bandwidth());
        assertTrue(rate >= alpha / 2 && rate <= 2 * alpha, "false-alarm rate " + rate + " within a factor 2 of " + alpha);
    }

    @Test
    void shouldAlarmOnMostWindowsAfterAMeanShift() {
        SplittableRandom random = new SplittableRandom(31);
        float[][] reference = gaussian(random, 500, 50, 0);
        MmdDetector detector = MmdDetector.fit(reference, 0.05, 50, 9);
        int alarms = 0;
        int windows = 100;
        for (int w = 0; w < windows; w++) {
            MmdDetector.Decision d = detector.test(gaussian(random, 50, 50, SHIFT));
            alarms += d.alarm() ? 1 : 0;
        }
        System.out.printf("MMD mean shift %.2f sd in every dimension: %d alarms in %d windows%n", SHIFT, alarms, windows);
        assertTrue(alarms >= 90, "alarms " + alarms + " of " + windows);
    }

    @Test
    void shouldGiveTheSameThresholdForTheSameSeedAndADifferentOneForAnother() {
        float[][] reference = gaussian(new SplittableRandom(1), 200, 5, 0);
        MmdDetector a = MmdDetector.fit(reference, 0.05, 20, 1);
        MmdDetector b = MmdDetector.fit(reference, 0.05, 20, 1);
        MmdDetector c = MmdDetector.fit(reference, 0.05, 20, 2);
        assertEquals(a.threshold(20), b.threshold(20));
        assertNotEquals(a.threshold(20), c.threshold(20));
        assertEquals(2000, a.replicates());
        assertEquals(100_000, MmdDetector.replicates(0.001));
        assertEquals(MmdDetector.MAX_REPLICATES, MmdDetector.replicates(1e-7));
        assertTrue(a.threshold(40) < a.threshold(20), "larger windows, tighter null: " + a.threshold(40) + " vs " + a.threshold(20));
    }

    @Test
    void shouldScalePixelsToTheUnitInterval() {
        float[] image = {0, 51, 255};
        assertArrayEquals(new float[] {0, 0.2f, 1}, MmdDetector.unitPixels(image), 1e-7f);
        assertEquals(51f, image[1], "input unchanged");
    }

    @Test
    void shouldRefuseBadInputsWithAMessageThatSaysWhatIsWrong() {
        float[][] reference = gaussian(new SplittableRandom(1), 30, 4, 0);
        assertMessage("alpha must be in (0, 1), got 1.0", () -> MmdDetector.fit(reference, 1, 5, 1));
        assertMessage("the reference needs at least 4 rows, got 3", () -> MmdDetector.fit(Arrays.copyOf(reference, 3), 0.05, 2, 1));
        assertMessage("window size must be within 2..28 (the reference has 30 rows; the bootstrap needs N - n >= 2), got 29",
                () -> MmdDetector.fit(reference, 0.05, 29, 1));
        float[][] ragged = reference.clone();
        ragged[7] = new float[3];
        assertMessage("reference row 7 has 3 values, expected 4", () -> MmdDetector.fit(ragged, 0.05, 5, 1));
        MmdDetector detector = MmdDetector.fit(reference, 0.05, 5, 1);
        float[][] window = gaussian(new SplittableRandom(2), 5, 4, 0);
        window[2][1] = Float.NaN;
        assertMessage("window row 2, value 1 is NaN, expected a finite number", () -> detector.test(window));
        assertMessage("window size must be within 2..28", () -> detector.test(new float[1][4]));
        assertMessage("window advance must be within 1..5 (the window size), got 6", () -> detector.stream(5, 6, 0));
        MmdDetector.Stream stream = detector.stream(5, 5, 40);
        assertMessage("sample 40 has 5 values, expected 4", () -> stream.add(new float[5]));
        float[][] flat = new float[10][4];
        assertMessage("the median heuristic gives no kernel bandwidth", () -> MmdDetector.fit(flat, 0.05, 2, 1));
    }

    @Test
    void shouldAlarmOnDigitsAndOnBrighterClothesButRarelyOnCleanClothes() throws Exception {
        // The benchmark's setting in small: Fashion-MNIST test images, 784 pixels scaled to 0..1.
        Path file = Datasets.FASHION_MNIST.defaultDir().resolve("t10k-images-idx3-ubyte.gz");
        assertTrue(java.nio.file.Files.isRegularFile(file), file + " missing: install the Debian package dataset-fashion-mnist");
        SampleBatch clothes = IdxReader.read(file);
        SampleBatch digits = MnistDigits.load();
        Layout layout = Layout.of(clothes.sampleShape());
        int big = 1000;
        int n = 100;
        float[][] reference = new float[big][];
        for (int i = 0; i < big; i++) {
            reference[i] = MmdDetector.unitPixels(clothes.sample(i));
        }
        MmdDetector detector = MmdDetector.fit(reference, 0.05, n, 1);
        int cleanAlarms = 0;
        int brightAlarms = 0;
        int digitAlarms = 0;
        int windows = 10;
        for (int w = 0; w < windows; w++) {
            float[][] clean = new float[n][];
            float[][] bright = new float[n][];
            float[][] digit = new float[n][];
            for (int i = 0; i < n; i++) {
                float[] image = clothes.sample(big + w * n + i);
                clean[i] = MmdDetector.unitPixels(image);
                bright[i] = MmdDetector.unitPixels(ImageTransforms.brightness(image, layout, 40));
                digit[i] = MmdDetector.unitPixels(digits.sample(w * n + i));
            }
            cleanAlarms += detector.test(clean).alarm() ? 1 : 0;
            brightAlarms += detector.test(bright).alarm() ? 1 : 0;
            digitAlarms += detector.test(digit).alarm() ? 1 : 0;
        }
        System.out.printf("MMD on Fashion-MNIST (reference %d, windows of %d, alpha 0.05): alarms clean %d, brightness+40 %d, MNIST %d of %d%n",
                big, n, cleanAlarms, brightAlarms, digitAlarms, windows);
        assertTrue(cleanAlarms <= 2, "clean windows alarm at about alpha: " + cleanAlarms + " of " + windows);
        assertEquals(windows, digitAlarms, "handwritten digits are not clothes");
        assertEquals(windows, brightAlarms, "every pixel 40 levels brighter");
    }

    /** Shift per dimension, in standard deviations, of the power test (measured: see the test's output). */
    private static final double SHIFT = 0.3;

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
    }

    // --- the independent implementation: direct differences, double loops, no shared code ---

    private static double naiveMedianDistance(float[][] x) {
        List<Double> distances = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            for (int j = i + 1; j < x.length; j++) {
                distances.add(Math.sqrt(squaredDistance(x[i], x[j])));
            }
        }
        distances.sort(null);
        int c = distances.size();
        return c % 2 == 1 ? distances.get(c / 2) : (distances.get(c / 2 - 1) + distances.get(c / 2)) / 2;
    }

    private static double naiveMmd2(float[][] x, float[][] y, double h) {
        double xx = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                if (i != j) {
                    xx += k(x[i], x[j], h);
                }
            }
        }
        double yy = 0;
        for (int i = 0; i < y.length; i++) {
            for (int j = 0; j < y.length; j++) {
                if (i != j) {
                    yy += k(y[i], y[j], h);
                }
            }
        }
        double xy = 0;
        for (float[] a : x) {
            for (float[] b : y) {
                xy += k(a, b, h);
            }
        }
        int m = x.length;
        int n = y.length;
        return xx / (m * (m - 1.0)) + yy / (n * (n - 1.0)) - 2 * xy / ((double) m * n);
    }

    private static double k(float[] a, float[] b, double h) {
        return Math.exp(-squaredDistance(a, b) / (2 * h * h));
    }

    private static double squaredDistance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return s;
    }

    private static float[][] gaussian(SplittableRandom random, int rows, int dims, double shift) {
        float[][] out = new float[rows][dims];
        for (float[] row : out) {
            for (int j = 0; j < dims; j++) {
                double u1 = random.nextDouble();
                double u2 = random.nextDouble();
                row[j] = (float) (shift + Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
            }
        }
        return out;
    }

    private static String python(float[][] rows) {
        StringBuilder b = new StringBuilder("[");
        for (float[] r : rows) {
            b.append('[');
            for (float v : r) {
                b.append(Float.toString(v)).append(',');
            }
            b.append("],");
        }
        return b.append(']').toString();
    }
}
