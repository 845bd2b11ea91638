#!/usr/bin/env python3
"""Trains the bundled `models/demo-vit`: a small torchvision VisionTransformer on Fashion-MNIST.

The network is torchvision's own `VisionTransformer` (image_size 28, patch_size 7: 16 patches
plus the class token; 4 encoder layers, 4 heads, hidden_dim 64, mlp_dim 128, 10 classes) with
`conv_proj` replaced by a one-input-channel `nn.Conv2d(1, 64, 7, stride=7)` under the same name,
so its state_dict carries exactly the names resalign's `vit` architecture loads
(docs/models.md). Inputs are the raw 0..255 pixels preprocessed as resalign's manifest `input`
does, x * (1/255), minus 0.286, over 0.353 (the same as the other bundled models), so the
exported model, like demo-conv, takes raw pixels and the normalisation lives in the manifest.

Training: AdamW, a half-epoch linear warm-up then cosine decay to 0 (stepped per batch),
label smoothing 0, no augmentation, dropout 0 (torchvision's default), fixed seeds, 2 threads.

Writes OUT_DIR/model.safetensors (float32, torchvision's names, written by hand in the format of
src/test/python/ra_reference.py's writer, no safetensors package needed), OUT_DIR/manifest.json
(with a `training` record), OUT_DIR/samples.npy and OUT_DIR/labels.npy (the first 64 test images,
uint8 [64, 1, 28, 28], and their labels, as every bundled model carries), and, with
--predictions FILE, torch's predicted class of each of the 10,000 test images (int64 .npy), which
the engine's predictions are compared with.

Usage (Debian's python3-torch 1.13 and python3-torchvision 0.14, dataset-fashion-mnist):
    /usr/bin/python3 docs/pytorch/vit_fashion_mnist.py models/demo-vit [--epochs 7] [--seed 42]
        [--predictions target/demo-vit-torch-predictions.npy]
"""

import argparse
import datetime
import gzip
import json
import math
import os
import platform
import struct
import time

import numpy as np
import torch
import torchvision

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SCALE, MEAN, STD = 1.0 / 255.0, 0.286, 0.353
HYPER = {"image_size": 28, "patch_size": 7, "num_layers": 4, "num_heads": 4,
         "hidden_dim": 64, "mlp_dim": 128}


