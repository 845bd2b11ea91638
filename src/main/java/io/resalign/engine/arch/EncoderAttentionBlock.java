package io.resalign.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.nn.LayerNorm;
import io.resalign.engine.nn.Linear;

/**
 * Holds the self-attention residual block of a Vision Transformer encoder layer,
 * {@code x' = x + self_attention(ln_1(x))}, with PyTorch's batch-first
 * {@code nn.MultiheadAttention} ({@code in_proj_weight} (3D, D) split into q, k, v; scaled dot
 * products per head; {@code out_proj}); dropout is off in inference.
 *
 * <p>The class-token Jacobian moves only token 0's input: its query, and its own key and value
 * (column 0 of the scores, row 0 of the values); the other tokens' keys and values stay fixed.
 * Its products are the exact forward-mode (J v) and reverse-mode (J^T u) derivatives of that
 * chain written out in array operations (LayerNorm, projections, softmax {@code dp = p (ds -
 * p.ds)}, value mixing), checked against torch autograd in TorchvisionVitTest. No autograd runs,
 * so no GradientCollector is taken and nothing leaks.
 *
 * <p>The full-sequence Jacobian moves every token: {@code dS = (dQ K^T + Q dK^T) / sqrt(dh)}, the
 * row-wise softmax derivative, {@code dO = dP V + P dV}; its transpose runs the same chain back.
 */
final class EncoderAttentionBlock extends EncoderBlock {
    private final long heads;
    private final long headDim;
    private final double scale;
    private final NDArray wq;
    private final NDArray wk;
    private final NDArray wv;
    private final NDArray wqT;
    private final NDArray wkT;
    private final NDArray wvT;
    private final NDArray bq;
    private final NDArray bk;
    private final NDArray bv;
    private final Linear out;
    private final NDArray wo;
    private final NDArray woT;

    private EncoderAttentionBlock(String name, long tokens, long dim, long heads, LayerNorm norm, NDArray inWeight, NDArray inBias,
            Linear out, boolean sequence) {
        super(name, tokens, dim, norm, sequence);
        this.heads = heads;
        this.headDim = dim / heads;
        this.scale = 1 / Math.sqrt(headDim);
        String q = "0:" + dim;
        String k = dim + ":" + 2 * dim;
        String v = 2 * dim + ":";
        this.wq = inWeight.get(q);
        this.wk = inWeight.get(k);
        this.wv = inWeight.get(v);
        this.wqT = wq.transpose();
        this.wkT = wk.transpose();
        this.wvT = wv.transpose();
        this.bq = inBias.get(q);
        this.bk = inBias.get(k);
        this.bv = inBias.get(v);
        this.out = out;
        this.wo = out.weight();
        this.woT = wo.transpose();
    }

    /** Loads {@code prefix.ln_1} and {@code prefix.self_attention.*} (torchvision 0.14 names). */
    static EncoderAttentionBlock load(NamedTensors tensors, String prefix, String name, long tokens, long dim, long heads,
            double eps, boolean sequence) {
        String a = prefix + ".self_attention";
        return new EncoderAttentionBlock(name, tokens, dim, heads, LayerNorm.load(tensors, prefix + ".ln_1", dim, eps),
                tensors.take(a + ".in_proj_weight", 3 * dim, dim), tensors.take(a + ".in_proj_bias", 3 * dim),
                Linear.load(tensors, a + ".out_proj", dim, dim), sequence);
    }

    @Override
    public String kind() {
        return "attention";
    }

    /** (..., S, D) to (..., H, S, dh). */
    private NDArray split(NDArray x) {
        Shape s = x.getShape();
        int n = s.dimension();
        return x.reshape(s.slice(0, n - 1).addAll(new Shape(heads, headDim))).swapAxes(n - 2, n - 1);
    }

    /** (..., H, S, dh) to (..., S, D). */
    private NDArray merge(NDArray x) {
        Shape s = x.getShape();
        int n = s.dimension();
        return x.swapAxes(n - 3, n - 2).reshape(s.slice(0, n - 3).addAll(new Shape(s.get(n - 2), dim)));
    }

    /** Returns (..., S, S') with the last two axes swapped. */
    private static NDArray swapLast(NDArray x) {
        int n = x.getShape().dimension();
        return x.swapAxes(n - 2, n - 1);
    }

