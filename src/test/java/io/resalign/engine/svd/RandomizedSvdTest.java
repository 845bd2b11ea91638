package io.resalign.engine.svd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.jacobian.DenseJacobian;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ojalgo.matrix.decomposition.QR;
import org.ojalgo.matrix.decomposition.SingularValue;
import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;

/**
 * Checks the randomized SVD against ojAlgo's full SVD (float64, CPU) of the same explicit
 * matrices: singular values, the angle between singular subspaces, rank-deficient input, and the
 * Hutchinson estimate of the Frobenius norm.
 */
class RandomizedSvdTest {
    private static final int BATCH = 3;

    /** Matrices U diag(s) V^T with Haar-random U (rows x n), V (cols x n) and a prescribed spectrum s. */
    private static double[][][] withSpectrum(Random random, int rows, int cols, double[] s) {
        double[][][] out = new double[BATCH][][];
        for (int b = 0; b < BATCH; b++) {
            MatrixStore<Double> u = orthonormal(random, rows, s.length);
            MatrixStore<Double> v = orthonormal(random, cols, s.length);
            double[][] m = new double[rows][cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    double sum = 0;
                    for (int n = 0; n < s.length; n++) {
                        sum += u.doubleValue(i, n) * s[n] * v.doubleValue(j, n);
                    }
                    m[i][j] = sum;
                }
            }
            out[b] = m;
        }
        return out;
    }

    private static MatrixStore<Double> orthonormal(Random random, int n, int k) {
        R064Store g = R064Store.FACTORY.make(n, k);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                g.set(i, j, random.nextGaussian());
            }
        }
        QR<Double> qr = QR.R064.make(g);
        qr.decompose(g);
        return qr.getQ();
    }

    private static NDArray toArray(NDManager m, double[][][] mats) {
        int rows = mats[0].length;
        int cols = mats[0][0].length;
        float[] flat = new float[BATCH * rows * cols];
        for (int b = 0; b < BATCH; b++) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    flat[(b * rows + i) * cols + j] = (float) mats[b][i][j];
                }
            }
        }
        return m.create(flat, new Shape(BATCH, rows, cols));
    }

    /** The reference: ojAlgo's SVD of each matrix, U and V as columns. */
    private static SingularValue<Double> reference(double[][] m) {
        R064Store x = R064Store.FACTORY.rows(m);
        SingularValue<Double> svd = SingularValue.R064.make(x);
        assertTrue(svd.decompose(x));
        return svd;
    }

    /** sin of the largest principal angle between span(rows of actual[b, :k]) and span(reference columns :k). */
    private static double subspaceSine(float[] actual, int b, int k, int n, MatrixStore<Double> ref) {
        double worst = 0;
        for (int m = 0; m < k; m++) {
            // residual of actual vector m after projecting onto the reference subspace
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = actual[(b * k + m) * n + i];
            }
            double[] res = x.clone();
            for (int c = 0; c < k; c++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += x[i] * ref.doubleValue(i, c);
                }
                for (int i = 0; i < n; i++) {
                    res[i] -= dot * ref.doubleValue(i, c);
                }
            }
            double norm = 0;
            for (double r : res) {
                norm += r * r;
            }
            worst = Math.max(worst, Math.sqrt(norm));
        }
        return worst;
    }

    @Test
    void shouldMatchAFullSvdWhenIteratedToToleranceOnAGappedSpectrum() {
        int rows = 64;
        int cols = 48;
        int k = 10;
        double[] s = new double[40];
        for (int i = 0; i < s.length; i++) {
            s[i] = 5 * Math.pow(0.8, i);
        }
        double[][][] mats = withSpectrum(new Random(3), rows, cols, s);
        try (NDManager m = NDManager.newBaseManager()) {
            TopSingular top = RandomizedSvd.compute(new DenseJacobian(toArray(m, mats)), new RandomizedSvd.Options(k, 10, 100, 1e-7, 1),
                    m);
            float[] left = top.left().toFloatArray();
            float[] right = top.right().toFloatArray();
            for (int b = 0; b < BATCH; b++) {
                SingularValue<Double> ref = reference(mats[b]);
                for (int i = 0; i < k; i++) {
                    double want = ref.getSingularValues().doubleValue(i);
                    assertEquals(want, top.values()[b][i], 1e-4 * want, "sample " + b + " sigma_" + (i + 1));
                }
                assertTrue(subspaceSine(left, b, k, rows, ref.getU()) < 1e-3, "left subspace of sample " + b);
                assertTrue(subspaceSine(right, b, k, cols, ref.getV()) < 1e-3, "right subspace of sample " + b);
                double frob = 0;
                for (double v : s) {
                    frob += v * v;
                }
                assertEquals(frob, top.frobeniusSquared()[b], 1e-4 * frob);
                assertTrue(top.frobeniusExact());
            }
        }
    }

    @Test
    void shouldReachTheMatrixFreeAccuracyWithFewPowerStepsOnASteepSpectrum() {
        // Trained networks have steep Jacobian spectra (RA3); 2 power steps and p = 10 suffice there.
        int n = 96;
        int k = 10;
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = i < k ? 10 - 0.5 * i : 0.2 * Math.pow(0.97, i);
        }
        double[][][] mats = withSpectrum(new Random(5), n, n, s);
        try (NDManager m = NDManager.newBaseManager()) {
            TopSingular top = RandomizedSvd.compute(new DenseJacobian(toArray(m, mats)), new RandomizedSvd.Options(k, 10, 2, 0, 1), m);
            assertEquals(2, top.iterations());
            for (int b = 0; b < BATCH; b++) {
                for (int i = 0; i < k; i++) {
                    assertEquals(s[i], top.values()[b][i], 1e-3 * s[i], "sample " + b + " sigma_" + (i + 1));
                }
                assertTrue(subspaceSine(top.right().toFloatArray(), b, k, n, reference(mats[b]).getV()) < 1e-2);
            }
        }
    }

    @Test
    void shouldReturnOneValueAndZerosForAnExactlyRankOneMatrix() {
        int n = 32;
        double[][][] mats = withSpectrum(new Random(7), n, n, new double[] {3.0});
        try (NDManager m = NDManager.newBaseManager()) {
            TopSingular top = RandomizedSvd.compute(new DenseJacobian(toArray(m, mats)), new RandomizedSvd.Options(5, 5, 20, 1e-7, 1), m);
            for (int b = 0; b < BATCH; b++) {
                assertEquals(3.0, top.values()[b][0], 1e-5);
                for (int i = 1; i < 5; i++) {
                    assertTrue(top.values()[b][i] < 1e-5, "sigma_" + (i + 1) + " = " + top.values()[b][i]);
                    assertFalse(Double.isNaN(top.values()[b][i]));
                }
                float[] u = top.left().toFloatArray();
                float[] v = top.right().toFloatArray();
                SingularValue<Double> ref = reference(mats[b]);
                double du = 0;
                double dv = 0;
                for (int i = 0; i < n; i++) {
                    du += u[(b * 5) * n + i] * ref.getU().doubleValue(i, 0);
                    dv += v[(b * 5) * n + i] * ref.getV().doubleValue(i, 0);
                }
                assertEquals(1.0, Math.abs(du), 1e-5, "u_1 is the reference's up to sign");
                assertEquals(1.0, Math.abs(dv), 1e-5, "v_1 is the reference's up to sign");
                assertTrue(du * dv > 0, "u_1 and v_1 carry consistent signs (J = s u v^T)");
            }
        }
    }

    @Test
    void shouldEstimateTheFrobeniusNormFromTheSketchWhenNoExactNormIsKnown() {
        int n = 64;
        double[] s = new double[n];
        double frob = 0;
        for (int i = 0; i < n; i++) {
            s[i] = 1 + 0.01 * i;
            frob += s[i] * s[i];
        }
        double[][][] mats = withSpectrum(new Random(9), n, n, s);
        try (NDManager m = NDManager.newBaseManager()) {
            DenseJacobian dense = new DenseJacobian(toArray(m, mats));
            // hide the exact norm: the SVD must fall back to its sketch
            var op = new io.resalign.engine.jacobian.JacobianOperator() {
                public long batchSize() {
                    return dense.batchSize();
                }

                public long inSize() {
                    return dense.inSize();
                }

                public long outSize() {
                    return dense.outSize();
                }

                public NDArray apply(NDArray v) {
                    return dense.apply(v);
                }

                public NDArray applyTranspose(NDArray u) {
                    return dense.applyTranspose(u);
                }
            };
            TopSingular top = RandomizedSvd.compute(op, new RandomizedSvd.Options(10, 10, 1, 0, 1), m);
            assertFalse(top.frobeniusExact());
            for (int b = 0; b < BATCH; b++) {
                // 20 Gaussian probes on a flat spectrum: relative standard deviation sqrt(2/(20*64)) ~ 0.04
                assertEquals(frob, top.frobeniusSquared()[b], 0.2 * frob, "sample " + b);
            }
        }
    }
}
