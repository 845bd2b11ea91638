package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.nn.LayerNorm;

/**
 * Holds what the two pre-LN residual blocks of a Vision Transformer encoder layer share: a token
 * sequence (tokens, D) in and out, {@code h' = h + F(ln(h))} with phi the identity, one stage for
 * all 2L blocks, and a Residual Jacobian that is either the class token's (D x D, the default) or
 * the whole sequence's ((N+1)D x (N+1)D).
 */
abstract class EncoderBlock implements ResidualBlock {
    /** The stage of every encoder block: all 2L branches map (tokens, D) to itself. */
    static final String STAGE = "encoder";

    private final String name;
    final long tokens;
    final long dim;
    final LayerNorm norm;
    private final boolean sequence;

    EncoderBlock(String name, long tokens, long dim, LayerNorm norm, boolean sequence) {
        this.name = name;
        this.tokens = tokens;
        this.dim = dim;
        this.norm = norm;
        this.sequence = sequence;
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
     * Returns the Residual Jacobians at every sample of h (B, tokens, D): the class token's or the
     * whole sequence's, as the manifest's {@code jacobian} says (docs/metrics-definitions.md).
     */
    @Override
    public JacobianOperator linearize(NDArray h) {
        return sequence ? linearizeSequence(h) : linearizeClassToken(h);
    }

    /**
     * Returns the class-token Jacobians (B, D x D): the derivative of the branch output at token 0
     * with respect to the branch input at token 0, the other tokens held at their values.
     */
    abstract JacobianOperator linearizeClassToken(NDArray h);

    /** Returns the full-sequence Jacobians (B, (N+1)D x (N+1)D), tangents flattened token-major. */
    abstract JacobianOperator linearizeSequence(NDArray h);

    /** The batched square layout (B, size x size) every encoder operator shares. */
    abstract static class TokenJacobian implements JacobianOperator {
        private final long batch;
        private final long dim;

        TokenJacobian(long batch, long dim) {
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