    @Override
    public NDArray branch(NDArray h) {
        NDArray z = norm.forward(h);
        NDArray q = split(z.matMul(wqT).add(bq));
        NDArray k = split(z.matMul(wkT).add(bk));
        NDArray v = split(z.matMul(wvT).add(bv));
        NDArray p = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).softmax(3);
        return out.forward(merge(p.matMul(v)));
    }

    @Override
    JacobianOperator linearizeClassToken(NDArray h) {
        NDArray z = norm.forward(h);
        LayerNorm.Normalised point = norm.normalise(h.get(":, 0:1, :"));
        NDArray q0 = split(z.get(":, 0:1, :").matMul(wqT).add(bq));
        NDArray k = split(z.matMul(wkT).add(bk));
        NDArray v = split(z.matMul(wvT).add(bv));
        NDArray p0 = q0.matMul(k.transpose(0, 1, 3, 2)).mul(scale).softmax(3);
        return new ClassToken(h.getShape().get(0), point, q0, k, v, p0);
    }

    /**
     * The linearisation at a batch: token 0's LayerNorm point, its query q0 (B, H, 1, dh), every
     * token's keys and values (B, H, S, dh) and token 0's attention weights p0 (B, H, 1, S).
     */
    private final class ClassToken extends TokenJacobian {
        private final LayerNorm.Normalised point;
        private final NDArray q0;
        private final NDArray k;
        private final NDArray kT;
        private final NDArray v;
        private final NDArray vT;
        private final NDArray p0;
        private final NDArray selfWeight;

        ClassToken(long batch, LayerNorm.Normalised point, NDArray q0, NDArray k, NDArray v, NDArray p0) {
            super(batch, dim);
            this.point = point;
            this.q0 = q0;
            this.k = k;
            this.kT = k.transpose(0, 1, 3, 2);
            this.v = v;
            this.vT = v.transpose(0, 1, 3, 2);
            this.p0 = p0;
            this.selfWeight = p0.get(":, :, :, 0:1");
        }

        @Override
        public NDArray apply(NDArray t) {
            NDArray dz = norm.jvp(point.xhat(), point.inverseScale(), t);
            NDArray dq = split(dz.matMul(wqT));
            NDArray dk0 = split(dz.matMul(wkT));
            NDArray dv0 = split(dz.matMul(wvT));
            // scores of token 0 against every token j: dq.k_j, plus q0.dk0 on j = 0 (its own key)
            NDArray ds = dq.matMul(kT);
            NDArray own = ds.get(":, :, :, 0:1").add(dk0.mul(q0).sum(new int[] {3}, true));
            ds = NDArrays.concat(new NDList(own, ds.get(":, :, :, 1:")), 3).mul(scale);
            NDArray dp = ds.sub(ds.mul(p0).sum(new int[] {3}, true)).mul(p0);
            NDArray dOut = dp.matMul(v).add(dv0.mul(selfWeight));
            return merge(dOut).matMul(woT);
        }

        @Override
        public NDArray applyTranspose(NDArray u) {
            NDArray gOut = split(u.matMul(wo));
            NDArray gp = gOut.matMul(vT);
            NDArray gv0 = gOut.mul(selfWeight);
            NDArray gs = gp.sub(gp.mul(p0).sum(new int[] {3}, true)).mul(p0).mul(scale);
            NDArray gq = gs.matMul(k);
            NDArray gk0 = gs.get(":, :, :, 0:1").mul(q0);
            NDArray gz = merge(gq).matMul(wq).add(merge(gk0).matMul(wk)).add(merge(gv0).matMul(wv));
            return norm.vjp(point.xhat(), point.inverseScale(), gz);
        }
    }

    @Override
    JacobianOperator linearizeSequence(NDArray h) {
        // (B, 1, ...): the tangent axis r broadcasts in front of tokens and heads
        LayerNorm.Normalised point = norm.normalise(h.expandDims(1));
        NDArray z = norm.affine(point);
        NDArray q = split(z.matMul(wqT).add(bq));
        NDArray k = split(z.matMul(wkT).add(bk));
        NDArray v = split(z.matMul(wvT).add(bv));
        NDArray p = q.matMul(swapLast(k)).mul(scale).softmax(4);
        return new Sequence(h.getShape().get(0), point, q, k, v, p);
    }

    /** The linearisation of every token at a batch: LayerNorm points, Q, K, V (B, 1, H, S, dh), P (B, 1, H, S, S). */
    private final class Sequence extends TokenJacobian {
        private final LayerNorm.Normalised point;
        private final NDArray q;
        private final NDArray k;
        private final NDArray kT;
        private final NDArray v;
        private final NDArray vT;
        private final NDArray p;
        private final NDArray pT;

        Sequence(long batch, LayerNorm.Normalised point, NDArray q, NDArray k, NDArray v, NDArray p) {
            super(batch, tokens * dim);
            this.point = point;
            this.q = q;
            this.k = k;
            this.kT = swapLast(k);
            this.v = v;
            this.vT = swapLast(v);
            this.p = p;
            this.pT = swapLast(p);
        }

        private NDArray tokensOf(NDArray t) {
            return t.reshape(t.getShape().get(0), t.getShape().get(1), tokens, dim);
        }

        /** Returns P o (g - rowsum(P o g)), the softmax derivative applied row by row (self-adjoint). */
        private NDArray softmaxTangent(NDArray g) {
            return g.sub(g.mul(p).sum(new int[] {4}, true)).mul(p);
        }

        @Override
        public NDArray apply(NDArray t) {
            NDArray dz = norm.jvp(point.xhat(), point.inverseScale(), tokensOf(t));
            NDArray dq = split(dz.matMul(wqT));
            NDArray dk = split(dz.matMul(wkT));
            NDArray dv = split(dz.matMul(wvT));
            NDArray ds = dq.matMul(kT).add(q.matMul(swapLast(dk))).mul(scale);
            NDArray dOut = softmaxTangent(ds).matMul(v).add(p.matMul(dv));
            return merge(dOut).matMul(woT).reshape(t.getShape());
        }

        @Override
        public NDArray applyTranspose(NDArray u) {
            NDArray gOut = split(tokensOf(u).matMul(wo));
            NDArray gs = softmaxTangent(gOut.matMul(vT)).mul(scale);
            NDArray gq = gs.matMul(k);
            NDArray gk = swapLast(gs).matMul(q);
            NDArray gv = pT.matMul(gOut);
            NDArray gz = merge(gq).matMul(wq).add(merge(gk).matMul(wk)).add(merge(gv).matMul(wv));
            return norm.vjp(point.xhat(), point.inverseScale(), gz).reshape(u.getShape());
        }
    }
}
