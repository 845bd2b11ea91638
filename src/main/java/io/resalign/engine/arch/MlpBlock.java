package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.nn.BatchNorm;
import io.resalign.engine.nn.Linear;
import java.util.Optional;

/**
 * Holds one block of the fully-connected ResNet: {@code F(h) = [bn2](fc2(relu([bn1](fc1(h)))))}.
 *
 * <p>Its Jacobian has the closed form {@code J = A diag(mask) B} with {@code A = diag(g2) W2},
 * {@code B = diag(g1) W1} fixed per model and only the ReLU mask depending on the sample, so the
 * products cost two (d x d) matrix products per tangent and the Frobenius norm is exact:
 * {@code ||J||_F^2 = mask^T ((B B^T) o (A^T A)) mask}.
 */
final class MlpBlock implements ResidualBlock {
    private final String name;
    private final long width;
    private final Linear fc1;
    private final Linear fc2;
    private final BatchNorm bn1;
    private final BatchNorm bn2;
    private final boolean skip;
    private final boolean reluAfter;
    private final NDArray a;
    private final NDArray aT;
    private final NDArray b;
    private final NDArray bT;
    private final NDArray frobeniusKernel;

    MlpBlock(String name, long width, Linear fc1, BatchNorm bn1, Linear fc2, BatchNorm bn2, boolean skip, boolean reluAfter,
            NDManager modelManager) {
        this.name = name;
        this.width = width;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.bn1 = bn1;
        this.bn2 = bn2;
        this.skip = skip;
        this.reluAfter = reluAfter;
        NDArray w1 = fc1.weight();
        NDArray w2 = fc2.weight();
        this.b = bn1 == null ? w1 : w1.mul(bn1.scale().reshape(width, 1));
        this.a = bn2 == null ? w2 : w2.mul(bn2.scale().reshape(width, 1));
        this.aT = a.transpose();
        this.bT = b.transpose();
        this.frobeniusKernel = b.matMul(bT).mul(aT.matMul(a));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String stage() {
        return "blocks";
    }

    @Override
    public Shape inShape() {
        return new Shape(width);
    }

    @Override
    public Shape outShape() {
        return new Shape(width);
    }

    private NDArray preActivation(NDArray h) {
        NDArray z = fc1.forward(h);
        return bn1 == null ? z : bn1.forward(z);
    }

    @Override
    public NDArray branch(NDArray h) {
        NDArray z = fc2.forward(Activation.relu(preActivation(h)));
        return bn2 == null ? z : bn2.forward(z);
    }

    @Override
    public NDArray forward(NDArray h) {
        NDArray out = skip ? h.add(branch(h)) : branch(h);
        return reluAfter ? Activation.relu(out) : out;
    }

    @Override
    public JacobianOperator linearize(NDArray h) {
        NDArray mask = preActivation(h).gt(0).toType(h.getDataType(), false);
        return new Closed(mask);
    }

    /** The closed form at a batch: mask (B, d). */
    private final class Closed implements JacobianOperator {
        private final NDArray mask;
        private final NDArray maskRows;

        Closed(NDArray mask) {
            this.mask = mask;
            this.maskRows = mask.expandDims(1);
        }

        @Override
        public long batchSize() {
            return mask.getShape().get(0);
        }

        @Override
        public long inSize() {
            return width;
        }

        @Override
        public long outSize() {
            return width;
        }

        @Override
        public NDArray apply(NDArray v) {
            return v.matMul(bT).mul(maskRows).matMul(aT);
        }

        @Override
        public NDArray applyTranspose(NDArray u) {
            return u.matMul(a).mul(maskRows).matMul(b);
        }

        @Override
        public Optional<NDArray> exactFrobeniusSquared(NDArray like) {
            return Optional.of(mask.matMul(frobeniusKernel).mul(mask).sum(new int[] {1}));
        }

        /** Returns the explicit matrices A diag(mask_b) B, (B, d, d), in closed form. */
        @Override
        public NDArray dense(NDManager manager) {
            // J^T = B^T diag(mask) A^T, built with the batch array first so the result is batch-scoped.
            return maskRows.mul(bT).matMul(aT).transpose(0, 2, 1);
        }
    }
}
