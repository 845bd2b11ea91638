"""The `resnet-mlp` architecture of docs/models.md as a PyTorch module, and its export.

    x        flattened input after preprocessing, in = prod(input.shape)
    h_0      = relu( [stem_bn]( stem(x) ) )                 stem: Linear(in, d)
    F_l(h)   = [bn2]( fc2( relu( [bn1]( fc1(h) ) ) ) )      fc1, fc2: Linear(d, d)
    h_{l+1}  = phi( s * h_l + F_l(h_l) )                    s = 1 with skips, 0 without
    logits   = head(h_L)                                    head: Linear(d, C)

Module names give exactly the tensor names resalign loads: `stem.*`, `stem_bn.*`,
`blocks.{l}.fc1.*`, `blocks.{l}.bn1.*`, `blocks.{l}.fc2.*`, `blocks.{l}.bn2.*`, `head.*`.
Without BatchNorm the `[bn]` modules are nn.Identity, which has no parameters or buffers, so
the state_dict then holds no BatchNorm tensors at all (as the loader expects). With BatchNorm
the state_dict also holds `*.num_batches_tracked` (int64), which resalign tolerates.

Preprocessing (input.scale, mean, std of manifest.json) is NOT part of the module: resalign
applies it before the stem, so train on preprocessed inputs (see `preprocess` below) and do
not bake normalisation into the network.

Not runnable in the resalign build (no torch there); the numpy twin that the Java tests use as
ground truth is src/test/python/ra_reference.py.
"""

import json
import os

import torch
from torch import nn


class ResidualBlock(nn.Module):
    """F(h) = [bn2](fc2(relu([bn1](fc1(h))))); the skip and phi are applied by the network."""

    def __init__(self, width: int, batch_norm: bool = True, bn_eps: float = 1e-5):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.bn1 = nn.BatchNorm1d(width, eps=bn_eps) if batch_norm else nn.Identity()
        self.fc2 = nn.Linear(width, width)
        self.bn2 = nn.BatchNorm1d(width, eps=bn_eps) if batch_norm else nn.Identity()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.bn2(self.fc2(torch.relu(self.bn1(self.fc1(h)))))


class ResNetMLP(nn.Module):
    """Fully-connected ResNet of Li & Papyan (2023) as resalign's `resnet-mlp`."""

    def __init__(self, in_shape, width: int, depth: int, num_classes: int,
                 batch_norm: bool = True, skip: bool = True,
                 post_activation: str = "identity", bn_eps: float = 1e-5):
        super().__init__()
        if post_activation not in ("identity", "relu"):
            raise ValueError(f"post_activation must be 'identity' or 'relu', not {post_activation!r}")
        self.in_shape = tuple(int(s) for s in in_shape)
        in_features = 1
        for s in self.in_shape:
            in_features *= s
        # Kept as plain attributes (not buffers) so they do not appear in the state_dict.
        self.width, self.depth, self.num_classes = width, depth, num_classes
        self.batch_norm, self.skip = batch_norm, skip
        self.post_activation, self.bn_eps = post_activation, bn_eps

        self.stem = nn.Linear(in_features, width)
        self.stem_bn = nn.BatchNorm1d(width, eps=bn_eps) if batch_norm else nn.Identity()
        self.blocks = nn.ModuleList(ResidualBlock(width, batch_norm, bn_eps) for _ in range(depth))
        self.head = nn.Linear(width, num_classes)

    def trajectory(self, x: torch.Tensor):
        """(logits, [h_0, ..., h_L]) for a batch of preprocessed inputs [N, *in_shape]."""
        h = torch.relu(self.stem_bn(self.stem(torch.flatten(x, 1))))  # row-major flatten
        hs = [h]
        for block in self.blocks:
            y = (h if self.skip else 0.0) + block(h)
            h = torch.relu(y) if self.post_activation == "relu" else y
            hs.append(h)
        return self.head(h), hs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.trajectory(x)[0]

    def hyperparameters(self) -> dict:
        return {"width": self.width, "depth": self.depth, "batch_norm": self.batch_norm,
                "skip": self.skip, "post_activation": self.post_activation,
                "bn_eps": self.bn_eps}


def preprocess(x: torch.Tensor, scale=1.0, mean=(0.0,), std=(1.0,)) -> torch.Tensor:
    """resalign's preprocessing x' = (x * scale - mean[c]) / std[c], c the first axis of one
    sample (axis 1 of the batch); a single mean/std value applies to every channel."""
    x = x.to(torch.float32) * scale
    shape = (1, -1) + (1,) * (x.dim() - 2)
    mean = torch.as_tensor(mean, dtype=x.dtype, device=x.device)
    std = torch.as_tensor(std, dtype=x.dtype, device=x.device)
    if mean.numel() > 1:
        mean = mean.reshape(shape)
    if std.numel() > 1:
        std = std.reshape(shape)
    return (x - mean) / std


def export(model: ResNetMLP, directory: str, manifest: dict) -> None:
    """Write a resalign model directory: manifest.json + model.safetensors.

    `manifest` needs at least `name`, `input` and `classes`; `architecture`,
    `hyperparameters`, `watch` and `weights` are filled in from the model when absent."""
    from safetensors.torch import save_file

    manifest = dict(manifest)
    manifest.setdefault("version", "1")
    manifest.setdefault("architecture", "resnet-mlp")
    manifest.setdefault("hyperparameters", model.hyperparameters())
    manifest.setdefault("watch", ["all"])
    manifest.setdefault("weights", "model.safetensors")
    if len(manifest["classes"]) != model.num_classes:
        raise ValueError(f"{len(manifest['classes'])} class names for {model.num_classes} outputs")
    if tuple(manifest["input"]["shape"]) != model.in_shape:
        raise ValueError(f"input.shape {manifest['input']['shape']} != model in_shape {model.in_shape}")

    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    # save_file wants contiguous CPU tensors without shared storage; a state_dict of this
    # module has none shared. F32 weights (resalign refuses F16/BF16).
    state = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    state = {name: (t.float() if t.is_floating_point() else t) for name, t in state.items()}
    save_file(state, os.path.join(directory, manifest["weights"]), metadata={"format": "pt"})


if __name__ == "__main__":  # example: a FashionMNIST-shaped model, untrained
    net = ResNetMLP(in_shape=(1, 28, 28), width=128, depth=16, num_classes=10).eval()
    export(net, "fashion-mlp", {
        "name": "fashion-mlp",
        "input": {"shape": [1, 28, 28], "scale": 1 / 255, "mean": [0.2860], "std": [0.3530]},
        "classes": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    })
