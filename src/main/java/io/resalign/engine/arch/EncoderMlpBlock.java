package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.nn.LayerNorm;
import io.resalign.engine.nn.Linear;

/**
 * Holds the MLP residual block of a Vision Transformer encoder layer,
 * {@code y' = y + mlp(ln_2(y))} with torchvision's MLPBlock {@code mlp.3(gelu(mlp.0(.)))} (exact
 * erf GELU, dropout off).
 *
 * <p>The branch acts on each token alone, so its class-token Jacobian is the closed form
 * {@code W3 diag(gelu'(a)) W0 J_ln} at token 0's pre-activation a, with
 * {@code gelu'(a) = Phi(a) + a phi(a)}: products are matrix products, no autograd. The
 * full-sequence Jacobian is block-diagonal, the same form at every token.
 */
final class EncoderMlpBlock extends EncoderBlock {
    private static final double INV_SQRT2 = 1 / Math.sqrt(2);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private final Linear fc1;
    private final Linear fc2;
    private final NDArray w1;
    private final NDArray w1T;
    private final NDArray w2;
    private final NDArray w2T;

    private EncoderMlpBlock(String name, long tokens, long dim, LayerNorm norm, Linear fc1, Linear fc2, boolean sequence) {
        super(name, tokens, dim, norm, sequence);
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.w1 = fc1.weight();
        this.w1T = w1.transpose();
        this.w2 = fc2.weight();
        this.w2T = w2.transpose();
    }

    /** Loads {@code prefix.ln_2} and {@code prefix.mlp.0} / {@code prefix.mlp.3} (torchvision 0.14 names). */
    static EncoderMlpBlock load(NamedTensors tensors, String prefix, String name, long tokens, long dim, long mlpDim, double eps,
            boolean sequence) {
        return new EncoderMlpBlock(name, tokens, dim, LayerNorm.load(tensors, prefix + ".ln_2", dim, eps),
                Linear.load(tensors, prefix + ".mlp.0", mlpDim, dim), Linear.load(tensors, prefix + ".mlp.3", dim, mlpDim), sequence);
    }

    @Override
    public String kind() {
        return "mlp";
    }

    @Override
    public NDArray branch(NDArray h) {
        return fc2.forward(gelu(fc1.forward(norm.forward(h))));
    }

    /** Returns PyTorch's exact GELU, {@code a Phi(a)} with Phi the normal CDF through erf. */
    static NDArray gelu(NDArray a) {
        return a.mul(a.mul(INV_SQRT2).erf().add(1)).mul(0.5);
    }

    private static NDArray geluDerivative(NDArray a) {
        NDArray cdf = a.mul(INV_SQRT2).erf().add(1).mul(0.5);
        return cdf.add(a.mul(a.square().mul(-0.5).exp()).mul(INV_SQRT_2PI));
    }

    @Override
    JacobianOperator linearizeClassToken(NDArray h) {
        return tokenwise(h.get(":, 0:1, :"), new Shape(dim));
    }

    @Override
    JacobianOperator linearizeSequence(NDArray h) {
        // (B, 1, S, D): the tangent axis r broadcasts in front of the tokens
        return tokenwise(h.expandDims(1), new Shape(tokens, dim));
    }

    private JacobianOperator tokenwise(NDArray points, Shape tangent) {
        LayerNorm.Normalised point = norm.normalise(points);
        NDArray slope = geluDerivative(fc1.forward(norm.affine(point)));
        return new Tokenwise(points.getShape().get(0), tangent, point, slope);
    }

    /**
     * The closed form at a batch, token by token: the tokens' xhat and 1/s and gelu'(a), laid out so
     * that tangents of shape (B, r, *tangent) broadcast against them.
     */
    private final class Tokenwise extends TokenJacobian {
        private final Shape tangent;
        private final LayerNorm.Normalised point;
        private final NDArray slope;

        Tokenwise(long batch, Shape tangent, LayerNorm.Normalised point, NDArray slope) {
            super(batch, tangent.size());
            this.tangent = tangent;
            this.point = point;
            this.slope = slope;
        }

        private NDArray unflatten(NDArray t) {
            return t.reshape(new Shape(t.getShape().get(0), t.getShape().get(1)).addAll(tangent));
        }

        @Override
        public NDArray apply(NDArray v) {
            NDArray z = norm.jvp(point.xhat(), point.inverseScale(), unflatten(v));
            return z.matMul(w1T).mul(slope).matMul(w2T).reshape(v.getShape());
        }

        @Override
        public NDArray applyTranspose(NDArray u) {
            NDArray z = unflatten(u).matMul(w2).mul(slope).matMul(w1);
            return norm.vjp(point.xhat(), point.inverseScale(), z).reshape(u.getShape());
        }
    }
}
