package io.resalign.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.jacobian.DenseJacobian;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.svd.RandomizedSvd;
import io.resalign.engine.svd.TopSingular;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the floating-point work of the large products the fast path performs per sample and
 * turns it into a time floor with the rates DJL reaches on this machine for the same shapes.
 *
 * <p>Dense path: building each J explicitly (2 d^3 per block-sample in the MLP block's closed form),
 * 2 (q + 1) products of 2 d^2 r per block-sample (sketch, q power steps of J^T then J, the
 * Rayleigh-Ritz J^T), the orthonormalisations that follow each product (8 r^2 d), and the
 * cross-alignment products (2 d^2 k per ordered pair). Matrix-free conv path: each product with one
 * tangent is one linearised branch pass, 2 convolutions. The power-step count q of the dense path
 * stops on a tolerance and {@code AlignmentEngine} does not report it, so it is taken from a probe
 * that reruns the engine's dense decomposition through the public {@link RandomizedSvd} with the
 * engine's options and stacking; the matrix-free path always runs exactly
 * {@code powerIterations} steps.
 */
final class FloorModel {

    /**
     * One category of work.
     *
     * @param name category
     * @param gflopPerSample work per sample
     * @param rate GFLOP/s measured for this category's shapes
     * @param rateShape description of the measured shape
     */
    record Line(String name, double gflopPerSample, double rate, String rateShape) {
        double seconds() {
            return gflopPerSample / rate;
        }
    }

    /**
     * The floor of a workload.
     *
     * @param lines categories of work
     * @param iterations power steps taken (per dense stack, or the matrix-free count)
     * @param iterationNote where the iteration count comes from
     */
    record Floor(List<Line> lines, List<Integer> iterations, String iterationNote) {
        double gflopPerSample() {
            return lines.stream().mapToDouble(Line::gflopPerSample).sum();
        }

        /** Seconds per sample at the rates measured for the same shapes. */
        double seconds() {
            return lines.stream().mapToDouble(Line::seconds).sum();
        }
    }

    private FloorModel() {}

    /** Runs the engine's dense decomposition (same grouping, stacking and options) and returns the power steps of each stack. */
    static List<Integer> probeDenseIterations(ResidualNetwork network, EngineOptions options, int k, float[] inputs, int batch) {
        List<Integer> steps = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager(network.device())) {
            NDArray x = m.create(inputs, new Shape(batch).addAll(new Shape(network.manifest().input().shape())));
            Trajectory trajectory = Trajectory.trace(network, x);
            List<ResidualBlock> blocks = network.blocks();
            Map<String, List<JacobianOperator>> groups = new LinkedHashMap<>();
            for (int i = 0; i < blocks.size(); i++) {
                JacobianOperator op = blocks.get(i).linearize(trajectory.states().get(i));
                if (op.inSize() <= options.denseLimit() && op.outSize() <= options.denseLimit()) {
                    groups.computeIfAbsent(op.outSize() + "x" + op.inSize(), key -> new ArrayList<>()).add(op);
                }
            }
            RandomizedSvd.Options dense = new RandomizedSvd.Options(k, options.oversampling(), options.denseMaxIterations(),
                    options.denseTolerance(), options.seed());
            for (List<JacobianOperator> group : groups.values()) {
                long perBlock = batch * group.get(0).inSize() * group.get(0).outSize();
                int chunk = (int) Math.max(1, Math.min(group.size(), options.denseStackElements() / perBlock));
                for (int start = 0; start < group.size(); start += chunk) {
                    NDList matrices = new NDList();
                    for (JacobianOperator op : group.subList(start, Math.min(group.size(), start + chunk))) {
                        matrices.add(op.dense(m));
                    }
                    NDArray stacked = matrices.size() == 1 ? matrices.get(0) : NDArrays.concat(matrices, 0);
                    TopSingular t = RandomizedSvd.compute(new DenseJacobian(stacked), dense, m);
                    steps.add(t.iterations());
                }
            }
        }
        return steps;
    }

    /** Floor of a dense-path resnet-mlp workload (every block d x d, all stacked in one chunk when they fit). */
    static Floor dense(ResidualNetwork network, EngineOptions options, int k, int batch, List<Integer> iterations, MachineRates rates) {
        List<ResidualBlock> blocks = network.blocks();
        int depth = blocks.size();
        long d = blocks.get(0).inShape().size();
        long in = network.manifest().input().size();
        long classes = network.manifest().numClasses();
        long r = Math.min(k + options.oversampling(), d);
        long perBlock = batch * d * d;
        long chunk = Math.max(1, Math.min(depth, options.denseStackElements() / perBlock));
        long stack = chunk * batch;
        int q = iterations.stream().mapToInt(Integer::intValue).max().orElse(0);
        long pairs = (long) depth * (depth - 1);
        List<Line> lines = new ArrayList<>();
        double forward = 2.0 * in * d + depth * (3 * 2.0 * d * d + 2.0 * d * d) + 2.0 * d * classes;
        lines.add(new Line("forward + masks + exact ||J||_F", forward / 1e9, rates.batchedMatmul(1, batch, d, d),
                "(" + batch + "x" + d + ")x(" + d + "x" + d + ")"));
        lines.add(new Line("Jacobian build (2 d^3 per block)", depth * 2.0 * d * d * d / 1e9, rates.broadcastMatmul(stack, d),
                "(" + stack + "," + d + "," + d + ")x(" + d + "," + d + ")"));
        lines.add(new Line("J products: 2(q+1) x 2 d^2 r", depth * 2.0 * (q + 1) * 2.0 * d * d * r / 1e9,
                rates.batchedMatmulTransposedView(stack, r, d, d), "(" + stack + "," + r + "," + d + ")x(" + stack + "," + d + "," + d + ")^T"));
        lines.add(new Line("orthonormalisation: 2(q+1) x 8 r^2 d", depth * (2.0 * (q + 1) * 8.0 * r * r * d + 4.0 * r * r * d) / 1e9,
                rates.gram(stack, r, d), "(" + stack + "," + r + "," + d + ") Gram"));
        lines.add(new Line("cross-alignment: L(L-1) x 2 d^2 k", pairs * 2.0 * d * d * k / 1e9,
                rates.batchedMatmulTransposedView(batch, k, d, d), "(" + batch + "," + k + "," + d + ")x(" + batch + "," + d + "," + d + ")^T"));
        return new Floor(lines, iterations, "probe: RandomizedSvd on the engine's stacked dense Jacobians, engine options");
    }

    /** Floor of the matrix-free conv workload (BasicBlocks; each product with one tangent is two convolutions). */
    static Floor convolutional(ResidualNetwork network, EngineOptions options, int k, int batch, MachineRates rates) {
        List<ResidualBlock> blocks = network.blocks();
        int q = options.powerIterations();
        double forward = 0;
        double products = 0;
        double productSeconds = 0;
        double orth = 0;
        double cross = 0;
        double crossSeconds = 0;
        Map<Long, double[]> stageRates = new LinkedHashMap<>();
        long[] stem = network.manifest().input().shape();
        Shape first = blocks.get(0).inShape();
        forward += 2.0 * stem[0] * first.get(0) * 9 * first.get(1) * first.get(2);
        long r = 0;
        for (ResidualBlock b : blocks) {
            Shape in = b.inShape();
            Shape out = b.outShape();
            long ci = in.get(0);
            long co = out.get(0);
            long hw = out.get(1) * out.get(2);
            r = Math.min(k + options.oversampling(), Math.min(in.size(), out.size()));
            double conv1 = 2.0 * 9 * hw * co * ci;
            double conv2 = 2.0 * 9 * hw * co * co;
            double perTangent = conv1 + conv2;
            forward += perTangent + conv1 + (b.isSquare() ? 0 : 2.0 * ci * co * hw);
            // DJL 0.36's PyTorch engine has no transposed convolution; the adjoint of a stride-1 conv is a conv
            // with the flipped, channel-swapped kernel at the same cost, so both directions use the conv rate.
            double convRate = stageRates.computeIfAbsent(co, c -> new double[] {
                rates.conv3x3((long) batch * (k + options.oversampling()), c, out.get(1))})[0];
            double[] rate = {convRate, convRate};
            double apply = (q + 1) * r * perTangent;
            double transpose = (q + 1) * r * perTangent;
            products += apply + transpose;
            productSeconds += apply / 1e9 / rate[0] + transpose / 1e9 / rate[1];
            orth += (q + 1) * 8.0 * r * r * (in.size() + out.size()) + 2.0 * r * r * (in.size() + out.size());
            for (ResidualBlock partner : blocks) {
                if (partner != b && NaiveBaseline.comparable(b, partner)) {
                    double f = k * perTangent;
                    cross += f;
                    crossSeconds += f / 1e9 / rate[0];
                }
            }
        }
        double[] layer1 = stageRates.values().iterator().next();
        List<Line> lines = new ArrayList<>();
        lines.add(new Line("forward + masks", forward / 1e9, layer1[0], "layer1 conv 3x3"));
        lines.add(new Line("J products: 2(q+1) r x 2 convs", products / 1e9, products / 1e9 / productSeconds,
                "per-stage 3x3 conv on " + batch + "*" + r + " images, both directions"));
        long n = blocks.get(0).inShape().size();
        lines.add(new Line("orthonormalisation: 8 r^2 n per product", orth / 1e9, rates.gram(batch, r, n), "(" + batch + "," + r + "," + n
                + ") Gram"));
        lines.add(new Line("cross-alignment: k x 2 convs per pair", cross / 1e9, cross > 0 ? cross / 1e9 / crossSeconds : 1,
                "per-stage 3x3 conv"));
        StringBuilder note = new StringBuilder("matrix-free path runs exactly powerIterations = " + q + " steps (tolerance 0); conv rates GFLOP/s by width:");
        stageRates.forEach((c, v) -> note.append(String.format(" %d ch %.1f;", c, v[0])));
        return new Floor(lines, List.of(q), note.toString());
    }
}
