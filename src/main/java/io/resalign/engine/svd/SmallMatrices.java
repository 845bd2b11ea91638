package io.resalign.engine.svd;

import java.util.stream.IntStream;
import org.ojalgo.matrix.decomposition.Eigenvalue;
import org.ojalgo.matrix.decomposition.SingularValue;
import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;

/**
 * Solves the small (r x r) problems of the randomized SVD on the CPU, in float64, for a batch of
 * matrices stored row-major one after another in a float array.
 *
 * <p>Only these problems leave the device: their size is the sketch width r = k + p, never the
 * feature dimension.
 */
final class SmallMatrices {

    /**
     * Relative eigenvalue floor of a Gram matrix below which a direction counts as absent: the
     * float32 Gram resolves eigenvalues down to about 1e-7 of the largest, so directions far
     * below are rounding noise and are dropped instead of being inflated to unit length.
     */
    static final double GRAM_FLOOR = 1e-12;

    private SmallMatrices() {}

    /**
     * The factors of an orthonormalisation X = A Q with Q = T X, per batch entry, and the Gram
     * eigenvalues (the squared singular values of X), descending per entry.
     */
    record Orthonormalisation(float[] t, float[] a, double[] eigenvalues) {}

    /**
     * Computes, for each Gram matrix G = X X^T, the maps T (Q = T X has orthonormal or zero rows)
     * and A (X = A Q) from G's eigen-decomposition G = W L W^T: T = L^{-1/2} W^T, A = W L^{1/2}.
     *
     * @param gram batch * r * r values
     * @param batch number of matrices
     * @param r size
     * @return T and A, batch * r * r each
     */
    static Orthonormalisation orthonormalise(float[] gram, int batch, int r) {
        float[] t = new float[batch * r * r];
        float[] a = new float[batch * r * r];
        double[] eigenvalues = new double[batch * r];
        IntStream.range(0, batch).parallel().forEach(b -> eigen(gram, b, r, t, a, eigenvalues));
        return new Orthonormalisation(t, a, eigenvalues);
    }

    /**
     * Computes the same maps as {@link #orthonormalise} by Cholesky, G = L L^T, T = L^{-1},
     * A = L: about five times cheaper than an eigen-decomposition, and enough for the power steps.
     * A Gram whose pivots fall below {@link #PIVOT_FLOOR} of its largest diagonal entry (a
     * rank-deficient sketch) takes the eigen route instead. No eigenvalues are returned.
     */
    static Orthonormalisation orthonormaliseFast(float[] gram, int batch, int r) {
        float[] t = new float[batch * r * r];
        float[] a = new float[batch * r * r];
        IntStream.range(0, batch).parallel().forEach(b -> {
            if (!cholesky(gram, b, r, t, a)) {
                eigen(gram, b, r, t, a, null);
            }
        });
        return new Orthonormalisation(t, a, null);
    }

    /** Relative pivot below which Cholesky gives way to the eigen route (the float32 Gram's resolution is ~1e-7). */
    static final double PIVOT_FLOOR = 1e-6;

    private static boolean cholesky(float[] gram, int b, int r, float[] t, float[] a) {
        int off = b * r * r;
        double[] l = new double[r * r];
        double max = 0;
        for (int i = 0; i < r; i++) {
            max = Math.max(max, gram[off + i * r + i]);
        }
        if (!(max > 0)) {
            return false;
        }
        for (int j = 0; j < r; j++) {
            double d = gram[off + j * r + j];
            for (int m = 0; m < j; m++) {
                d -= l[j * r + m] * l[j * r + m];
            }
            if (!(d > PIVOT_FLOOR * max)) {
                return false;
            }
            double ljj = Math.sqrt(d);
            l[j * r + j] = ljj;
            for (int i = j + 1; i < r; i++) {
                double v = 0.5 * (gram[off + i * r + j] + gram[off + j * r + i]);
                for (int m = 0; m < j; m++) {
                    v -= l[i * r + m] * l[j * r + m];
                }
                l[i * r + j] = v / ljj;
            }
        }
        // T = L^{-1} by forward substitution, column by column of the identity
        double[] inv = new double[r * r];
        for (int c = 0; c < r; c++) {
            for (int i = c; i < r; i++) {
                double v = i == c ? 1.0 : 0.0;
                for (int m = c; m < i; m++) {
                    v -= l[i * r + m] * inv[m * r + c];
                }
                inv[i * r + c] = v / l[i * r + i];
            }
        }
        for (int i = 0; i < r * r; i++) {
            t[off + i] = (float) inv[i];
            a[off + i] = (float) l[i];
        }
        return true;
    }

