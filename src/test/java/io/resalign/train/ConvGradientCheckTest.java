package io.resalign.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Float32 conv training gradients (weights and input) of a small BasicBlock network (4 and 8
 * channels, batch 3: where oneDNN's kernels went wrong) against the same network in float64.
 *
 * <p>Which instruction set gives wrong gradients differs between machines, so the test does not
 * assume either outcome: when float32 disagrees with float64 the trainer must refuse to train;
 * when they agree it must train. Maven runs this class under the default ISA, with
 * {@code ONEDNN_MAX_CPU_ISA=AVX2} forced (execution {@code jacobians-under-onednn-avx2}) and with
 * {@code SSE41} (execution {@code conv-training-under-onednn-sse41}, where it must agree).
 */
class ConvGradientCheckTest {
    private static final ConvSpec SMALL = new ConvSpec("cifar", new int[] {4, 8}, new int[] {1, 1}, true, true, 1e-5f,
            new long[] {1, 28, 28}, 10);

    @Test
    void shouldRefuseToTrainWhenFloat32GradientsDisagreeWithFloat64() throws IOException {
        LabelledImages train = Datasets.FASHION_MNIST.train(Datasets.FASHION_MNIST.defaultDir()).head(3);
        TrainConfig config = TrainConfig.defaults().withName("gradient-check").withRun(1, 3, 1e-3f, 5L, 0);
        GradientCheck.Result check = ConvTraining.checkGradients(config, SMALL, train);
        String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
        System.out.println("ONEDNN_MAX_CPU_ISA=" + isa + ": " + GradientCheck.describe(check));
        if ("SSE41".equals(isa)) {
            // The ISA docs/training.md prescribes for training: it must be right, and training must go ahead.
            assertTrue(check.passed(), GradientCheck.describe(check) + " " + check.errors());
            try (TrainedConv trained = ConvTraining.train(config, SMALL, train, null, s -> {})) {
                assertTrue(trained.gradientCheck().passed());
            }
            return;
        }
        // Under other ISAs oneDNN's corruption is intermittent (measured: the check above passed with
        // 2.6e-6 and training's own check of the same batch then failed with 0.44), so training is held
        // to its own check: it trains only on a passing check, and otherwise refuses naming the fix.
        try (TrainedConv trained = ConvTraining.train(config, SMALL, train, null, s -> {})) {
            assertTrue(trained.gradientCheck().passed(), GradientCheck.describe(trained.gradientCheck()));
        } catch (ConvTraining.CorruptGradientsException e) {
            assertTrue(e.getMessage().contains("ONEDNN_MAX_CPU_ISA"), e.getMessage());
        }
    }

    @Test
    void shouldDetectAFloat32ComputationThatDiffersFromFloat64() {
        // A block whose float32 forward is off by 5 % must fail the check: the check can fail. (1 %
        // sat exactly on the 1e-2 tolerance and passed or failed by rounding.) The block is a
        // resnet-mlp (no convolutions), so this holds whatever oneDNN does to convolutions.
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.randomNormal(new Shape(3, 784));
            GradientCheck.Result ok = GradientCheck.run(() -> new Skewed(1.0), x, 3);
            GradientCheck.Result skewed = GradientCheck.run(() -> new Skewed(1.05), x, 3);
            assertTrue(ok.maxError() < 1e-4, "identical computations: " + ok.errors());
            assertFalse(skewed.passed(), "a 5 % float32-only change: " + skewed.errors());
        }
    }

    /** A small ResNetMlp whose float32 output is scaled by a factor (float64 is not). */
    private static final class Skewed extends AbstractBlock {
        private final ResNetMlp net = addChildBlock("net", new ResNetMlp(new MlpSpec(16, 2, false, true, "identity", 1e-5f, 784, 10)));
        private final double factor;

        Skewed(double factor) {
            this.factor = factor;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray y = net.forward(ps, inputs, training).singletonOrThrow();
            return new NDList(y.getDataType() == DataType.FLOAT32 ? y.mul((float) factor) : y);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return net.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            net.initialize(manager, dataType, inputShapes);
        }
    }
}
