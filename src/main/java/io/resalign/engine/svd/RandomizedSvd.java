package io.resalign.engine.svd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.jacobian.JacobianOperator;
import java.util.SplittableRandom;

/**
 * Computes top-k singular triplets of a batch of Jacobians from products {@code J V} and
 * {@code J^T U} only: randomized block subspace iteration (Halko, Martinsson &amp; Tropp 2011,
 * Algorithms 4.4 and 5.1) with a Rayleigh-Ritz step.
 *
 * <p>Every array of the feature dimension stays on the operator's device in batched NDArray
 * operations; only the r x r Gram and factor matrices (r = k + oversampling) go to the CPU. The
 * orthonormalisation is an eigen-based variant of Cholesky-QR2 that tolerates rank-deficient
 * sketches (exactly low-rank Jacobians). Power steps run until the top-k singular values change
 * by less than the tolerance, or up to the maximum.
 */
public final class RandomizedSvd {

    /**
     * Options of the iteration.
     *
     * @param k number of triplets
     * @param oversampling extra sketch columns p
     * @param maxPowerIterations most power steps q
     * @param tolerance stop once the top-k values change by at most this relative amount between
     *     steps; 0 runs exactly {@code maxPowerIterations}
     * @param seed seed of the Gaussian sketch (results are reproducible)
     */
    public record Options(int k, int oversampling, int maxPowerIterations, double tolerance, long seed) {
        /** Validates the options. */
        public Options {
            if (k < 1 || oversampling < 0 || maxPowerIterations < 0 || tolerance < 0) {
                throw new IllegalArgumentException("need k >= 1, oversampling >= 0, power iterations >= 0, tolerance >= 0; got "
                        + this);
            }
        }
    }

    private RandomizedSvd() {}

