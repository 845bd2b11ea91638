package io.resalign.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.metrics.RaFormulas;
import io.resalign.engine.metrics.StageMetrics;
import java.util.ArrayList;
import java.util.List;

/**
 * Computes the RA1 metrics (line shape, step variation) of each sample's trajectory, per stage:
 * a maximal run of consecutive representations of equal shape with at least two steps.
 */
final class TrajectoryShape {
    private TrajectoryShape() {}

    /** Returns, per sample, the stage metrics of every stage with two or more steps. */
    static List<List<StageMetrics>> stages(Trajectory trajectory, List<ResidualBlock> blocks) {
        List<NDArray> states = trajectory.states();
        int batch = Math.toIntExact(states.get(0).getShape().get(0));
        // runs [start, end] of equal-shape states
        List<int[]> runs = new ArrayList<>();
        int start = 0;
        for (int l = 1; l <= states.size(); l++) {
            if (l == states.size() || !states.get(l).getShape().equals(states.get(start).getShape())) {
                if (l - 1 - start >= 2) {
                    runs.add(new int[] {start, l - 1});
                }
                start = l;
            }
        }
        List<List<StageMetrics>> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            out.add(new ArrayList<>());
        }
        if (runs.isEmpty()) {
            return out;
        }
        // One transfer: every step norm and every end-to-end norm, (rows, B).
        NDList norms = new NDList();
        for (int[] run : runs) {
            for (int l = run[0]; l < run[1]; l++) {
                norms.add(distance(states.get(l + 1), states.get(l)));
            }
            norms.add(distance(states.get(run[1]), states.get(run[0])));
        }
        float[] values = NDArrays.stack(norms).toFloatArray();
        int row = 0;
        for (int[] run : runs) {
            int steps = run[1] - run[0];
            String name = blocks.get(run[0]).stage();
            for (int b = 0; b < batch; b++) {
                double[] stepNorms = new double[steps];
                for (int s = 0; s < steps; s++) {
                    stepNorms[s] = values[(row + s) * batch + b];
                }
                double endToEnd = values[(row + steps) * batch + b];
                out.get(b).add(new StageMetrics(name, steps, RaFormulas.lineShape(stepNorms, endToEnd), RaFormulas.stepCv(stepNorms)));
            }
            row += steps + 1;
        }
        return out;
    }

    private static NDArray distance(NDArray a, NDArray b) {
        long batch = a.getShape().get(0);
        return a.sub(b).reshape(batch, -1).square().sum(new int[] {1}).sqrt();
    }
}
