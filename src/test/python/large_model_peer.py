#!/usr/bin/env python3
"""torch doing resalign's per-sample work on the same model: the peer of LargeModelBenchmark.

Loads a model directory's model.safetensors into torchvision's own resnet50 or vit_b_16 (written
by torchvision_reference.py / torchvision_vit_reference.py), reads the benchmark's inputs (raw
little-endian float32, N x 3 x 224 x 224) and times, per batch, what resalign's engine computes:

    resnet50 (matrix-free path): the forward pass with each watched block's input caught; per
        block the randomized SVD of the branch's Jacobian with resalign's algorithm and counts
        (r = k + p Gaussian tangents, J V, then `steps` times J^T Q and J Z, then J^T Q for
        Rayleigh-Ritz: 2 (steps + 1) r products), the products by functorch (J v = vmap of jvp,
        J^T u = vmap of the vjp function); the cross-alignment products J_j V_i over the
        comparable partners (square blocks of one shape), and self-alignment.
    vit_b_16 (dense path): the forward pass; per branch the 768 x 768 class-token Jacobian
        row by row as J^T I (resalign builds it so too), the function written for token 0 only
        (its query, key and value move; the other tokens' keys and values fixed): the MLP by
        functorch's vmap of the vjp function, attention by one backward over 768 copies of
        token 0 (see class_token_jacobian); the Jacobians stacked as the engine stacks them and
        the same randomized SVD run for the power steps the engine took on each stack (the
        benchmark reads them from the engine); cross- and self-alignment.

Orthonormalisation is torch.linalg.qr (resalign: the Gram matrix on the device, an eigen-based
Cholesky-QR of the r x r Gram on the CPU); the sketch is torch's generator (resalign: Java's, on
the CPU); RA1 and the metric assembly (under 2 % of resalign's time) are left out. Untimed checks after the timing: resnet50
products in float32 against float64 (torch's conv backward runs on oneDNN here); the token-0
class-token function against torchvision's module on the whole sequence (vit). torch's own matmul
and conv rates, measured before and after the timing, go with the result: Debian's torch 1.13 is
built with OpenBLAS at AVX2, DJL's PyTorch 2.7.1 with MKL, so the two libraries' rates differ.

Usage:
    large_model_peer.py MODEL_DIR --arch resnet50|vit_b_16 --inputs FILE --count N --batch B
        --warmup W --threads T --k 10 --oversampling 10 --steps 4 [--stack-blocks S] [--watch layer3.0 ...]
        [--full-svd] --out RESULT.json
"""

import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torchvision
from functorch import jvp, vjp, vmap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ra_reference import read_safetensors  # noqa: E402  the project's safetensors reader
from torchvision_reference import block_inputs as resnet_block_inputs, branch_of  # noqa: E402
from torchvision_vit_reference import block_inputs as vit_block_inputs  # noqa: E402

CLASSES = 10
TAU = 1e-2


def load(model_dir, arch):
    model = getattr(torchvision.models, arch)(weights=None, num_classes=CLASSES)
    arrays, _, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()})
    return model.eval().requires_grad_(False)


def orth(x):
    """Rows of x (B, r, n) made orthonormal."""
    q, _ = torch.linalg.qr(x.transpose(1, 2))
    return q.transpose(1, 2)


def randomized_svd(apply, apply_t, batch, n_in, k, r, steps, gen):
    """Top-k triplets from products only: resalign's RandomizedSvd with a fixed step count."""
    omega = torch.randn(batch, r, n_in, generator=gen)
    q = orth(apply(omega))
    for _ in range(steps):
        z = orth(apply_t(q))
        q = orth(apply(z))
    ua, s, vh = torch.linalg.svd(apply_t(q), full_matrices=False)  # rows of J^T Q = Q J
    left = ua.transpose(1, 2) @ q
    return left[:, :k], s[:, :k], vh[:, :k]


