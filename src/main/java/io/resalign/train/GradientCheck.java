package io.resalign.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Compares a network's float32 training gradients with a float64 computation of the same network
 * and batch: the gradient of every trainable parameter and of the input, for the loss
 * {@code sum(logits * w)} with a fixed random cotangent w, in training mode (BatchNorm on batch
 * statistics).
 *
 * <p>Why: oneDNN's float32 convolution backward kernels returned wrong gradients for small
 * channel counts at batch &gt; 1 under some CPU instruction sets (docs/engine.md, "CPU
 * environment"); which ISA is broken differs between machines. A conv network must not be trained
 * on such gradients, so the conv trainer runs this check on its own architecture and a real batch
 * before it starts ({@link ConvTraining}). float64 convolutions were right everywhere.
 *
 * <p>The float64 network is a second block built with {@code initialize(..., FLOAT64, ...)} and
 * the float32 parameters copied in ({@code Block.cast} is not implemented in DJL 0.36).
 */
public final class GradientCheck {
    /**
     * The largest relative error accepted. Correct float32 gradients measured 1e-6 to 1e-5 with
     * BatchNorm and up to 1.5e-3 without it (small activations near ReLU kinks); the oneDNN bug gave
     * 0.12-1.1, or NaN.
     */
    public static final double TOLERANCE = 1e-2;

    /**
     * The relative errors of one check, by tensor ({@code input} and the DJL parameter names).
     *
     * @param errors ||g32 - g64|| / ||g64|| per tensor (NaN when float32 gave NaN)
     */
    public record Result(Map<String, Double> errors) {
        public Result {
            errors = Map.copyOf(errors);
        }

        /** Returns the tensor with the largest error (NaN counts as the largest). */
        public String worst() {
            return errors.entrySet().stream().max((a, b) -> Double.compare(rank(a.getValue()), rank(b.getValue())))
                    .map(Map.Entry::getKey).orElseThrow();
        }

        /** Returns the largest relative error (NaN when any gradient was NaN). */
        public double maxError() {
            return errors.get(worst());
        }

        /** Returns whether every gradient is within {@link #TOLERANCE}. */
        public boolean passed() {
            double max = maxError();
            return !Double.isNaN(max) && max <= TOLERANCE;
        }

        private static double rank(double v) {
            return Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
        }
    }

    private GradientCheck() {}

    /**
     * Runs the check.
     *
     * @param factory builds a fresh, uninitialised network (called twice)
     * @param input a float32 batch of preprocessed inputs (batch &gt; 1 matters: the bug needed it)
     * @param seed seeds the cotangent and the float32 initialisation
     * @return the relative error of every gradient
     */
    public static Result run(Supplier<Block> factory, NDArray input, long seed) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed((int) seed);
            Block b32 = factory.get();
            Block b64 = factory.get();
            for (Block b : new Block[] {b32, b64}) {
                b.setInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN, 1f),
                        Parameter.Type.WEIGHT);
            }
            Shape shape = input.getShape();
            b32.initialize(m, DataType.FLOAT32, shape);
            b64.initialize(m, DataType.FLOAT64, shape);
            for (var entry : b32.getParameters()) {
                Parameter p64 = b64.getParameters().get(entry.getKey());
                p64.getArray().set(entry.getValue().getArray().toType(DataType.FLOAT64, false).toByteBuffer());
            }
            NDArray x32 = m.create(input.toFloatArray(), shape);
            NDArray cotangent = m.randomNormal(b32.getOutputShapes(new Shape[] {shape})[0]);
            Map<String, double[]> g32 = gradients(b32, x32, cotangent, m);
            Map<String, double[]> g64 = gradients(b64, x32.toType(DataType.FLOAT64, false), cotangent.toType(DataType.FLOAT64, false), m);
            Map<String, Double> errors = new LinkedHashMap<>();
            g64.forEach((name, expected) -> errors.put(name, relativeError(g32.get(name), expected)));
            return new Result(errors);
        }
    }

    /** Returns the gradients of {@code sum(block(x) * cotangent)} w.r.t. x and every trainable parameter, in float64 arrays. */
    private static Map<String, double[]> gradients(Block block, NDArray x, NDArray cotangent, NDManager m) {
        Map<String, double[]> out = new LinkedHashMap<>();
        try (NDManager scope = m.newSubManager()) {
            NDArray input = x.duplicate();
            input.attach(scope);
            input.setRequiresGradient(true);
            // Gradients are read before the collector closes: only one may collect at a time, and
            // the next one zeroes every gradient.
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = block.forward(new ParameterStore(scope, false), new NDList(input), true).singletonOrThrow();
                collector.backward(logits.mul(cotangent).sum());
                out.put("input", input.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
                for (var entry : block.getParameters()) {
                    Parameter p = entry.getValue();
                    if (p.requiresGradient()) {
                        out.put(entry.getKey(), p.getArray().getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
                    }
                }
            }
        }
        return out;
    }

    private static double relativeError(double[] actual, double[] expected) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            diff += d * d;
            norm += expected[i] * expected[i];
        }
        if (Double.isNaN(diff)) {
            return Double.NaN;
        }
        // Gradients that vanish in exact arithmetic (a bias before BatchNorm, a dead unit) are
        // float rounding in both precisions: compare them on an absolute scale of 1e-6.
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-6);
    }

    /** Describes a result in one line: the worst tensor and its error, and the ISA setting. */
    public static String describe(Result result) {
        String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
        return String.format(Locale.ROOT, "largest float32 vs float64 gradient error %.3g at '%s' over %d tensors (tolerance %.0e; "
                + "ONEDNN_MAX_CPU_ISA=%s)", result.maxError(), result.worst(), result.errors().size(), TOLERANCE, isa == null ? "unset" : isa);
    }
}
