package io.resalign.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Computes all squared Euclidean distances between the rows of two matrices, in float64, as
 * {@code ||a||^2 + ||b||^2 - 2 a.b} (clipped at 0): the inner loop of {@link MmdDetector}. Two ways
 * to get the dot products, which {@code MmdDetectorTiming} compares on this machine: plain Java
 * loops, or one float64 matrix product through DJL (PyTorch's BLAS).
 */
enum SquaredDistances {

    /** Plain Java: four accumulators per dot product, the symmetric case computes one triangle. */
    JAVA {
        @Override
        double[][] dots(double[][] a, double[][] b, boolean symmetric) {
            double[][] out = new double[a.length][b.length];
            for (int i = 0; i < a.length; i++) {
                double[] x = a[i];
                double[] row = out[i];
                for (int j = symmetric ? i : 0; j < b.length; j++) {
                    row[j] = dot(x, b[j]);
                }
            }
            if (symmetric) {
                for (int i = 0; i < a.length; i++) {
                    for (int j = 0; j < i; j++) {
                        out[i][j] = out[j][i];
                    }
                }
            }
            return out;
        }
    },

    /** DJL: {@code A . B^T} as one float64 matmul in a scoped manager. */
    DJL {
        @Override
        double[][] dots(double[][] a, double[][] b, boolean symmetric) {
            int d = a[0].length;
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray x = manager.create(flatten(a), new Shape(a.length, d));
                NDArray y = symmetric ? x : manager.create(flatten(b), new Shape(b.length, d));
                double[] flat = x.matMul(y.transpose()).toDoubleArray();
                double[][] out = new double[a.length][];
                for (int i = 0; i < a.length; i++) {
                    out[i] = java.util.Arrays.copyOfRange(flat, i * b.length, (i + 1) * b.length);
                }
                return out;
            }
        }
    };

    /**
     * Returns the dot products {@code a[i] . b[j]}; {@code symmetric} says that {@code b} is
     * {@code a} (the implementation may then compute one triangle).
     */
    abstract double[][] dots(double[][] a, double[][] b, boolean symmetric);

    /**
     * Returns {@code ||a[i] - b[j]||^2} for all i, j, given the squared norms of the rows.
     *
     * @param symmetric {@code b} is {@code a}: the diagonal is then exactly 0
     */
    double[][] between(double[][] a, double[] aNorms, double[][] b, double[] bNorms, boolean symmetric) {
        if (a.length == 0 || b.length == 0) {
            return new double[a.length][b.length];
        }
        double[][] d = dots(a, b, symmetric);
        for (int i = 0; i < a.length; i++) {
            double[] row = d[i];
            for (int j = 0; j < row.length; j++) {
                row[j] = symmetric && i == j ? 0 : Math.max(0, aNorms[i] + bNorms[j] - 2 * row[j]);
            }
        }
        return d;
    }

    /** Returns the squared norm of every row. */
    static double[] squaredNorms(double[][] rows) {
        double[] n = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            n[i] = dot(rows[i], rows[i]);
        }
        return n;
    }

    static double dot(double[] x, double[] y) {
        int n = x.length;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = 0;
        for (; k + 3 < n; k += 4) {
            s0 += x[k] * y[k];
            s1 += x[k + 1] * y[k + 1];
            s2 += x[k + 2] * y[k + 2];
            s3 += x[k + 3] * y[k + 3];
        }
        for (; k < n; k++) {
            s0 += x[k] * y[k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static double[] flatten(double[][] rows) {
        int d = rows[0].length;
        double[] flat = new double[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * d, d);
        }
        return flat;
    }
}