def read_idx(path):
    """An IDX file (gzipped, big-endian header) as a numpy array of its declared shape."""
    with gzip.open(path, "rb") as f:
        buf = f.read()
    zero, dtype, dims = struct.unpack(">HBB", buf[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {buf[:4].hex()})")
    shape = struct.unpack(">" + "I" * dims, buf[4:4 + 4 * dims])
    return np.frombuffer(buf, np.uint8, offset=4 + 4 * dims).reshape(shape)


def preprocess(pixels):
    """resalign's manifest preprocessing in float32: (x * scale - mean) / std."""
    x = torch.from_numpy(pixels.astype(np.float32)).unsqueeze(1) * np.float32(SCALE)
    return (x - np.float32(MEAN)) / np.float32(STD)


def build(seed):
    torch.manual_seed(seed)
    model = torchvision.models.VisionTransformer(num_classes=len(CLASSES), **HYPER)
    # The name stays conv_proj; its init follows torchvision's (lecun normal, zero bias).
    conv = torch.nn.Conv2d(1, HYPER["hidden_dim"], HYPER["patch_size"], stride=HYPER["patch_size"])
    fan_in = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
    torch.nn.init.trunc_normal_(conv.weight, std=math.sqrt(1 / fan_in))
    torch.nn.init.zeros_(conv.bias)
    model.conv_proj = conv
    return model


def write_safetensors(path, state):
    """The state_dict as F32 safetensors, tensors in state_dict order, 8-byte padded header."""
    header, chunks, offset = {}, [], 0
    for name, t in state.items():
        raw = np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in chunks:
            f.write(raw)


@torch.no_grad()
def predict(model, x, batch=1000):
    model.eval()
    return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--epochs", type=int, default=7)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--warmup-epochs", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--predictions", help="write torch's 10k test predictions here (.npy)")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    np.random.seed(a.seed)
    train_px = read_idx(f"{DATA}/train-images-idx3-ubyte.gz")
    train_y = torch.from_numpy(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64))
    test_px = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")
    test_y = torch.from_numpy(read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    train_x, test_x = preprocess(train_px), preprocess(test_px)

    model = build(a.seed)
    decay = [p_ for n, p_ in model.named_parameters() if p_.dim() >= 2 and "pos_embedding" not in n]
    no_decay = [p_ for n, p_ in model.named_parameters() if not (p_.dim() >= 2 and "pos_embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr)
    steps_per_epoch = math.ceil(len(train_x) / a.batch)
    total, warmup = a.epochs * steps_per_epoch, int(a.warmup_epochs * steps_per_epoch)

    def lr_at(step):
        if step < warmup:
            return a.lr * (step + 1) / warmup
        return a.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    gen = torch.Generator().manual_seed(a.seed)
    losses, train_accs, test_accs, epoch_seconds = [], [], [], []
    step, t0 = 0, time.time()
    for epoch in range(a.epochs):
        te = time.time()
        model.train()
        order = torch.randperm(len(train_x), generator=gen)
        loss_sum, correct = 0.0, 0
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            logits = model(train_x[idx])
            loss = torch.nn.functional.cross_entropy(logits, train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == train_y[idx]).sum().item()
        acc = (predict(model, test_x) == test_y).float().mean().item()
        losses.append(round(loss_sum / len(order), 4))
        train_accs.append(round(correct / len(order), 4))
        test_accs.append(round(acc, 4))
        epoch_seconds.append(round(time.time() - te, 1))
        print(f"epoch {epoch + 1}/{a.epochs}: loss {losses[-1]:.4f} train {train_accs[-1]:.4f} "
              f"test {acc:.4f} ({epoch_seconds[-1]} s)", flush=True)
    seconds = round(time.time() - t0, 1)

    model.eval()
    pred = predict(model, test_x)
    accuracy = (pred == test_y).float().mean().item()
    os.makedirs(a.out, exist_ok=True)
    write_safetensors(os.path.join(a.out, "model.safetensors"), model.state_dict())
    np.save(os.path.join(a.out, "samples.npy"), np.ascontiguousarray(test_px[:64, None, :, :]))
    np.save(os.path.join(a.out, "labels.npy"), read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")[:64])
    if a.predictions:
        os.makedirs(os.path.dirname(os.path.abspath(a.predictions)), exist_ok=True)
        np.save(a.predictions, pred.numpy().astype(np.int64))
    manifest = {
        "name": os.path.basename(os.path.normpath(a.out)),
        "version": "1",
        "architecture": "vit",
        "hyperparameters": dict(HYPER),
        "input": {"shape": [1, 28, 28], "scale": SCALE, "mean": [MEAN], "std": [STD]},
        "classes": CLASSES,
        "watch": ["all"],
        "weights": "model.safetensors",
        "training": {
            "dataset": "fashion-mnist",
            "train_samples": len(train_x),
            "test_samples": len(test_x),
            "epochs": a.epochs,
            "batch_size": a.batch,
            "seed": a.seed,
            "optimizer": "adamw",
            "learning_rate": a.lr,
            "lr_schedule": f"linear warm-up {a.warmup_epochs:g} epoch, then cosine to 0, per batch",
            "weight_decay": a.weight_decay,
            "weight_decay_excludes": "biases, LayerNorms, class_token, pos_embedding",
            "augmentation": "none",
            "loss": "softmax cross-entropy",
            "test_accuracy": round(accuracy, 4),
            "train_loss": losses,
            "train_accuracy": train_accs,
            "test_accuracy_per_epoch": test_accs,
            "training_seconds": seconds,
            "epoch_seconds": epoch_seconds,
            "machine": f"{a.threads} threads ({os.cpu_count()} cores), no GPU, {platform.system()} "
                       f"{platform.machine()}, Python {platform.python_version()}",
            "date": datetime.date.today().isoformat(),
            "trainer": f"docs/pytorch/vit_fashion_mnist.py (torch {torch.__version__}, "
                       f"torchvision {torchvision.__version__})",
        },
    }
    with open(os.path.join(a.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"test accuracy {accuracy:.4f}, {seconds} s of training; wrote {a.out}")


if __name__ == "__main__":
    main()