    private static void eigen(float[] gram, int b, int r, float[] t, float[] a, double[] eigenvalues) {
        R064Store g = R064Store.FACTORY.make(r, r);
        int off = b * r * r;
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                // symmetrise: the device Gram is symmetric only up to rounding
                g.set(i, j, 0.5 * (gram[off + i * r + j] + gram[off + j * r + i]));
            }
        }
        Eigenvalue<Double> eig = Eigenvalue.R064.make(true);
        if (!eig.decompose(g)) {
            throw new ArithmeticException("eigen-decomposition of a " + r + "x" + r + " Gram matrix failed");
        }
        MatrixStore<Double> w = eig.getV();
        MatrixStore<Double> d = eig.getD();
        double max = 0;
        for (int i = 0; i < r; i++) {
            max = Math.max(max, d.doubleValue(i, i));
        }
        double[] sorted = new double[r];
        for (int m = 0; m < r; m++) {
            sorted[m] = Math.max(0, d.doubleValue(m, m));
        }
        java.util.Arrays.sort(sorted);
        for (int m = 0; m < r && eigenvalues != null; m++) {
            eigenvalues[b * r + m] = sorted[r - 1 - m];
        }
        for (int m = 0; m < r; m++) {
            double lambda = d.doubleValue(m, m);
            boolean keep = max > 0 && lambda > GRAM_FLOOR * max;
            double inv = keep ? 1.0 / Math.sqrt(lambda) : 0.0;
            double sq = keep ? Math.sqrt(lambda) : 0.0;
            for (int i = 0; i < r; i++) {
                double wim = w.doubleValue(i, m);
                t[off + m * r + i] = (float) (inv * wim);
                a[off + i * r + m] = (float) (wim * sq);
            }
        }
    }

    /** The SVD factors of a batch of r x r matrices: M = U diag(s) V^T, singular values descending. */
    record Svd(float[] u, double[] s, float[] v) {}

    /**
     * Computes the SVD of each r x r matrix.
     *
     * @param m batch * r * r values, row-major
     * @param batch number of matrices
     * @param r size
     * @return U (batch*r*r, columns are left vectors), s (batch*r, descending), V (batch*r*r)
     */
    static Svd svd(float[] m, int batch, int r) {
        float[] u = new float[batch * r * r];
        float[] v = new float[batch * r * r];
        double[] s = new double[batch * r];
        IntStream.range(0, batch).parallel().forEach(b -> {
            int off = b * r * r;
            R064Store x = R064Store.FACTORY.make(r, r);
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < r; j++) {
                    x.set(i, j, m[off + i * r + j]);
                }
            }
            SingularValue<Double> svd = SingularValue.R064.make(x);
            if (!svd.decompose(x)) {
                throw new ArithmeticException("SVD of a " + r + "x" + r + " matrix failed");
            }
            MatrixStore<Double> uu = svd.getU();
            MatrixStore<Double> vv = svd.getV();
            var values = svd.getSingularValues();
            // ojAlgo returns singular values in descending order; keep the order explicit anyway.
            Integer[] order = new Integer[r];
            for (int i = 0; i < r; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (p, q) -> Double.compare(values.doubleValue(q), values.doubleValue(p)));
            for (int c = 0; c < r; c++) {
                int src = order[c];
                s[b * r + c] = values.doubleValue(src);
                for (int i = 0; i < r; i++) {
                    u[off + i * r + c] = (float) uu.doubleValue(i, src);
                    v[off + i * r + c] = (float) vv.doubleValue(i, src);
                }
            }
        });
        return new Svd(u, s, v);
    }
}
