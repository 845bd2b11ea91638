package io.resalign.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.jacobian.Autograd;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.RaFormulas;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.metrics.StageMetrics;
import java.util.ArrayList;
import java.util.List;
import org.ojalgo.matrix.decomposition.SingularValue;
import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;

/**
 * Computes the RA metrics the naive way, as the benchmark's baseline: every full Residual Jacobian
 * row by row with autograd (one backward pass per output row, batched over the samples), a full
 * float64 SVD of every Jacobian on the CPU with ojAlgo, and the metrics assembled from that SVD
 * with {@link RaFormulas}.
 */
final class NaiveBaseline {

    /**
     * Holds the baseline's metrics and timings.
     *
     * @param metrics metrics of the first {@code samples} samples of the batch
     * @param jacobianSeconds time to build every Jacobian of the whole batch (per-row autograd)
     * @param svdSeconds time of the full SVDs of the first {@code samples} samples
     * @param metricSeconds time of the metric assembly (cross products included) of those samples
     * @param samples samples whose SVDs and metrics were computed
     * @param batch samples whose Jacobians were built
     * @param backwardPasses backward passes run
     */
    record Result(List<SampleMetrics> metrics, double jacobianSeconds, double svdSeconds, double metricSeconds, int samples, int batch,
            long backwardPasses) {

        /** Returns the measured seconds per sample: Jacobians per batch sample, SVD and metrics per processed sample. */
        double secondsPerSample() {
            return jacobianSeconds / batch + (svdSeconds + metricSeconds) / samples;
        }
    }

    private NaiveBaseline() {}

    /** One block-sample's full SVD, top-k part kept. */
    private record Decomposed(MatrixStore<Double> jacobian, double[] sigma, double frobenius, double[][] u, double[][] v) {}

    /**
     * Runs the baseline on one batch.
     *
     * @param network the network
     * @param inputs the batch, row-major
     * @param batch number of samples in the batch
     * @param k requested singular triplets per block
     * @param tau effective-rank threshold
     * @param samples how many leading samples get SVDs and metrics (at most batch)
     */
    static Result run(ResidualNetwork network, float[] inputs, int batch, int k, double tau, int samples) {
        List<ResidualBlock> blocks = network.blocks();
        int depth = blocks.size();
        float[][] states = new float[depth + 1][];
        float[] logits;
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(network.device())) {
            NDArray x = m.create(inputs, new Shape(batch).addAll(new Shape(network.manifest().input().shape())));
            Trajectory trajectory = Trajectory.trace(network, x);
            for (int l = 0; l <= depth; l++) {
                states[l] = trajectory.states().get(l).toFloatArray();
            }
            logits = trajectory.logits().toFloatArray();
        }
        // 1. every Jacobian, one backward pass per output row (the row for all samples of the batch at once)
        float[][] jacobians = new float[depth][];
        long passes = 0;
        for (int l = 0; l < depth; l++) {
            ResidualBlock block = blocks.get(l);
            int out = Math.toIntExact(block.outShape().size());
            int in = Math.toIntExact(block.inShape().size());
            float[] jac = new float[batch * out * in];
            for (int i = 0; i < out; i++) {
                float[] row = rowByAutograd(network, block, states[l], batch, i);
                passes++;
                for (int b = 0; b < batch; b++) {
                    System.arraycopy(row, b * in, jac, (b * out + i) * in, in);
                }
            }
            jacobians[l] = jac;
        }
        double jacobianSeconds = (System.nanoTime() - t0) / 1e9;