def alignments(ops, svd, groups, k):
    """Self-alignment of square blocks, cross-alignment over each group's ordered pairs."""
    out = {}
    for i, (u, s, v) in svd.items():
        out[i] = (u * v).sum(2).abs().mean(1)
    for group in groups:
        for j in group:
            partners = [i for i in group if i != j]
            if not partners:
                continue
            v = torch.cat([svd[i][2] for i in partners], 1)
            u = torch.cat([svd[i][0] for i in partners], 1)
            proj = (ops[j][0](v) * u).sum(2).abs()  # (B, partners * k)
            for slot, i in enumerate(partners):
                s_i = svd[i][1]
                rank = (s_i >= TAU * s_i[:, :1]).sum(1, keepdim=True)
                keep = torch.arange(k).unsqueeze(0) < rank
                out[(i, j)] = (proj[:, slot * k:(slot + 1) * k] * keep).sum(1) / svd[j][1].sum(1)
    return out


# --- resnet50 -------------------------------------------------------------------------------

def conv_operator(block, h):
    """(apply, apply_t, n_in, n_out) of a block's Jacobians at h (B, C, H, W); tangents (B, r, n)."""
    f = branch_of(block)
    out, vjp_fn = vjp(f, h)
    batch, in_shape, out_shape = h.shape[0], tuple(h.shape[1:]), tuple(out.shape[1:])

    def images(x, shape):
        return x.reshape((batch, x.shape[1]) + shape).transpose(0, 1)

    def apply(v):
        jv = vmap(lambda t: jvp(f, (h,), (t,))[1])(images(v, in_shape))
        return jv.transpose(0, 1).reshape(batch, v.shape[1], -1)

    def apply_t(u):
        jtu = vmap(vjp_fn)(images(u, out_shape))[0]
        return jtu.transpose(0, 1).reshape(batch, u.shape[1], -1)
    return apply, apply_t, int(np.prod(in_shape)), int(np.prod(out_shape))


def resnet_batch(model, x, watch, a, gen):
    modules = dict(model.named_modules())
    _, caught = resnet_block_inputs(model, watch, x)
    ops, svd, shapes = {}, {}, {}
    for name in watch:
        apply, apply_t, n_in, n_out = conv_operator(modules[name], caught[name])
        ops[name] = (apply, apply_t)
        r = min(a.k + a.oversampling, n_in, n_out)
        svd[name] = randomized_svd(apply, apply_t, x.shape[0], n_in, a.k, r, a.steps[0], gen)
        shapes[name] = (n_in, n_out, tuple(caught[name].shape[1:]))
    groups = {}
    for name in watch:
        n_in, n_out, shape = shapes[name]
        if n_in == n_out:
            groups.setdefault(shape, []).append(name)
    square = {n: svd[n] for n in watch if shapes[n][0] == shapes[n][1]}
    alignments(ops, square, list(groups.values()), a.k)
    return [svd[n][1][:, 0].tolist() for n in watch]


def resnet_check(model, x, watch):
    """Relative error of the float32 products against float64 at the first watched block."""
    name = watch[0]
    results = []
    for m, dtype in ((model, torch.float32), (copy.deepcopy(model).double(), torch.float64)):
        _, caught = resnet_block_inputs(m, [name], x[:1].to(dtype))
        apply, apply_t, n_in, n_out = conv_operator(dict(m.named_modules())[name], caught[name])
        g = torch.Generator().manual_seed(7)
        v = torch.randn(1, 2, n_in, generator=g, dtype=torch.float64)
        u = torch.randn(1, 2, n_out, generator=g, dtype=torch.float64)
        results.append((apply(v.to(dtype)).double(), apply_t(u.to(dtype)).double()))
    (jv32, jtu32), (jv64, jtu64) = results
    return {"block": name, "jv": float((jv32 - jv64).norm() / jv64.norm()), "jtu": float((jtu32 - jtu64).norm() / jtu64.norm())}


# --- vit_b_16 -------------------------------------------------------------------------------

