package io.resalign.repro;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.RaFormulas;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.train.LabelledImages;
import io.resalign.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Analyses one trained model for the reproduction: test accuracy (engine forward pass on the whole
 * test set), the engine's per-sample metrics on the first N test images, the trajectories'
 * 2-D PCA (RA1), the |U_i^T J_j V_i| grid of one sample (RA2), and full singular value spectra of
 * the explicit Jacobians (RA3).
 *
 * <p>The RA2 grid and the spectra use the explicit Jacobians from
 * {@code ResidualBlock.linearize(h).dense(manager)} with a full float64 SVD by ojAlgo: an
 * independent route from the engine's randomized top-k SVD, which it also cross-checks
 * (the engine's cross_alignment of the grid sample against the one recomputed from the full SVDs).
 */
final class ModelAnalysis {
    static final int ENGINE_BATCH = 50;
    static final double TAU = 1e-2;

    private ModelAnalysis() {}

    /** The numbers of one model that the report's tables and verdicts use. */
    record Summary(String name, int depth, boolean skip, int width, double testAccuracy, boolean trained, double trainingSeconds,
            double analysisSeconds, int samples, double lineShapeMedian, double stepCvMedian, double pc1FractionMedian,
            double alignmentMean, double alignmentMedian, double selfAlignmentMean, double effectiveRankFullMean,
            double effectiveRankFullMax, double effectiveRankAtMostCFraction, double stableRankMean, double energyBeyondCMean,
            double engineEffectiveRankMean, double engineSaturatedFraction, double sigma1Mean, double depthScaledSigma1Mean,
            double gridDiagonalShare, double engineVsFullSvdCrossMaxDiff, double pcaTop2Explained, int classes) {}

    record Result(Summary summary, Map<String, Object> data) {}

    static Result run(Path modelDir, TrainConfig recipe, ModelStore.Located located, LabelledImages test, Grid grid,
            Consumer<String> log) throws IOException {
        long start = System.nanoTime();
        int per = test.sampleLength();
        int n = Math.min(grid.samples(), test.size());
        try (ResidualNetwork network = Architectures.load(modelDir, Device.cpu());
             AlignmentEngine engine = new AlignmentEngine(network, EngineOptions.defaults());
             NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            int classes = network.manifest().numClasses();
            long[] inShape = network.manifest().input().shape();
            int depth = network.blocks().size();
            int k = engine.k();

            // accuracy on the whole test set, through the engine's own forward pass
            long correct = 0;
            for (int from = 0; from < test.size(); from += 1000) {
                int m = Math.min(1000, test.size() - from);
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = scope.create(Arrays.copyOfRange(test.data(), from * per, (from + m) * per),
                            new Shape(m).addAll(new Shape(inShape)));
                    long[] p = Trajectory.trace(network, x).logits().argMax(1).toLongArray();
                    for (int i = 0; i < m; i++) {
                        correct += p[i] == test.labels()[from + i] ? 1 : 0;
                    }
                }
            }
            double accuracy = correct / (double) test.size();

            // the engine's metrics
            long engineStart = System.nanoTime();
            List<SampleMetrics> metrics = new ArrayList<>(n);
            for (int from = 0; from < n; from += ENGINE_BATCH) {
                int m = Math.min(ENGINE_BATCH, n - from);
                metrics.addAll(engine.analyse(Arrays.copyOfRange(test.data(), from * per, (from + m) * per), m, from));
            }
            double engineSeconds = (System.nanoTime() - engineStart) / 1e9;
            log.accept(String.format(java.util.Locale.ROOT, "    engine: %d samples in %.1f s", n, engineSeconds));

            // RA1: trajectories
            int t = Math.min(grid.trajectorySamples(), n);
            double[] pc1 = new double[n];
            List<double[][]> kept = new ArrayList<>();
            for (int from = 0; from < n; from += ENGINE_BATCH) {
                int m = Math.min(ENGINE_BATCH, n - from);
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = scope.create(Arrays.copyOfRange(test.data(), from * per, (from + m) * per),
                            new Shape(m).addAll(new Shape(inShape)));
                    Trajectory tr = Trajectory.trace(network, x);
                    List<float[]> states = new ArrayList<>();
                    for (NDArray h : tr.states()) {
                        states.add(h.toFloatArray());
                    }
                    int d = states.get(0).length / m;
                    for (int b = 0; b < m; b++) {
                        double[][] pts = new double[depth + 1][d];
                        for (int l = 0; l <= depth; l++) {
                            for (int i = 0; i < d; i++) {
                                pts[l][i] = states.get(l)[b * d + i];
                            }
                        }
                        pc1[from + b] = Dense.firstComponentFraction(pts);
                        if (from + b < t) {
                            kept.add(pts);
                        }
                    }
                }
            }
            List<double[]> all = new ArrayList<>();
            kept.forEach(p -> all.addAll(Arrays.asList(p)));
            Dense.Pca pca = Dense.pca(all.toArray(new double[0][]), 2);
            List<Object> projected = new ArrayList<>();
            for (double[][] pts : kept) {
                List<Object> path = new ArrayList<>();
                for (double[] p : pts) {
                    double[] xy = pca.project(p);
                    path.add(List.of(xy[0], xy[1]));
                }
                projected.add(path);
            }

            // RA2 grid (sample 0) and RA3 spectra (first S samples) from explicit Jacobians and full SVDs
            int s = Math.max(1, Math.min(grid.spectrumSamples(), n));
            double[][][] spectra = new double[depth][s][];
            float[][] gridJacobians = new float[depth][];
            int d = 0;
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = scope.create(Arrays.copyOfRange(test.data(), 0, s * per), new Shape(s).addAll(new Shape(inShape)));
                Trajectory tr = Trajectory.trace(network, x);
                for (int l = 0; l < depth; l++) {
                    ResidualBlock block = network.blocks().get(l);
                    try (NDManager blockScope = scope.newSubManager()) {
                        NDArray j = block.linearize(tr.states().get(l)).dense(blockScope);
                        int rows = (int) j.getShape().get(1);
                        int cols = (int) j.getShape().get(2);
                        d = cols;
                        float[] values = j.toFloatArray();
                        gridJacobians[l] = Arrays.copyOfRange(values, 0, rows * cols);
                        for (int b = 0; b < s; b++) {
                            spectra[l][b] = Dense.singularValues(values, b * rows * cols, rows, cols);
                        }
                    }
                }
            }
            FullSvdGrid fullGrid = FullSvdGrid.of(gridJacobians, d, k, metrics.get(0), TAU);
            Dense.Svd[] svds = fullGrid.svds();
            SampleMetrics first = metrics.get(0);

            // aggregates
            double[] lineShape = metrics.stream().mapToDouble(SampleMetrics::lineShape).toArray();
            double[] stepCv = metrics.stream().mapToDouble(SampleMetrics::stepCv).toArray();
            double[] alignment = metrics.stream().mapToDouble(SampleMetrics::alignment).toArray();
            double[] selfAlignment = metrics.stream()
                    .mapToDouble(m -> RaFormulas.mean(m.blocks().stream().mapToDouble(BlockMetrics::selfAlignment).toArray())).toArray();
            double[] dss = metrics.stream().mapToDouble(SampleMetrics::depthScaledSigma1).toArray();
            int[] labels = Arrays.copyOf(test.labels(), n);
            int[] predicted = metrics.stream().mapToInt(SampleMetrics::predicted).toArray();

            List<Map<String, Object>> blocks = new ArrayList<>();
            double effSum = 0;
            double effMax = 0;
            double effLeC = 0;
            double stableSum = 0;
            double beyondSum = 0;
            int cells = 0;
            double engineRank = 0;
            double engineSaturated = 0;
            double sigma1 = 0;
            for (int l = 0; l < depth; l++) {
                final int bl = l;
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("name", network.blocks().get(l).name());
                double[] sig = metrics.stream().mapToDouble(m -> m.blocks().get(bl).sigma1()).toArray();
                b.put("sigma1_mean", Json.num(RaFormulas.mean(sig)));
                b.put("sigma1_median", Json.num(median(sig)));
                b.put("engine_stable_rank_mean",
                        Json.num(RaFormulas.mean(metrics.stream().mapToDouble(m -> m.blocks().get(bl).stableRank()).toArray())));
                double er = metrics.stream().mapToDouble(m -> m.blocks().get(bl).effectiveRank()).average().orElse(Double.NaN);
                double sat = metrics.stream().mapToDouble(m -> m.blocks().get(bl).effectiveRankSaturated() ? 1 : 0).average().orElse(Double.NaN);
                b.put("engine_effective_rank_mean", Json.num(er));
                b.put("engine_effective_rank_saturated_fraction", Json.num(sat));
                b.put("self_alignment_mean",
                        Json.num(RaFormulas.mean(metrics.stream().mapToDouble(m -> m.blocks().get(bl).selfAlignment()).toArray())));
                b.put("alignment_mean",
                        Json.num(RaFormulas.mean(metrics.stream().mapToDouble(m -> m.blocks().get(bl).alignment()).toArray())));
                engineRank += er / depth;
                engineSaturated += sat / depth;
                sigma1 += RaFormulas.mean(sig) / depth;
                // full spectra
                int top = Math.min(2 * classes, d);
                double[] meanTop = new double[top];
                double[] meanNormalised = new double[d];
                double[] eff = new double[s];
                double[] stable = new double[s];
                double[] beyond = new double[s];
                for (int q = 0; q < s; q++) {
                    double[] sv = spectra[l][q];
                    double fro = 0;
                    double tail = 0;
                    for (int m = 0; m < sv.length; m++) {
                        fro += sv[m] * sv[m];
                        if (m >= classes) {
                            tail += sv[m] * sv[m];
                        }
                        if (m < top) {
                            meanTop[m] += sv[m] / s;
                        }
                        meanNormalised[m] += (sv[0] > 0 ? sv[m] / sv[0] : 0) / s;
                    }
                    eff[q] = RaFormulas.effectiveRank(sv, TAU);
                    stable[q] = sv[0] > 0 ? fro / (sv[0] * sv[0]) : Double.NaN;
                    beyond[q] = fro > 0 ? tail / fro : Double.NaN;
                    effSum += eff[q];
                    effMax = Math.max(effMax, eff[q]);
                    effLeC += eff[q] <= classes ? 1 : 0;
                    stableSum += stable[q];
                    beyondSum += beyond[q];
                    cells++;
                }
                b.put("spectrum_top_mean", Json.nums(meanTop));
                b.put("spectrum_normalised_mean", Json.nums(meanNormalised));
                b.put("effective_rank_full", Json.nums(eff));
                b.put("stable_rank_full", Json.nums(stable));
                b.put("energy_beyond_C", Json.nums(beyond));
                blocks.add(b);
            }
            double[][] crossMean = new double[depth][depth];
            for (int i = 0; i < depth; i++) {
                for (int j = 0; j < depth; j++) {
                    final int a = i;
                    final int c = j;
                    crossMean[i][j] = i == j ? Double.NaN
                            : RaFormulas.mean(metrics.stream().mapToDouble(m -> m.crossAlignment()[a][c]).toArray());
                }
            }

            double seconds = (System.nanoTime() - start) / 1e9;
            Summary summary = new Summary(recipe.name(), depth, recipe.skip(), recipe.width(), accuracy, located.trained(),
                    located.trainingSeconds(), seconds, n, median(lineShape), median(stepCv), median(pc1), RaFormulas.mean(alignment),
                    median(alignment), RaFormulas.mean(selfAlignment), effSum / cells, effMax, effLeC / cells, stableSum / cells,
                    beyondSum / cells, engineRank, engineSaturated, sigma1, RaFormulas.mean(dss), fullGrid.diagonalShare(),
                    fullGrid.maxEngineDifference(), pca.explained(0) + pca.explained(1), classes);

            Map<String, Object> data = new LinkedHashMap<>();
            data.put("name", recipe.name());
            data.put("model_dir", modelDir.toString());
            data.put("depth", depth);
            data.put("width", recipe.width());
            data.put("skip", recipe.skip());
            data.put("classes", classes);
            data.put("k", k);
            data.put("summary", Json.record(summary));
            Map<String, Object> ps = new LinkedHashMap<>();
            ps.put("label", labels);
            ps.put("predicted", predicted);
            ps.put("line_shape", Json.nums(lineShape));
            ps.put("step_cv", Json.nums(stepCv));
            ps.put("pc1_fraction", Json.nums(pc1));
            ps.put("alignment", Json.nums(alignment));
            ps.put("self_alignment", Json.nums(selfAlignment));
            ps.put("depth_scaled_sigma1", Json.nums(dss));
            data.put("per_sample", ps);
            data.put("per_block", blocks);
            data.put("cross_alignment_mean", Json.matrix(crossMean));
            Map<String, Object> traj = new LinkedHashMap<>();
            traj.put("labels", Arrays.copyOf(test.labels(), t));
            traj.put("explained_variance", List.of(Json.num(pca.explained(0)), Json.num(pca.explained(1))));
            traj.put("points", projected);
            data.put("trajectories", traj);
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("sample_index", 0);
            g.put("label", test.labels()[0]);
            g.put("predicted", first.predicted());
            g.put("svd", "full float64 SVD (ojAlgo) of the explicit Jacobians from ResidualBlock.linearize(h).dense()");
            List<Object> sig1 = new ArrayList<>();
            for (Dense.Svd svd : svds) {
                sig1.add(Json.num(svd.s()[0]));
            }
            g.put("sigma1", sig1);
            List<Object> tileList = new ArrayList<>();
            for (double[][][] row : fullGrid.tiles()) {
                List<Object> r = new ArrayList<>();
                for (double[][] tile : row) {
                    r.add(Json.matrix(tile));
                }
                tileList.add(r);
            }
            g.put("tiles", tileList);
            g.put("cross_alignment_full_svd", Json.matrix(fullGrid.crossAlignment()));
            g.put("cross_alignment_engine", Json.matrix(first.crossAlignment()));
            data.put("ra2_grid", g);
            return new Result(summary, data);
        }
    }

    static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : 0.5 * (v[v.length / 2 - 1] + v[v.length / 2]);
    }
}
