package io.resalign.repro;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.ojalgo.matrix.decomposition.Eigenvalue;
import org.ojalgo.matrix.decomposition.SingularValue;
import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;

/**
 * Small float64 linear algebra on the CPU (ojAlgo) for the reproduction: full SVDs of explicit
 * d x d Jacobians (independent of the engine's randomized SVD) and 2-D PCA of trajectories.
 */
final class Dense {
    private Dense() {}

    /** A full SVD: {@code u[r][m]}, {@code v[c][m]} (columns are singular vectors), {@code s} descending. */
    record Svd(double[][] u, double[] s, double[][] v) {
        int rows() {
            return u.length;
        }
    }

    /** Full SVD of a rows x cols matrix given row-major in {@code a} from {@code offset}. */
    static Svd svd(float[] a, int offset, int rows, int cols) {
        R064Store x = R064Store.FACTORY.make(rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                x.set(i, j, a[offset + i * cols + j]);
            }
        }
        return svd(x);
    }

    static Svd svd(double[][] a) {
        return svd(R064Store.FACTORY.rows(a));
    }

    private static Svd svd(R064Store x) {
        SingularValue<Double> svd = SingularValue.R064.make(x);
        if (!svd.decompose(x)) {
            throw new ArithmeticException("SVD failed");
        }
        MatrixStore<Double> uu = svd.getU();
        MatrixStore<Double> vv = svd.getV();
        var values = svd.getSingularValues();
        int r = (int) values.count();
        Integer[] order = IntStream.range(0, r).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> -values.doubleValue(i)));
        int rows = (int) x.countRows();
        int cols = (int) x.countColumns();
        double[][] u = new double[rows][r];
        double[][] v = new double[cols][r];
        double[] s = new double[r];
        for (int c = 0; c < r; c++) {
            int src = order[c];
            s[c] = values.doubleValue(src);
            for (int i = 0; i < rows; i++) {
                u[i][c] = uu.doubleValue(i, src);
            }
            for (int i = 0; i < cols; i++) {
                v[i][c] = vv.doubleValue(i, src);
            }
        }
        return new Svd(u, s, v);
    }

    /** Singular values only, descending. */
    static double[] singularValues(float[] a, int offset, int rows, int cols) {
        R064Store x = R064Store.FACTORY.make(rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                x.set(i, j, a[offset + i * cols + j]);
            }
        }
        SingularValue<Double> svd = SingularValue.R064.make(x);
        if (!svd.decompose(x)) {
            throw new ArithmeticException("SVD failed");
        }
        double[] s = svd.getSingularValues().toRawCopy1D();
        Arrays.sort(s);
        for (int i = 0; i < s.length / 2; i++) {
            double t = s[i];
            s[i] = s[s.length - 1 - i];
            s[s.length - 1 - i] = t;
        }
        return s;
    }

    /**
     * Eigen-decomposition of a symmetric matrix: eigenvalues descending and the matching
     * eigenvectors as columns ({@code vectors[i][m]}).
     */
    record Eigen(double[] values, double[][] vectors) {}

    static Eigen symmetricEigen(double[][] a) {
        int n = a.length;
        R064Store g = R064Store.FACTORY.make(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                g.set(i, j, 0.5 * (a[i][j] + a[j][i]));
            }
        }
        Eigenvalue<Double> eig = Eigenvalue.R064.make(true);
        if (!eig.decompose(g)) {
            throw new ArithmeticException("eigen-decomposition failed");
        }
        MatrixStore<Double> w = eig.getV();
        MatrixStore<Double> d = eig.getD();
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> -d.doubleValue(i, i)));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int m = 0; m < n; m++) {
            values[m] = d.doubleValue(order[m], order[m]);
            for (int i = 0; i < n; i++) {
                vectors[i][m] = w.doubleValue(i, order[m]);
            }
        }
        return new Eigen(values, vectors);
    }

    /** The PCA of points (n x d): mean, top-{@code p} directions (d x p) and all variances (eigenvalues of the covariance), descending. */
    record Pca(double[] mean, double[][] directions, double[] variances) {
        double[] project(double[] x) {
            double[] out = new double[directions[0].length];
            for (int m = 0; m < out.length; m++) {
                double s = 0;
                for (int i = 0; i < x.length; i++) {
                    s += (x[i] - mean[i]) * directions[i][m];
                }
                out[m] = s;
            }
            return out;
        }

        double explained(int m) {
            double total = 0;
            for (double v : variances) {
                total += Math.max(0, v);
            }
            return total > 0 ? Math.max(0, variances[m]) / total : Double.NaN;
        }
    }

    /** The mean of the points. */
    private static double[] centroid(double[][] points) {
        int n = points.length;
        int d = points[0].length;
        double[] mean = new double[d];
        for (double[] x : points) {
            for (int i = 0; i < d; i++) {
                mean[i] += x[i] / n;
            }
        }
        return mean;
    }

    static Pca pca(double[][] points, int p) {
        int n = points.length;
        int d = points[0].length;
        double[] mean = centroid(points);
        double[][] cov = new double[d][d];
        for (double[] x : points) {
            for (int i = 0; i < d; i++) {
                double xi = x[i] - mean[i];
                for (int j = i; j < d; j++) {
                    cov[i][j] += xi * (x[j] - mean[j]) / n;
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                cov[i][j] = cov[j][i];
            }
        }
        Eigen e = symmetricEigen(cov);
        double[][] dirs = new double[d][p];
        for (int i = 0; i < d; i++) {
            for (int m = 0; m < p; m++) {
                dirs[i][m] = e.vectors()[i][m];
            }
        }
        return new Pca(mean, dirs, e.values());
    }

    /**
     * The fraction of a point set's variance along its first principal direction (1 for points on
     * a line), from the n x n Gram matrix of the centred points (n small: one trajectory).
     */
    static double firstComponentFraction(double[][] points) {
        int n = points.length;
        int d = points[0].length;
        double[] mean = centroid(points);
        double[][] gram = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = a; b < n; b++) {
                double s = 0;
                for (int i = 0; i < d; i++) {
                    s += (points[a][i] - mean[i]) * (points[b][i] - mean[i]);
                }
                gram[a][b] = s;
                gram[b][a] = s;
            }
        }
        double[] values = symmetricEigen(gram).values();
        double total = 0;
        for (double v : values) {
            total += Math.max(0, v);
        }
        return total > 0 ? Math.max(0, values[0]) / total : Double.NaN;
    }
}
