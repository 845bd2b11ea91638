#!/usr/bin/env python3
"""torchvision's own VisionTransformer as the reference of resalign's `vit` architecture.

Builds `torchvision.models.VisionTransformer(...)` (or a named variant such as vit_b_16) with
random weights (no download), random non-trivial LayerNorm affine parameters and a random class
token and position embedding, switches to `eval()` and writes:

    OUT_DIR/model.safetensors      the state_dict exactly as torchvision names it, F32
    OUT_DIR/reference.safetensors  float64 results of torch autograd on the same weights:
        input            (B, C, S, S)   the sample batch (float32 values, stored as F64)
        logits           (B, classes)   torchvision's forward
        {block}.v, .jv   (B, R, D)      tangents and J v (torch jvp)
        {block}.u, .jtu  (B, R, D)      cotangents and J^T u (torch vjp)
        {block}.singular_values (B, n)  (only with --svd) svdvals of the full D x D Jacobian
        {block}.seq.v, .seq.jv, .seq.u, .seq.jtu, .seq.singular_values
                         (only with --sequence) the same for the full-sequence Jacobian
                         d branch(H) / d H, (N+1)D x (N+1)D, tangents flattened (B, R, (N+1)D)

{block} is encoder_layer_{i}.attention, branch x -> dropout(self_attention(ln_1(x))), or
encoder_layer_{i}.mlp, branch y -> mlp(ln_2(y)). J is the class-token Jacobian: the derivative of
the branch output at token 0 with respect to the branch input at token 0, the other tokens held at
their values (they still enter attention as keys and values), at the sample's own residual stream
(the encoder layer's input, resp. its value after the attention residual, caught by hooks).
Everything is float64 from the float32 weights (model.double() widens them exactly).

Usage:
    torchvision_vit_reference.py OUT_DIR [--variant vit_b_16 | --image-size 32 --patch-size 8
        --num-layers 2 --num-heads 2 --hidden-dim 32 --mlp-dim 64] [--channels 3] [--batch 2]
        [--tangents 2] [--blocks ...] [--svd] [--sequence] [--seed 0]
"""

import argparse
import copy
import os
import sys
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ra_reference import write_safetensors  # noqa: E402  the project's hand-written safetensors writer

CLASSES = 10


def build(a):
    torch.manual_seed(a.seed)
    if a.variant:
        model = getattr(torchvision.models, a.variant)(weights=None, num_classes=CLASSES)
    else:
        model = torchvision.models.VisionTransformer(image_size=a.image_size, patch_size=a.patch_size,
                                                     num_layers=a.num_layers, num_heads=a.num_heads,
                                                     hidden_dim=a.hidden_dim, mlp_dim=a.mlp_dim,
                                                     num_classes=CLASSES)
    if a.channels != 3:
        old = model.conv_proj
        model.conv_proj = torch.nn.Conv2d(a.channels, old.out_channels, old.kernel_size, old.stride)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.copy_(torch.empty_like(m.weight).uniform_(0.5, 1.5))
                m.bias.copy_(torch.randn_like(m.bias) * 0.1)
            if isinstance(m, torch.nn.MultiheadAttention):
                m.in_proj_bias.copy_(torch.randn_like(m.in_proj_bias) * 0.1)
                m.out_proj.bias.copy_(torch.randn_like(m.out_proj.bias) * 0.1)
        # torchvision initialises the class token and the head to zero: a zero head makes every
        # logit equal and hides a wrong forward
        model.class_token.copy_(torch.randn_like(model.class_token))
        model.heads.head.weight.copy_(torch.randn_like(model.heads.head.weight) * 0.1)
        model.heads.head.bias.copy_(torch.randn_like(model.heads.head.bias) * 0.1)
    model.eval()
    return model


def branch_of(layer, kind):
    if kind == "attention":
        def f(x):
            z = layer.ln_1(x)
            out, _ = layer.self_attention(z, z, z, need_weights=False)
            return layer.dropout(out)
    else:
        def f(y):
            return layer.mlp(layer.ln_2(y))
    return f


def block_inputs(model, x):
    """Runs torchvision's forward and returns (logits, {block: its input residual stream})."""
    caught, hooks = {}, []
    for i, layer in enumerate(model.encoder.layers):
        name = "encoder_layer_%d" % i
        hooks.append(layer.register_forward_hook(
            lambda mod, inp, out, name=name: caught.__setitem__(name + ".attention", inp[0].detach())))
        hooks.append(layer.ln_2.register_forward_hook(
            lambda mod, inp, out, name=name: caught.__setitem__(name + ".mlp", inp[0].detach())))
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    return logits, caught


