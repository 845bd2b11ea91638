package io.resalign.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.jacobian.DenseJacobian;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.RaFormulas;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.metrics.StageMetrics;
import io.resalign.engine.svd.RandomizedSvd;
import io.resalign.engine.svd.TopSingular;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes the Residual Alignment metrics of a batch of samples through one network: a forward
 * pass capturing h_0..h_L, each watched block's Residual Jacobians at the samples' own h_l, their
 * top-k singular triplets, and every per-sample and per-block metric of
 * docs/metrics-definitions.md.
 *
 * <p>All work of a batch happens in one NDManager scope closed before {@link #analyse} returns,
 * so memory stays flat over any number of batches; the network's weights are reused. Jacobians
 * no larger than {@code denseLimit} are built explicitly and their SVDs, stacked across blocks of
 * one shape, run to a tolerance (the dense path); larger ones stay matrix-free.
 *
 * <p>Not thread-safe: one engine per worker thread, sharing the network is fine.
 */
public final class AlignmentEngine implements AutoCloseable {
    private final ResidualNetwork network;
    private final EngineOptions options;
    private final NDManager base;
    private final int[] watched;
    private final int k;
    private final long[] sampleShape;

    /**
     * Creates an engine for a loaded network.
     *
     * @param network the network (not closed by the engine)
     * @param options engine options
     * @throws IllegalArgumentException when the manifest watches blocks the network lacks
     */
    public AlignmentEngine(ResidualNetwork network, EngineOptions options) {
        this.network = network;
        this.options = options;
        // before the manager: a refused watch list must not leave a native manager behind
        this.watched = resolveWatched(network);
        this.base = NDManager.newBaseManager(network.device());
        this.base.setName("engine:" + network.manifest().name());
        this.k = options.k() > 0 ? options.k() : network.manifest().numClasses();
        this.sampleShape = network.manifest().input().shape();
    }

    private static int[] resolveWatched(ResidualNetwork network) {
        List<ResidualBlock> blocks = network.blocks();
        if (network.manifest().watchesAll()) {
            return java.util.stream.IntStream.range(0, blocks.size()).toArray();
        }
        List<String> names = blocks.stream().map(ResidualBlock::name).toList();
        int[] out = new int[network.manifest().watch().size()];
        for (int i = 0; i < out.length; i++) {
            String w = network.manifest().watch().get(i);
            out[i] = names.indexOf(w);
            if (out[i] < 0) {
                throw new IllegalArgumentException(network.manifest().name() + ": watched block '" + w + "' does not exist; blocks are "
                        + names);
            }
        }
        Arrays.sort(out);
        return out;
    }

    /** Returns the network. */
    public ResidualNetwork network() {
        return network;
    }

    /** Returns the arrays still open in the engine's scope (0 between batches: nothing outlives a batch). */
    int openArrays() {
        return base.getManagedArrays().size();
    }

    /** Returns the number of singular triplets per block. */
    public int k() {
        return k;
    }

    /**
     * Analyses a batch of raw samples.
     *
     * @param inputs {@code count} samples of the manifest's input shape, concatenated row-major
     * @param count number of samples
     * @param firstIndex index reported for the first sample
     * @return one result per sample, in order
     */
    public List<SampleMetrics> analyse(float[] inputs, int count, int firstIndex) {
        long per = network.manifest().input().size();
        if (count < 1 || inputs.length != count * per) {
            throw new IllegalArgumentException("a batch of " + count + " samples of shape " + Arrays.toString(sampleShape) + " needs "
                    + count * per + " values, got " + inputs.length);
        }
        try (NDManager scope = base.newSubManager()) {
            NDArray x = scope.create(inputs, new Shape(count).addAll(new Shape(sampleShape)));
            return analyse(x, firstIndex, scope);
        }
    }

    private List<SampleMetrics> analyse(NDArray x, int firstIndex, NDManager scope) {
        int batch = Math.toIntExact(x.getShape().get(0));
        Trajectory trajectory = Trajectory.trace(network, x);
        List<ResidualBlock> blocks = network.blocks();
        JacobianOperator[] ops = new JacobianOperator[watched.length];
        for (int i = 0; i < watched.length; i++) {
            ops[i] = blocks.get(watched[i]).linearize(trajectory.states().get(watched[i]));
        }
        TopSingular[] svd = decompose(ops, batch, scope);
        double[][][] self = selfDots(svd, batch);
        double[][][] cross = CrossAlignment.compute(ops, svd, batch, blocks, watched, options.rankTau(), scope);
        List<List<StageMetrics>> stages = TrajectoryShape.stages(trajectory.measuredBy(network), blocks);
        float[] logits = trajectory.logits().toFloatArray();
        double[][] output = outputMetrics(trajectory.logits());
        int classes = network.manifest().numClasses();

        List<SampleMetrics> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            List<BlockMetrics> blockMetrics = new ArrayList<>(watched.length);
            double sigmaSum = 0;
            for (int i = 0; i < watched.length; i++) {
                ResidualBlock block = blocks.get(watched[i]);
                double[] s = svd[i].values()[b];
                int rank = RaFormulas.effectiveRank(s, options.rankTau());
                double selfAlignment = self[i] == null ? Double.NaN : RaFormulas.selfAlignment(self[i][b], rank);
                double[] partners = partnersOf(cross[b][i], i, blocks);
                double blockAlignment = partners.length == 0 ? Double.NaN : RaFormulas.mean(partners);
                blockMetrics.add(new BlockMetrics(block.name(), block.stage(), s[0], s, svd[i].frobeniusSquared()[b],
                        svd[i].frobeniusExact(), RaFormulas.stableRank(svd[i].frobeniusSquared()[b], s[0]), rank, rank == s.length,
                        selfAlignment, blockAlignment));
                sigmaSum += s[0];
            }
            List<Double> pairs = new ArrayList<>();
            for (int i = 0; i < watched.length; i++) {
                for (int j = 0; j < watched.length; j++) {
                    if (i != j && comparable(blocks.get(watched[i]), blocks.get(watched[j]))) {
                        pairs.add(cross[b][i][j]);
                    }
                }
            }
            double alignment = RaFormulas.mean(pairs.stream().mapToDouble(Double::doubleValue).toArray());
            List<StageMetrics> st = stages.get(b);
            double lineShape = RaFormulas.mean(st.stream().mapToDouble(StageMetrics::lineShape).toArray());
            double stepCv = RaFormulas.mean(st.stream().mapToDouble(StageMetrics::stepCv).toArray());
            float[] l = Arrays.copyOfRange(logits, b * classes, (b + 1) * classes);
            out.add(new SampleMetrics(firstIndex + b, argmax(l), l, output[0][b], output[1][b], lineShape, stepCv, alignment,
                    blocks.size() * sigmaSum / watched.length, st, blockMetrics, cross[b]));
        }
        return out;
    }

    /**
     * Entropy (nats) and max-softmax confidence of every sample, {entropy[], confidence[]}, from the
     * batch's logits (B, C) in one pass of array operations: log-softmax over the class axis keeps
     * both finite for large logits, where softmax then log would underflow to log 0.
     */
    static double[][] outputMetrics(NDArray logits) {
        NDArray logP = logits.logSoftmax(1);
        float[] entropy = logP.exp().mul(logP).sum(new int[] {1}).neg().toFloatArray();
        float[] confidence = logP.max(new int[] {1}).exp().toFloatArray();
        double[][] out = new double[2][entropy.length];
        for (int b = 0; b < entropy.length; b++) {
            out[0][b] = entropy[b];
            out[1][b] = confidence[b];
        }
        return out;
    }

    /** The cross-alignments of block i on its comparable partners (a row of the matrix without incomparable entries). */
    private double[] partnersOf(double[] row, int i, List<ResidualBlock> blocks) {
        List<Double> out = new ArrayList<>();
        for (int j = 0; j < row.length; j++) {
            if (j != i && comparable(blocks.get(watched[i]), blocks.get(watched[j]))) {
                out.add(row[j]);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Blocks are compared only when both Jacobians are square and of one shape (a stage). */
    static boolean comparable(ResidualBlock a, ResidualBlock b) {
        return a.isSquare() && b.isSquare() && a.inShape().equals(b.inShape());
    }

    /** Top-k triplets of every watched block: explicit and stacked by shape when small, matrix-free otherwise. */
    private TopSingular[] decompose(JacobianOperator[] ops, int batch, NDManager scope) {
        TopSingular[] out = new TopSingular[ops.length];
        Map<String, List<Integer>> denseGroups = new LinkedHashMap<>();
        for (int i = 0; i < ops.length; i++) {
            if (ops[i].inSize() <= options.denseLimit() && ops[i].outSize() <= options.denseLimit()) {
                denseGroups.computeIfAbsent(ops[i].outSize() + "x" + ops[i].inSize(), key -> new ArrayList<>()).add(i);
            } else {
                out[i] = scopedSvd(ops[i], new RandomizedSvd.Options(k, options.oversampling(), options.powerIterations(), 0,
                        options.seed()), scope);
            }
        }
        RandomizedSvd.Options dense = new RandomizedSvd.Options(k, options.oversampling(), options.denseMaxIterations(),
                options.denseTolerance(), options.seed());
        for (List<Integer> group : denseGroups.values()) {
            long perBlock = batch * ops[group.get(0)].inSize() * ops[group.get(0)].outSize();
            int chunk = (int) Math.max(1, Math.min(group.size(), options.denseStackElements() / perBlock));
            for (int start = 0; start < group.size(); start += chunk) {
                List<Integer> members = group.subList(start, Math.min(group.size(), start + chunk));
                NDList matrices = new NDList();
                for (int i : members) {
                    // the build's intermediates (D tangents through the branch) go with its own scope
                    try (NDManager build = scope.newSubManager()) {
                        NDArray matrix = ops[i].dense(build);
                        matrix.attach(scope);
                        matrices.add(matrix);
                    }
                }
                NDArray stacked = members.size() == 1 ? matrices.get(0) : NDArrays.concat(matrices, 0);
                TopSingular all = scopedSvd(new DenseJacobian(stacked), dense, scope);
                for (int m = 0; m < members.size(); m++) {
                    int i = members.get(m);
                    String rows = m * batch + ":" + (m + 1) * batch;
                    ops[i] = new DenseJacobian(stacked.get(rows));
                    out[i] = new TopSingular(all.left().get(rows), Arrays.copyOfRange(all.values(), m * batch, (m + 1) * batch),
                            all.right().get(rows), Arrays.copyOfRange(all.frobeniusSquared(), m * batch, (m + 1) * batch),
                            all.frobeniusExact(), all.iterations());
                }
            }
        }
        return out;
    }

    /**
     * Runs a randomized SVD in a scope of its own and keeps only its triplets in {@code scope}: at
     * 224 x 224 one block's products' intermediates are gigabytes (resnet50 with every block watched
     * went past 23 GB when they all stayed in the batch's scope).
     */
    private static TopSingular scopedSvd(JacobianOperator op, RandomizedSvd.Options svdOptions, NDManager scope) {
        try (NDManager own = scope.newSubManager()) {
            TopSingular t = RandomizedSvd.compute(op, svdOptions, own);
            t.left().attach(scope);
            t.right().attach(scope);
            return t;
        }
    }

    /** u_m . v_m per block and sample ([block][sample][m]), null for non-square blocks. */
    private double[][][] selfDots(TopSingular[] svd, int batch) {
        double[][][] out = new double[svd.length][][];
        for (int i = 0; i < svd.length; i++) {
            if (network.blocks().get(watched[i]).isSquare()) {
                out[i] = rows(svd[i].left().mul(svd[i].right()).sum(new int[] {2}).toFloatArray(), batch);
            }
        }
        return out;
    }

    private static double[][] rows(float[] values, int batch) {
        int width = values.length / batch;
        double[][] out = new double[batch][width];
        for (int b = 0; b < batch; b++) {
            for (int m = 0; m < width; m++) {
                out[b][m] = values[b * width + m];
            }
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() {
        base.close();
    }
}