    /**
     * Computes the top-k triplets of every Jacobian of the batch.
     *
     * @param op the Jacobians
     * @param options iteration options (k is capped by the smaller side)
     * @param manager the scope that owns the results and intermediates
     * @return the triplets, values on the CPU
     */
    public static TopSingular compute(JacobianOperator op, Options options, NDManager manager) {
        int batch = Math.toIntExact(op.batchSize());
        long in = op.inSize();
        long out = op.outSize();
        int k = (int) Math.min(options.k(), Math.min(in, out));
        int r = (int) Math.min(k + options.oversampling(), Math.min(in, out));
        NDArray omega = gaussian(manager, batch, r, in, options.seed());
        NDArray y = op.apply(omega);
        double[] frobenius;
        boolean exact;
        var exactNorm = op.exactFrobeniusSquared(omega);
        if (exactNorm.isPresent()) {
            frobenius = toDoubles(exactNorm.get());
            exact = true;
        } else {
            // Hutchinson for free: E ||J w||^2 = ||J||_F^2 for a standard Gaussian w, and the sketch is r of them.
            frobenius = toDoubles(y.square().sum(new int[] {2}).mean(new int[] {1}));
            exact = false;
        }
        // Power steps orthonormalise once, by Cholesky (enough to keep the sketch well conditioned);
        // every second step an eigen-based pass also yields the current top values for the stopping
        // rule. The basis that enters Rayleigh-Ritz gets a second pass for full orthogonality.
        Factored q = orthonormaliseOnce(y, batch, r, manager, true);
        double[][] previous = q.values(batch, r, k);
        int steps = 0;
        while (steps < options.maxPowerIterations()) {
            NDArray z = orthonormaliseOnce(op.applyTranspose(q.rows()), batch, r, manager, false).rows();
            steps++;
            boolean check = options.tolerance() > 0 && steps % 2 == 0;
            q = orthonormaliseOnce(op.apply(z), batch, r, manager, check);
            if (check) {
                // Y = J Z with orthonormal Z: Y's singular values, the square roots of the Gram's
                // eigenvalues, are the current estimates of J's top values.
                double[][] current = q.values(batch, r, k);
                boolean converged = maxRelativeChange(previous, current) <= options.tolerance();
                previous = current;
                if (converged) {
                    break;
                }
            }
        }
        q = orthonormaliseOnce(q.rows(), batch, r, manager, false);
        // Rayleigh-Ritz: the rows of J^T Q form Q J = A2 Q2 (r x in), and A2 = Ua S Va^T on the CPU,
        // so J ~ Q^T Q J = (Q^T Ua) S (Q2^T Va)^T: left vectors as rows Ua^T Q, right ones Va^T Q2.
        Factored b = orthonormalise(op.applyTranspose(q.rows()), batch, r, manager);
        SmallMatrices.Svd small = SmallMatrices.svd(b.factor(), batch, r);
        NDArray uaT = manager.create(small.u(), new Shape(batch, r, r)).transpose(0, 2, 1);
        NDArray vaT = manager.create(small.v(), new Shape(batch, r, r)).transpose(0, 2, 1);
        NDArray left = uaT.matMul(q.rows()).get(":, :" + k + ", :");
        NDArray right = vaT.matMul(b.rows()).get(":, :" + k + ", :");
        double[][] s = new double[batch][k];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(small.s(), i * r, s[i], 0, k);
        }
        return new TopSingular(left, s, right, frobenius, exact, steps);
    }

    /** Rows with orthonormal (or zero) rows, the factor A with X = A Q, and the Gram eigenvalues of X. */
    private record Factored(NDArray rows, float[] factor, double[] eigenvalues) {
        /** The top-k singular values of X, [batch][k]. */
        double[][] values(int batch, int r, int k) {
            double[][] out = new double[batch][k];
            for (int b = 0; b < batch; b++) {
                for (int m = 0; m < k; m++) {
                    out[b][m] = Math.sqrt(eigenvalues[b * r + m]);
                }
            }
            return out;
        }
    }

    /** Orthonormalises the rows of x (B, r, n) twice (the second pass restores orthogonality lost in float32). */
    private static Factored orthonormalise(NDArray x, int batch, int r, NDManager manager) {
        Factored first = orthonormaliseOnce(x, batch, r, manager, false);
        Factored second = orthonormaliseOnce(first.rows(), batch, r, manager, false);
        // X = A1 Q1 = A1 A2 Q2
        float[] a = multiply(first.factor(), second.factor(), batch, r);
        return new Factored(second.rows(), a, null);
    }

    private static Factored orthonormaliseOnce(NDArray x, int batch, int r, NDManager manager, boolean withValues) {
        float[] gram = x.matMul(x.transpose(0, 2, 1)).toFloatArray();
        SmallMatrices.Orthonormalisation o = withValues ? SmallMatrices.orthonormalise(gram, batch, r)
                : SmallMatrices.orthonormaliseFast(gram, batch, r);
        NDArray t = manager.create(o.t(), new Shape(batch, r, r));
        return new Factored(t.matMul(x), o.a(), o.eigenvalues());
    }

    private static double maxRelativeChange(double[][] a, double[][] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double scale = Math.max(b[i][0], Double.MIN_NORMAL);
            for (int j = 0; j < a[i].length; j++) {
                worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]) / scale);
            }
        }
        return worst;
    }

    private static float[] multiply(float[] a, float[] b, int batch, int r) {
        float[] c = new float[batch * r * r];
        for (int n = 0; n < batch; n++) {
            int off = n * r * r;
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < r; j++) {
                    double sum = 0;
                    for (int m = 0; m < r; m++) {
                        sum += (double) a[off + i * r + m] * b[off + m * r + j];
                    }
                    c[off + i * r + j] = (float) sum;
                }
            }
        }
        return c;
    }

    private static NDArray gaussian(NDManager manager, int batch, int r, long n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[Math.toIntExact(batch * r * n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) gaussian(random);
        }
        return manager.create(values, new Shape(batch, r, n));
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static double[] toDoubles(NDArray a) {
        float[] f = a.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
