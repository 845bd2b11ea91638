package io.resalign.bench;

import io.resalign.sample.file.IdxReader;
import io.resalign.sample.file.SampleBatch;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Measures {@link MmdDetector} on Fashion-MNIST test images (784 pixels scaled to 0..1): fit on a
 * reference of 2,000, one window test of 200, and a stream of tumbling and hopping windows, with
 * the dot products in plain Java and through DJL. Not a test (no timing assertions anywhere):
 * <pre>
 *   ./mvnw -q test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 *   OMP_WAIT_POLICY=PASSIVE java -cp target/classes:target/test-classes:$(cat cp.txt) io.resalign.bench.MmdDetectorTiming [alpha]
 * </pre>
 */
public final class MmdDetectorTiming {

    private MmdDetectorTiming() {
    }

    /** Runs the measurement; the optional argument is alpha (default 0.001, the product's default). */
    public static void main(String[] args) throws Exception {
        double alpha = args.length > 0 ? Double.parseDouble(args[0]) : 0.001;
        SampleBatch images = IdxReader.read(Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"));
        int big = 2000;
        int n = 200;
        float[][] reference = rows(images, 0, big);
        float[][] window = rows(images, big, n);
        System.out.printf("Fashion-MNIST test images, %d dims, reference %d, window %d, alpha %s (B = %d)%n",
                images.sampleLength(), big, n, alpha, MmdDetector.replicates(alpha));

        for (int round = 0; round < 2; round++) {
            for (SquaredDistances products : SquaredDistances.values()) {
                long t0 = System.nanoTime();
                double[][] r = new double[big][];
                for (int i = 0; i < big; i++) {
                    r[i] = new double[reference[i].length];
                    for (int j = 0; j < r[i].length; j++) {
                        r[i][j] = reference[i][j];
                    }
                }
                products.dots(r, r, true);
                long t1 = System.nanoTime();
                System.out.printf("round %d %-4s reference Gram %dx%d: %.3f s%n", round, products, big, big, (t1 - t0) / 1e9);
            }
        }
        for (SquaredDistances products : SquaredDistances.values()) {
            long t0 = System.nanoTime();
            MmdDetector detector = MmdDetector.fit(reference, alpha, n, 1, products);
            long t1 = System.nanoTime();
            MmdDetector.Decision d = detector.test(window);
            long t2 = System.nanoTime();
            MmdDetector.Decision again = detector.test(window);
            long t3 = System.nanoTime();
            System.out.printf("%-4s fit %.3f s (bandwidth %.4f), first test %.3f s, second test %.3f s: %s%n",
                    products, (t1 - t0) / 1e9, detector.bandwidth(), (t2 - t1) / 1e9, (t3 - t2) / 1e9, d);
            if (d.statistic() != again.statistic()) {
                throw new AssertionError("the same window gave two statistics");
            }
            for (int advance : new int[] {n, n / 4}) {
                MmdDetector.Stream stream = detector.stream(n, advance, big);
                int windows = 0;
                long s0 = System.nanoTime();
                for (int i = big; i < images.size(); i++) {
                    Optional<MmdDetector.WindowDecision> w = stream.add(MmdDetector.unitPixels(images.sample(i)));
                    if (w.isPresent()) {
                        windows++;
                    }
                }
                double s = (System.nanoTime() - s0) / 1e9;
                System.out.printf("%-4s stream of %d samples, windows %d/%d: %d windows in %.3f s (%.2f ms per sample)%n",
                        products, images.size() - big, n, advance, windows, s, 1000 * s / (images.size() - big));
            }
        }
    }

    private static float[][] rows(SampleBatch images, int from, int count) {
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = MmdDetector.unitPixels(images.sample(from + i));
        }
        return out;
    }
}