def token0_function(layer, kind, h):
    """The branch at token 0 as a function of token 0's input (B, R, D): R independent copies of
    it as rows, the other tokens held at their values (they enter attention as keys and values)."""
    if kind == "mlp":
        return lambda y0: layer.mlp(layer.ln_2(y0))
    attn = layer.self_attention
    batch, tokens, dim = h.shape
    heads = attn.num_heads
    dh = dim // heads
    wq, wk, wv = attn.in_proj_weight.chunk(3)
    bq, bk, bv = attn.in_proj_bias.chunk(3)
    with torch.no_grad():
        rest = layer.ln_1(h[:, 1:])
        k_rest = (rest @ wk.T + bk).reshape(batch, tokens - 1, heads, dh).permute(0, 2, 3, 1)  # (B, H, dh, N)
        v_rest = (rest @ wv.T + bv).reshape(batch, tokens - 1, heads, dh).transpose(1, 2)  # (B, H, N, dh)

    def g(x0):
        rows = x0.shape[1]
        z0 = layer.ln_1(x0)

        def split(t):
            return t.reshape(batch, rows, heads, dh).transpose(1, 2)
        q0, k0, v0 = split(z0 @ wq.T + bq) / math.sqrt(dh), split(z0 @ wk.T + bk), split(z0 @ wv.T + bv)
        # token 0's scores: its own key, then the fixed keys; rows stay rows of every product
        p = torch.softmax(torch.cat([(q0 * k0).sum(3, keepdim=True), q0 @ k_rest], 3), 3)
        out = p[..., :1] * v0 + p[..., 1:] @ v_rest
        return attn.out_proj(out.transpose(1, 2).reshape(batch, rows, dim))
    return g


def class_token_jacobian(layer, kind, h):
    """(B, D, D): row i of J_b is J_b^T e_i, as resalign's J^T I.

    MLP: functorch's vmap of the vjp function over the identity. Attention: the input replicated
    D times as rows and one backward of sum(g(X) * I); vmap of the vjp was 5-15 times slower
    there (torch 1.13's batching rule expands the fixed keys and values once per cotangent)."""
    g = token0_function(layer, kind, h)
    x0 = h[:, 0]
    batch, dim = x0.shape
    eye = torch.eye(dim, dtype=h.dtype)
    if kind == "mlp":
        _, vjp_fn = vjp(g, x0)
        return vmap(vjp_fn)(eye.unsqueeze(1).expand(dim, batch, dim))[0].transpose(0, 1)
    x = x0.unsqueeze(1).expand(batch, dim, dim).clone().requires_grad_()
    with torch.enable_grad():
        return torch.autograd.grad(g(x), x, eye.expand(batch, dim, dim))[0]


def class_token_jacobians(model, hs, names):
    """(blocks * B, D, D): every branch's class-token Jacobian, block-major."""
    out = []
    for name in names:
        layer = model.encoder.layers[int(name.split(".")[0].rsplit("_", 1)[1])]
        out.append(class_token_jacobian(layer, name.split(".")[1], hs[name]))
    return torch.cat(out, 0)


def vit_batch(model, x, a, gen):
    _, hs = vit_block_inputs(model, x)
    names = sorted(hs, key=lambda n: (int(n.split(".")[0].rsplit("_", 1)[1]), n.endswith("mlp")))
    jac = class_token_jacobians(model, hs, names).detach()
    batch, dim, blocks = x.shape[0], jac.shape[1], len(names)
    # stacked as the engine stacks them (--stack-blocks per batched problem), each stack with the
    # power steps the engine took on it
    stack = a.stack_blocks or blocks
    parts = []
    for c, start in enumerate(range(0, blocks, stack)):
        j = jac[start * batch:(start + stack) * batch]
        parts.append(randomized_svd(lambda v, j=j: v @ j.transpose(1, 2), lambda u, j=j: u @ j, j.shape[0], dim, a.k,
                                    min(a.k + a.oversampling, dim), a.steps[c], gen))
    u, s, v = (torch.cat(t, 0) for t in zip(*parts))
    ops = {i: (lambda t, i=i: t @ jac[i * batch:(i + 1) * batch].transpose(1, 2),) for i in range(blocks)}
    svd = {i: (u[i * batch:(i + 1) * batch], s[i * batch:(i + 1) * batch], v[i * batch:(i + 1) * batch]) for i in range(blocks)}
    alignments(ops, svd, [list(range(blocks))], a.k)
    return [svd[i][1][:, 0].tolist() for i in range(blocks)], jac, names


