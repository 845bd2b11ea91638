package io.resalign.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import java.util.ArrayList;
import java.util.List;

/**
 * Estimates the naive baseline where it cannot run (the conv workload: 65536 rows per block and a
 * 65536 x 65536 SVD): times a subset of per-row autograd passes of every block and one full ojAlgo
 * SVD of a smaller square matrix, then extrapolates (rows linearly, SVD cost as m n min(m, n)).
 */
final class NaiveExtrapolation {

    /**
     * One block's measurement and extrapolation.
     *
     * @param block block name
     * @param rows rows of the Jacobian (out size)
     * @param columns columns (in size)
     * @param secondsPerRow measured time of one backward pass (the row for every sample of the batch)
     * @param jacobianSecondsPerSample extrapolated time to build the sample's full Jacobian
     * @param svdSecondsPerSample extrapolated time of its full SVD
     */
    record BlockEstimate(String block, long rows, long columns, double secondsPerRow, double jacobianSecondsPerSample,
            double svdSecondsPerSample) {}

    /**
     * The estimate.
     *
     * @param blocks per-block estimates
     * @param measuredRows rows timed per block
     * @param svdSize side of the SVD actually timed
     * @param svdSeconds its time
     */
    record Estimate(List<BlockEstimate> blocks, int measuredRows, int svdSize, double svdSeconds) {
        double secondsPerSample() {
            return blocks.stream().mapToDouble(b -> b.jacobianSecondsPerSample() + b.svdSecondsPerSample()).sum();
        }

        double jacobianSecondsPerSample() {
            return blocks.stream().mapToDouble(BlockEstimate::jacobianSecondsPerSample).sum();
        }

        double svdSecondsPerSample() {
            return blocks.stream().mapToDouble(BlockEstimate::svdSecondsPerSample).sum();
        }
    }

    private NaiveExtrapolation() {}

    static Estimate estimate(ResidualNetwork network, float[] inputs, int batch, int rowsPerBlock, int svdSize) {
        List<ResidualBlock> blocks = network.blocks();
        float[][] states = new float[blocks.size()][];
        try (NDManager m = NDManager.newBaseManager(network.device())) {
            NDArray x = m.create(inputs, new Shape(batch).addAll(new Shape(network.manifest().input().shape())));
            Trajectory trajectory = Trajectory.trace(network, x);
            for (int l = 0; l < blocks.size(); l++) {
                states[l] = trajectory.states().get(l).toFloatArray();
            }
        }
        double svd = MachineRates.ojalgoSvdSeconds(svdSize, Workload.SEED);
        double svdUnit = (double) svdSize * svdSize * svdSize;
        List<BlockEstimate> out = new ArrayList<>();
        for (int l = 0; l < blocks.size(); l++) {
            ResidualBlock block = blocks.get(l);
            long rows = block.outShape().size();
            long cols = block.inShape().size();
            NaiveBaseline.rowByAutograd(network, block, states[l], batch, 0); // warm-up
            long t0 = System.nanoTime();
            for (int j = 0; j < rowsPerBlock; j++) {
                NaiveBaseline.rowByAutograd(network, block, states[l], batch, (long) j * rows / rowsPerBlock);
            }
            double perRow = (System.nanoTime() - t0) / 1e9 / rowsPerBlock;
            double svdBlock = svd * rows * cols * Math.min(rows, cols) / svdUnit;
            out.add(new BlockEstimate(block.name(), rows, cols, perRow, perRow * rows / batch, svdBlock));
        }
        return new Estimate(out, rowsPerBlock, svdSize, svd);
    }
}
