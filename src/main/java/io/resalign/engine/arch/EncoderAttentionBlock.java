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
            Linear out) {
        super(name, tokens, dim, norm);
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
            double eps) {
        String a = prefix + ".self_attention";
        return new EncoderAttentionBlock(name, tokens, dim, heads, LayerNorm.load(tensors, prefix + ".ln_1", dim, eps),
                tensors.take(a + ".in_proj_weight", 3 * dim, dim), tensors.take(a + ".in_proj_bias", 3 * dim),
                Linear.load(tensors, a + ".out_proj", dim, dim));
    }

    @Override
    public String kind() {
        return "attention";
    }

    /** (B, S, D) to (B, H, S, dh). */
    private NDArray split(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
    }

    /** (B, H, S, dh) to (B, S, D). */
    private NDArray merge(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), dim);
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
    public JacobianOperator linearize(NDArray h) {
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
    private final class ClassToken extends ClassTokenJacobian {
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
}
