package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.nn.LayerNorm;

/**
 * Holds what the two pre-LN residual blocks of a Vision Transformer encoder layer share: a token
 * sequence (tokens, D) in and out, {@code h' = h + F(ln(h))} with phi the identity, one stage for
 * all 2L blocks, and a class-token Residual Jacobian (D x D).
 */
abstract class EncoderBlock implements ResidualBlock {
    /** The stage of every encoder block: all 2L branches map (tokens, D) to itself. */
    static final String STAGE = "encoder";

    private final String name;
    private final long tokens;
    final long dim;
    final LayerNorm norm;

    EncoderBlock(String name, long tokens, long dim, LayerNorm norm) {
        this.name = name;
        this.tokens = tokens;
        this.dim = dim;
        this.norm = norm;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String stage() {
        return STAGE;
    }

    @Override
    public Shape inShape() {
        return new Shape(tokens, dim);
    }

    @Override
    public Shape outShape() {
        return new Shape(tokens, dim);
    }

    @Override
    public NDArray forward(NDArray h) {
        return h.add(branch(h));
    }

    /**
     * Returns the class-token Residual Jacobians at every sample of h (B, tokens, D): the derivative
     * of the branch output at token 0 with respect to the branch input at token 0, the other tokens
     * held at their values. See docs/metrics-definitions.md.
     */
    @Override
    public abstract JacobianOperator linearize(NDArray h);

    /** The batched (B, D x D) layout every class-token operator shares. */
    abstract static class ClassTokenJacobian implements JacobianOperator {
        private final long batch;
        private final long dim;

        ClassTokenJacobian(long batch, long dim) {
            this.batch = batch;
            this.dim = dim;
        }

        @Override
        public long batchSize() {
            return batch;
        }

        @Override
        public long inSize() {
            return dim;
        }

        @Override
        public long outSize() {
            return dim;
        }
    }
}