        // 2. full SVDs and 3. metrics, sample by sample
        double svdSeconds = 0;
        double metricSeconds = 0;
        List<SampleMetrics> metrics = new ArrayList<>();
        int classes = network.manifest().numClasses();
        for (int b = 0; b < samples; b++) {
            long s0 = System.nanoTime();
            Decomposed[] svd = new Decomposed[depth];
            for (int l = 0; l < depth; l++) {
                svd[l] = decompose(jacobians[l], b, blocks.get(l), k);
            }
            long s1 = System.nanoTime();
            metrics.add(assemble(blocks, svd, states, b, batch, tau, logits, classes));
            long s2 = System.nanoTime();
            svdSeconds += (s1 - s0) / 1e9;
            metricSeconds += (s2 - s1) / 1e9;
        }
        return new Result(metrics, jacobianSeconds, svdSeconds, metricSeconds, samples, batch, passes);
    }

    /** Row {@code i} of every sample's Jacobian, (B * inSize) values: J^T e_i by one backward pass. */
    static float[] rowByAutograd(ResidualNetwork network, ResidualBlock block, float[] state, int batch, long i) {
        try (NDManager rows = NDManager.newBaseManager(network.device())) {
            NDArray h = rows.create(state, new Shape(batch).addAll(block.inShape()));
            NDArray u = rows.zeros(new Shape(batch, 1, block.outShape().size()));
            u.set(new NDIndex(":, 0, " + i), 1f);
            return Autograd.vjp(block::branch, h, u).toFloatArray();
        }
    }

    private static Decomposed decompose(float[] jac, int b, ResidualBlock block, int k) {
        int out = Math.toIntExact(block.outShape().size());
        int in = Math.toIntExact(block.inShape().size());
        R064Store j = R064Store.FACTORY.make(out, in);
        int off = b * out * in;
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                j.set(r, c, jac[off + r * in + c]);
            }
        }
        SingularValue<Double> svd = SingularValue.R064.make(j);
        if (!svd.decompose(j)) {
            throw new ArithmeticException("full SVD failed for block " + block.name());
        }
        var values = svd.getSingularValues();
        int n = Math.toIntExact(values.count());
        Integer[] order = new Integer[n];
        double frobenius = 0;
        for (int m = 0; m < n; m++) {
            order[m] = m;
            frobenius += values.doubleValue(m) * values.doubleValue(m);
        }
        java.util.Arrays.sort(order, (p, q) -> Double.compare(values.doubleValue(q), values.doubleValue(p)));
        int kk = Math.min(k, Math.min(out, in));
        MatrixStore<Double> uu = svd.getU();
        MatrixStore<Double> vv = svd.getV();
        double[] sigma = new double[kk];
        double[][] u = new double[kk][out];
        double[][] v = new double[kk][in];
        for (int m = 0; m < kk; m++) {
            int src = order[m];
            sigma[m] = values.doubleValue(src);
            for (int r = 0; r < out; r++) {
                u[m][r] = uu.doubleValue(r, src);
            }
            for (int c = 0; c < in; c++) {
                v[m][c] = vv.doubleValue(c, src);
            }
        }
        return new Decomposed(j, sigma, frobenius, u, v);
    }

    private static SampleMetrics assemble(List<ResidualBlock> blocks, Decomposed[] svd, float[][] states, int b, int batch, double tau,
            float[] logits, int classes) {
        int depth = blocks.size();
        double[][] cross = new double[depth][depth];
        for (int i = 0; i < depth; i++) {
            for (int j = 0; j < depth; j++) {
                cross[i][j] = Double.NaN;
                if (i != j && comparable(blocks.get(i), blocks.get(j))) {
                    double[] proj = new double[svd[i].sigma().length];
                    for (int m = 0; m < proj.length; m++) {
                        proj[m] = bilinear(svd[i].u()[m], svd[j].jacobian(), svd[i].v()[m]);
                    }
                    int rankI = RaFormulas.effectiveRank(svd[i].sigma(), tau);
                    cross[i][j] = RaFormulas.crossAlignment(proj, svd[j].sigma(), rankI);
                }
            }
        }
        List<BlockMetrics> blockMetrics = new ArrayList<>();
        List<Double> pairs = new ArrayList<>();
        double sigmaSum = 0;
        for (int i = 0; i < depth; i++) {
            ResidualBlock block = blocks.get(i);
            Decomposed d = svd[i];
            int rank = RaFormulas.effectiveRank(d.sigma(), tau);
            double self = Double.NaN;
            if (block.isSquare()) {
                double[] dots = new double[d.sigma().length];
                for (int m = 0; m < dots.length; m++) {
                    dots[m] = dot(d.u()[m], d.v()[m]);
                }
                self = RaFormulas.selfAlignment(dots, rank);
            }
            List<Double> partners = new ArrayList<>();
            for (int j = 0; j < depth; j++) {
                if (!Double.isNaN(cross[i][j])) {
                    partners.add(cross[i][j]);
                }
                if (i != j && comparable(block, blocks.get(j))) {
                    pairs.add(cross[i][j]);
                }
            }
            double alignment = partners.isEmpty() ? Double.NaN : RaFormulas.mean(partners.stream().mapToDouble(Double::doubleValue).toArray());
            blockMetrics.add(new BlockMetrics(block.name(), block.stage(), d.sigma()[0], d.sigma(), d.frobenius(), true,
                    RaFormulas.stableRank(d.frobenius(), d.sigma()[0]), rank, rank == d.sigma().length, self, alignment));
            sigmaSum += d.sigma()[0];
        }
        List<StageMetrics> stages = stages(blocks, states, b, batch);
        double lineShape = RaFormulas.mean(stages.stream().mapToDouble(StageMetrics::lineShape).toArray());
        double stepCv = RaFormulas.mean(stages.stream().mapToDouble(StageMetrics::stepCv).toArray());
        float[] l = java.util.Arrays.copyOfRange(logits, b * classes, (b + 1) * classes);
        int predicted = 0;
        for (int c = 1; c < classes; c++) {
            if (l[c] > l[predicted]) {
                predicted = c;
            }
        }
        // float64, one class at a time: the straightforward form of the engine's log-softmax
        double maxLogit = l[predicted];
        double partition = 0;
        for (float v : l) {
            partition += Math.exp(v - maxLogit);
        }
        double entropy = 0;
        for (float v : l) {
            double logP = v - maxLogit - Math.log(partition);
            entropy -= Math.exp(logP) * logP;
        }
        return new SampleMetrics(b, predicted, l, entropy, 1 / partition, lineShape, stepCv, RaFormulas.mean(pairs.stream().mapToDouble(Double::doubleValue).toArray()),
                depth * sigmaSum / depth, stages, blockMetrics, cross);
    }

    static boolean comparable(ResidualBlock a, ResidualBlock b) {
        return a.isSquare() && b.isSquare() && a.inShape().equals(b.inShape());
    }

    /** RA1 per stage (maximal runs of equal-shape states with two or more steps), in float64. */
    private static List<StageMetrics> stages(List<ResidualBlock> blocks, float[][] states, int b, int batch) {
        List<StageMetrics> out = new ArrayList<>();
        int start = 0;
        for (int l = 1; l <= states.length; l++) {
            boolean end = l == states.length || states[l].length != states[start].length;
            if (end) {
                int steps = l - 1 - start;
                if (steps >= 2) {
                    double[] norms = new double[steps];
                    for (int s = 0; s < steps; s++) {
                        norms[s] = distance(states[start + s + 1], states[start + s], b, batch);
                    }
                    double endToEnd = distance(states[l - 1], states[start], b, batch);
                    out.add(new StageMetrics(blocks.get(start).stage(), steps, RaFormulas.lineShape(norms, endToEnd), RaFormulas.stepCv(norms)));
                }
                start = l;
            }
        }
        return out;
    }

    private static double distance(float[] a, float[] c, int b, int batch) {
        int n = a.length / batch;
        double sum = 0;
        for (int i = b * n; i < (b + 1) * n; i++) {
            double d = (double) a[i] - c[i];
            sum += d * d;
        }
        return Math.sqrt(sum);
    }

    private static double bilinear(double[] u, MatrixStore<Double> j, double[] v) {
        // J v with J column-major in R064Store's array, then u . (J v)
        double[] data = ((R064Store) j).data;
        int rows = u.length;
        double[] w = new double[rows];
        for (int c = 0; c < v.length; c++) {
            double vc = v[c];
            int off = c * rows;
            for (int r = 0; r < rows; r++) {
                w[r] += data[off + r] * vc;
            }
        }
        return dot(u, w);
    }

    private static double dot(double[] a, double[] c) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * c[i];
        }
        return s;
    }
}