def class_token_function(f, h):
    """The branch at token 0 as a function of token 0's input alone, the other tokens fixed."""
    rest = h[:, 1:]

    def g(x0):
        return f(torch.cat([x0.unsqueeze(1), rest], 1))[:, 0]
    return g


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--variant")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--patch-size", type=int, default=8)
    p.add_argument("--num-layers", type=int, default=2)
    p.add_argument("--num-heads", type=int, default=2)
    p.add_argument("--hidden-dim", type=int, default=32)
    p.add_argument("--mlp-dim", type=int, default=64)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--tangents", type=int, default=2)
    p.add_argument("--blocks", nargs="*")
    p.add_argument("--svd", action="store_true")
    p.add_argument("--sequence", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(2)
    started = time.time()
    os.makedirs(a.out, exist_ok=True)

    model = build(a)
    write_safetensors(os.path.join(a.out, "model.safetensors"),
                      {k: ("F32", t.detach().numpy().astype(np.float32)) for k, t in model.state_dict().items()})
    model64 = copy.deepcopy(model).double()
    size = model.image_size

    g = torch.Generator().manual_seed(a.seed + 1)
    x = torch.rand(a.batch, a.channels, size, size, generator=g).double()  # float32 values, widened exactly
    logits, inputs = block_inputs(model64, x)
    ref = {"input": ("F64", x.numpy()), "logits": ("F64", logits.numpy())}
    names = a.blocks or sorted(inputs)
    for name in names:
        layer = model64.encoder.layers[int(name.split(".")[0].rsplit("_", 1)[1])]
        h = inputs[name]
        f = class_token_function(branch_of(layer, name.split(".")[1]), h)
        x0 = h[:, 0]
        d = x0.shape[1]
        v = torch.randn((a.batch, a.tangents, d), generator=g, dtype=torch.float64)
        u = torch.randn((a.batch, a.tangents, d), generator=g, dtype=torch.float64)
        jv = torch.stack([torch.autograd.functional.jvp(f, x0, v[:, t])[1] for t in range(a.tangents)], 1)
        jtu = torch.stack([torch.autograd.functional.vjp(f, x0, u[:, t])[1] for t in range(a.tangents)], 1)
        for key, t in (("v", v), ("jv", jv), ("u", u), ("jtu", jtu)):
            ref[name + "." + key] = ("F64", t.numpy())
        if a.svd:
            # (B, D, B, D): samples are independent, so sample b's Jacobian is the (b, :, b, :) block
            jac = torch.autograd.functional.jacobian(f, x0)
            sv = torch.stack([torch.linalg.svdvals(jac[b, :, b, :]) for b in range(a.batch)])
            ref[name + ".singular_values"] = ("F64", sv.numpy())
        if a.sequence:
            full = branch_of(layer, name.split(".")[1])
            n = h[0].numel()
            v = torch.randn((a.batch, a.tangents) + tuple(h.shape[1:]), generator=g, dtype=torch.float64)
            u = torch.randn((a.batch, a.tangents) + tuple(h.shape[1:]), generator=g, dtype=torch.float64)
            jv = torch.stack([torch.autograd.functional.jvp(full, h, v[:, t])[1] for t in range(a.tangents)], 1)
            jtu = torch.stack([torch.autograd.functional.vjp(full, h, u[:, t])[1] for t in range(a.tangents)], 1)
            for key, t in (("v", v), ("jv", jv), ("u", u), ("jtu", jtu)):
                ref[name + ".seq." + key] = ("F64", t.reshape(a.batch, a.tangents, n).numpy())
            if a.svd:
                sv = []
                for b in range(a.batch):
                    jac = torch.autograd.functional.jacobian(full, h[b:b + 1])
                    sv.append(torch.linalg.svdvals(jac.reshape(n, n)))
                ref[name + ".seq.singular_values"] = ("F64", torch.stack(sv).numpy())
    write_safetensors(os.path.join(a.out, "reference.safetensors"), ref)
    print("vit %s: %d blocks, %.1f s" % (a.variant or "custom", len(names), time.time() - started))


if __name__ == "__main__":
    main()