def vit_check(model, x):
    """Class-token Jacobian rows (float64) against torch's vjp of torchvision's own modules on the
    whole sequence with token 0 moving, first and last branch; returns the worst relative error."""
    m = copy.deepcopy(model).double()
    _, hs = vit_block_inputs(m, x[:1].double())
    worst = 0.0
    for name in ("encoder_layer_0.attention", "encoder_layer_11.mlp"):
        layer = m.encoder.layers[int(name.split(".")[0].rsplit("_", 1)[1])]
        h = hs[name]
        kind = name.split(".")[1]

        def full(x0):
            seq = torch.cat([x0.unsqueeze(1), h[:, 1:]], 1)
            if kind == "mlp":
                return layer.mlp(layer.ln_2(seq))[:, 0]
            z = layer.ln_1(seq)
            return layer.self_attention(z, z, z, need_weights=False)[0][:, 0]
        u = torch.randn(h[:, 0].shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
        theirs = vjp(full, h[:, 0])[1](u)[0]
        ours = (u.unsqueeze(2) * class_token_jacobian(layer, kind, h)).sum(1)
        worst = max(worst, float((ours - theirs).norm() / theirs.norm()))
    return {"class_token_jtu_vs_torchvision_modules": worst}


def machine_rates(reps=3):
    """torch's own float32 GFLOP/s on the shapes the benchmark measures through DJL: a 1024^3 matmul
    and 3x3 convolutions of 20 images (64 channels at 56 x 56, 256 at 14 x 14)."""
    def rate(flops, op):
        op()
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            op()
            times.append(time.perf_counter() - started)
        return flops / sorted(times)[reps // 2] / 1e9
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    out = {"matmul": rate(2.0 * 1024 ** 3, lambda: a @ b)}
    for key, channels, side in (("conv56", 64, 56), ("conv14", 256, 14)):
        x, w = torch.randn(20, channels, side, side), torch.randn(channels, channels, 3, 3) * 0.05
        out[key] = rate(2.0 * 20 * channels * channels * 9 * side * side,
                        lambda x=x, w=w: torch.nn.functional.conv2d(x, w, padding=1))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--arch", required=True, choices=["resnet50", "vit_b_16"])
    p.add_argument("--inputs", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--k", type=int, default=CLASSES)
    p.add_argument("--oversampling", type=int, default=10)
    p.add_argument("--steps", type=int, nargs="+", required=True, help="power steps; vit: one per stack")
    p.add_argument("--stack-blocks", type=int, default=0, help="vit: blocks per stacked SVD (0 = all)")
    p.add_argument("--watch", nargs="*")
    p.add_argument("--full-svd", action="store_true", help="vit: also time torch.linalg.svd of the stacked Jacobians")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    print("torch peer: CPUs allowed %s of %d" % (sorted(os.sched_getaffinity(0)), os.cpu_count()), flush=True)
    torch.set_num_threads(a.threads)
    model = load(a.model, a.arch)
    inputs = torch.from_numpy(np.fromfile(a.inputs, dtype="<f4").reshape(-1, 3, 224, 224)[:a.count])
    rates_before = machine_rates()
    batches = a.count // a.batch
    gen = torch.Generator().manual_seed(42)
    seconds, full_svd, sigma1 = [], [], None
    for n in range(batches):
        x = inputs[n * a.batch:(n + 1) * a.batch]
        started = time.perf_counter()
        if a.arch == "resnet50":
            values = resnet_batch(model, x, a.watch, a, gen)
        else:
            values, jac, _ = vit_batch(model, x, a, gen)
        elapsed = time.perf_counter() - started
        if a.arch == "vit_b_16" and a.full_svd and n >= a.warmup:
            before = time.perf_counter()
            torch.linalg.svd(jac, full_matrices=False)
            full_svd.append(time.perf_counter() - before)
        label = "warm-up" if n < a.warmup else "timed"
        print("torch %s batch %d of %d (%s): %.2f s" % (a.arch, n + 1, batches, label, elapsed), flush=True)
        if n >= a.warmup:
            seconds.append(elapsed)
            if sigma1 is None:
                sigma1 = values
    rates_after = machine_rates()
    rates = {key: (rates_before[key] + rates_after[key]) / 2 for key in rates_before}
    check = resnet_check(model, inputs, a.watch) if a.arch == "resnet50" else vit_check(model, inputs)
    result = {"arch": a.arch, "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": a.batch,
              "seconds": seconds, "full_svd_seconds": full_svd, "rates": rates, "sigma1": sigma1, "check": check}
    with open(a.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
