#!/usr/bin/env python3
"""torchvision's own Bottleneck ResNets as the reference of resalign's `resnet-conv` engine.

Builds `torchvision.models.<arch>(weights=None, num_classes=10)` with random weights (no
download), gives every BatchNorm non-trivial running statistics (accumulated on random batches,
then perturbed) and affine parameters, switches to `eval()` and writes:

    OUT_DIR/model.safetensors      the state_dict exactly as torchvision names it, F32
                                   (num_batches_tracked as I64 scalars, as state_dict() has them)
    OUT_DIR/reference.safetensors  float64 results of torch autograd on the same weights:
        input                (B, 3, S, S)    the sample batch (float32 values, stored as F64)
        logits               (B, 10)         torchvision's forward
        {block}.v, .jv       (B, R, d_in), (B, R, d_out)   tangents and J v (torch jvp)
        {block}.u, .jtu      (B, R, d_out), (B, R, d_in)   cotangents and J^T u (torch vjp)
        svd.input            (1, 3, s, s)    a tiny sample for the full Jacobian
        svd.singular_values  (n)             top singular values of --svd-block's full Jacobian
                                             at svd.input (torch jacobian + linalg.svdvals)

J is the Jacobian of the residual branch alone,
    h -> bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(h))))))))
at the sample's own h_l (the block's input in torchvision's forward pass, caught by a hook).
Everything is computed in float64 from the float32 weights (model.double() widens them exactly),
so the Java engine, which loads the F32 file and widens it too, sees the same numbers.

Usage:
    torchvision_reference.py OUT_DIR --arch resnet50 --blocks layer1.0 layer2.0 ... \
        [--batch 2] [--size 64] [--tangents 2] [--svd-block layer2.1] [--svd-size 16] [--seed 0]
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


def build(arch, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None, num_classes=CLASSES)
    # Running statistics that match the activations (so the net stays well scaled through 16
    # blocks), accumulated over random batches, then moved off them so that no BatchNorm is
    # the identity or an exact standardisation.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None  # cumulative average
            m.reset_running_stats()
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, 64, 64))
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.empty(c).uniform_(0.5, 1.5))
                m.bias.copy_(torch.randn(c) * 0.1)
                m.running_var.mul_(torch.empty(c).uniform_(0.8, 1.25))
                m.running_mean.add_(torch.randn(c) * 0.05 * m.running_var.sqrt())
        model.fc.bias.copy_(torch.randn(CLASSES) * 0.1)
    model.eval()
    return model


def state_dict_tensors(model):
    out = {}
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            out[name] = ("I64", t.detach().numpy().astype(np.int64))
        else:
            out[name] = ("F32", t.detach().numpy().astype(np.float32))
    return out


def branch_of(block):
    # torch.relu rather than the block's in-place ReLU: the same values, and functorch's vmap
    # (large_model_peer.py) cannot batch an in-place op on an unbatched primal
    def f(h):
        z = torch.relu(block.bn1(block.conv1(h)))
        z = torch.relu(block.bn2(block.conv2(z)))
        return block.bn3(block.conv3(z))
    return f


def block_inputs(model, names, x):
    """Runs torchvision's forward and returns (logits, {name: the block's input h_l})."""
    modules = dict(model.named_modules())
    caught, hooks = {}, []
    for name in names:
        hooks.append(modules[name].register_forward_hook(
            lambda mod, inp, out, name=name: caught.__setitem__(name, inp[0].detach())))
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    return logits, caught


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--arch", required=True)
    p.add_argument("--blocks", nargs="+", required=True)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--tangents", type=int, default=2)
    p.add_argument("--svd-block", default="layer2.1")
    p.add_argument("--svd-size", type=int, default=16)
    p.add_argument("--svd-values", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(2)
    started = time.time()
    os.makedirs(a.out, exist_ok=True)

    model = build(a.arch, a.seed)
    write_safetensors(os.path.join(a.out, "model.safetensors"), state_dict_tensors(model))
    model64 = copy.deepcopy(model).double()
    modules = dict(model64.named_modules())

    g = torch.Generator().manual_seed(a.seed + 1)
    x = torch.rand(a.batch, 3, a.size, a.size, generator=g).double()  # float32 values, widened exactly
    logits, inputs = block_inputs(model64, a.blocks, x)
    ref = {"input": ("F64", x.numpy()), "logits": ("F64", logits.numpy())}
    for name in a.blocks:
        f = branch_of(modules[name])
        h = inputs[name]
        with torch.no_grad():
            out_shape = f(h).shape
        v = torch.randn((a.batch, a.tangents) + tuple(h.shape[1:]), generator=g, dtype=torch.float64)
        u = torch.randn((a.batch, a.tangents) + tuple(out_shape[1:]), generator=g, dtype=torch.float64)
        jv = torch.stack([torch.autograd.functional.jvp(f, h, v[:, t])[1] for t in range(a.tangents)], 1)
        jtu = torch.stack([torch.autograd.functional.vjp(f, h, u[:, t])[1] for t in range(a.tangents)], 1)
        for key, t in (("v", v), ("jv", jv), ("u", u), ("jtu", jtu)):
            ref[name + "." + key] = ("F64", t.reshape(a.batch, a.tangents, -1).numpy())

    xs = torch.rand(1, 3, a.svd_size, a.svd_size, generator=g).double()
    _, small = block_inputs(model64, [a.svd_block], xs)
    f = branch_of(modules[a.svd_block])
    h = small[a.svd_block]
    jac = torch.autograd.functional.jacobian(f, h, vectorize=True)
    d_out = int(np.prod(jac.shape[:4]))
    sv = torch.linalg.svdvals(jac.reshape(d_out, -1))[:a.svd_values]
    ref["svd.input"] = ("F64", xs.numpy())
    ref["svd.singular_values"] = ("F64", sv.numpy())
    write_safetensors(os.path.join(a.out, "reference.safetensors"), ref)
    print("%s: %d blocks, svd %s %s, %.1f s" % (a.arch, len(a.blocks), a.svd_block, tuple(jac.reshape(d_out, -1).shape),
                                                time.time() - started))


if __name__ == "__main__":
    main()
