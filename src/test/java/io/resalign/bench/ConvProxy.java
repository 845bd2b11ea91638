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
import io.resalign.engine.jacobian.Autograd;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.svd.RandomizedSvd;
import io.resalign.engine.svd.TopSingular;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the engine's matrix-free pipeline from public engine APIs when {@code AlignmentEngine}
 * itself cannot (DJL 0.36's PyTorch engine has no transposed convolution, so the conv blocks'
 * {@code J^T U} throws): forward trace, each block's exact linearisation for {@code J V}, an
 * autograd VJP of the branch (one backward pass per batch of tangents) for {@code J^T U}, the
 * engine's {@link RandomizedSvd} with the engine's matrix-free options, the self-alignment dots and
 * the cross-alignment products. Phases are timed separately. RA1 and the per-sample bookkeeping
 * (well under 1% elsewhere) are left out.
 */
final class ConvProxy {
    private ConvProxy() {}

    /** J V by the block's linearisation, J^T U by autograd; accumulates the time of each. */
    private static final class AutogradAdjoint implements JacobianOperator {
        private final ResidualBlock block;
        private final NDArray h;
        private final JacobianOperator linear;
        private final Map<String, Double> clock;

        AutogradAdjoint(ResidualBlock block, NDArray h, JacobianOperator linear, Map<String, Double> clock) {
            this.block = block;
            this.h = h;
            this.linear = linear;
            this.clock = clock;
        }

        @Override
        public long batchSize() {
            return linear.batchSize();
        }

        @Override
        public long inSize() {
            return linear.inSize();
        }

        @Override
        public long outSize() {
            return linear.outSize();
        }

        @Override
        public NDArray apply(NDArray v) {
            long t0 = System.nanoTime();
            NDArray out = linear.apply(v);
            out.toFloatArray(); // nothing is lazy on the CPU; keep the clock honest elsewhere too
            clock.merge("SVD: J products (J V, linearisation)", (System.nanoTime() - t0) / 1e9, Double::sum);
            return out;
        }

        @Override
        public NDArray applyTranspose(NDArray u) {
            long t0 = System.nanoTime();
            NDManager owner = u.getManager();
            NDArray out;
            try (NDManager scope = owner.newSubManager()) {
                NDArray hs = h.duplicate();
                hs.attach(scope);
                NDArray us = u.duplicate();
                us.attach(scope);
                out = Autograd.vjp(block::branch, hs, us);
                out.attach(owner);
            }
            clock.merge("SVD: J^T products (autograd VJP)", (System.nanoTime() - t0) / 1e9, Double::sum);
            return out;
        }
    }

    /**
     * Analyses one batch and returns the seconds per phase for the whole batch.
     *
     * @param network the conv network
     * @param options engine options (matrix-free settings are used)
     * @param k triplets per block
     * @param inputs the batch
     * @param batch samples
     */
    static Map<String, Double> run(ResidualNetwork network, EngineOptions options, int k, float[] inputs, int batch) {
        Map<String, Double> clock = new LinkedHashMap<>();
        List<ResidualBlock> blocks = network.blocks();
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(network.device())) {
            long t0 = System.nanoTime();
            NDArray x = m.create(inputs, new Shape(batch).addAll(new Shape(network.manifest().input().shape())));
            Trajectory trajectory = Trajectory.trace(network, x);
            trajectory.logits().toFloatArray();
            clock.put("forward (trace h_0..h_L)", (System.nanoTime() - t0) / 1e9);
            t0 = System.nanoTime();
            JacobianOperator[] ops = new JacobianOperator[blocks.size()];
            for (int i = 0; i < ops.length; i++) {
                NDArray h = trajectory.states().get(i);
                ops[i] = new AutogradAdjoint(blocks.get(i), h, blocks.get(i).linearize(h), clock);
            }
            clock.put("linearise (ReLU masks)", (System.nanoTime() - t0) / 1e9);
            t0 = System.nanoTime();
            TopSingular[] svd = new TopSingular[ops.length];
            RandomizedSvd.Options o = new RandomizedSvd.Options(k, options.oversampling(), options.powerIterations(), 0, options.seed());
            for (int i = 0; i < ops.length; i++) {
                svd[i] = RandomizedSvd.compute(ops[i], o, m);
            }
            double svdTotal = (System.nanoTime() - t0) / 1e9;
            double products = clock.getOrDefault("SVD: J products (J V, linearisation)", 0.0)
                    + clock.getOrDefault("SVD: J^T products (autograd VJP)", 0.0);
            clock.put("SVD: orthonormalisation, sketch, small problems", svdTotal - products);
            t0 = System.nanoTime();
            for (int i = 0; i < ops.length; i++) {
                if (blocks.get(i).isSquare()) {
                    svd[i].left().mul(svd[i].right()).sum(new int[] {2}).toFloatArray();
                }
            }
            clock.put("self-alignment", (System.nanoTime() - t0) / 1e9);
            t0 = System.nanoTime();
            double before = clock.getOrDefault("SVD: J products (J V, linearisation)", 0.0);
            NDList projections = new NDList();
            for (int i = 0; i < ops.length; i++) {
                for (int j = 0; j < ops.length; j++) {
                    if (i != j && NaiveBaseline.comparable(blocks.get(i), blocks.get(j))) {
                        projections.add(ops[j].apply(svd[i].right()).mul(svd[i].left()).sum(new int[] {2}));
                    }
                }
            }
            if (!projections.isEmpty()) {
                NDArrays.stack(projections).toFloatArray();
            }
            // the cross products went through apply's clock: move them to their own phase
            double crossProducts = clock.get("SVD: J products (J V, linearisation)") - before;
            clock.put("SVD: J products (J V, linearisation)", before);
            clock.put("cross-alignment", (System.nanoTime() - t0) / 1e9);
            clock.put("cross-alignment (of which products)", crossProducts);
        }
        clock.put("total", (System.nanoTime() - start) / 1e9);
        return clock;
    }
}
