#!/usr/bin/env python3
"""Independent numpy reference implementation of resalign's Residual Alignment metrics.

Ground truth for the Java test suite. Only numpy is used: the safetensors file format is
written and read by the small functions below, the `resnet-mlp` forward pass is written out by
hand, the Residual Jacobians use the closed form of docs/models.md and everything is computed
in float64 (weights stored as F32 are widened on load).

Sub-commands (see README.md next to this file for the JSON schema):

    make-mlp OUT_DIR [--in-shape 1 8 8] [--width 32] [--depth 6] [--classes 5]
             [--batch-norm {0,1}] [--skip {0,1}] [--post-activation {identity,relu}]
             [--samples 16] [--seed 7] [--low-rank R] [--weights-dtype {F32,F64}] [--name NAME]
        Writes a random resnet-mlp model directory (manifest.json, model.safetensors) and
        OUT_DIR/inputs.npy (float32, [samples, *in_shape]).

    metrics MODEL_DIR INPUTS.npy [--k K] [--tau 1e-2] --out OUT.json
        Every metric of docs/metrics-definitions.md, per sample and per watched block.

    selftest [--model DIR --inputs NPY]
        Analytic Jacobian vs central finite differences of the branch (float64, rel err < 1e-6),
        safetensors round trip, and metric identities on synthetic matrices. Without --model it
        generates and checks a grid of configurations in a temporary directory.

    simulate-null [--dims 32 64 128] [--k 10] [--draws 2000] [--seed 0]
        "No alignment" levels of cross_alignment and self_alignment for independent Gaussian
        d x d matrices, next to sqrt(2/pi)/(2 sqrt d) and sqrt(2/(pi d)).

Definitions follow docs/metrics-definitions.md; the choices made where that text leaves room
are listed in README.md ("Resolved ambiguities") and commented at the place they apply.
"""

import argparse
import json
import math
import os
import struct
import sys
import tempfile

import numpy as np

TAU_DEFAULT = 1e-2
BN_EPS_DEFAULT = 1e-5

# --------------------------------------------------------------------------------------------
# safetensors: minimal writer and reader
# Format: u64 little-endian header length N, N bytes of UTF-8 JSON header, then the data
# buffer. Each header entry is {"dtype", "shape", "data_offsets": [begin, end]} with offsets
# relative to the start of the data buffer; "__metadata__" is an optional str->str map.
# --------------------------------------------------------------------------------------------

_ST_DTYPES = {  # safetensors dtype -> little-endian numpy dtype
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": None,
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "<i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "<u1", "BOOL": "<u1",
}


def write_safetensors(path, tensors, metadata=None):
    """Write {name: (dtype_str, ndarray)} in insertion order; data is contiguous, no gaps."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks, offset = [], 0
    for name, (dtype, array) in tensors.items():
        raw = np.ascontiguousarray(array, dtype=np.dtype(_ST_DTYPES[dtype])).tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)  # pad with spaces to 8 bytes, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in chunks:
            f.write(raw)


def read_safetensors(path):
    """Return ({name: ndarray}, {name: dtype_str}, metadata). Arrays are copies (writable)."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise ValueError(f"{path}: header length {n} exceeds file size {len(buf)}")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    data = memoryview(buf)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    arrays, dtypes, spans = {}, {}, []
    for name, entry in header.items():
        dtype, shape = entry["dtype"], [int(s) for s in entry["shape"]]
        begin, end = (int(o) for o in entry["data_offsets"])
        np_dtype = _ST_DTYPES.get(dtype)
        if np_dtype is None:
            raise ValueError(f"{path}: tensor {name}: dtype {dtype} not supported by this reader")
        count = int(np.prod(shape, dtype=np.int64))  # prod([]) = 1: a scalar
        if end - begin != count * np.dtype(np_dtype).itemsize or not 0 <= begin <= end <= len(data):
            raise ValueError(f"{path}: tensor {name}: offsets {begin}..{end} do not fit "
                             f"shape {shape} {dtype} / buffer of {len(data)} bytes")
        arrays[name] = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(shape).copy()
        dtypes[name] = dtype
        spans.append((begin, end))
    # The format requires the tensors to tile the data buffer exactly (no holes, no overlap).
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise ValueError(f"{path}: data buffer not contiguous at byte {pos}")
        pos = end
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} trailing bytes after the last tensor")
    return arrays, dtypes, metadata


# --------------------------------------------------------------------------------------------
# resnet-mlp model: manifest, tensor names, loading
# --------------------------------------------------------------------------------------------

class MlpModel:
    """A loaded resnet-mlp, every parameter as float64."""

    def __init__(self, manifest, params):
        self.manifest = manifest
        hp = manifest.get("hyperparameters", {})
        self.width = int(hp["width"])
        self.depth = int(hp["depth"])
        self.batch_norm = bool(hp.get("batch_norm", True))
        self.skip = bool(hp.get("skip", True))
        self.post_activation = hp.get("post_activation", "identity")
        if self.post_activation not in ("identity", "relu"):
            raise ValueError(f"post_activation {self.post_activation!r} not supported")
        self.bn_eps = float(hp.get("bn_eps", BN_EPS_DEFAULT))
        inp = manifest["input"]
        self.in_shape = [int(s) for s in inp["shape"]]
        self.in_features = int(np.prod(self.in_shape))
        self.scale = float(inp.get("scale", 1.0))
        self.mean = np.asarray(inp.get("mean", [0.0]), dtype=np.float64)
        self.std = np.asarray(inp.get("std", [1.0]), dtype=np.float64)
        for key, arr in (("mean", self.mean), ("std", self.std)):
            if arr.size not in (1, self.in_shape[0]):
                raise ValueError(f"input.{key} has {arr.size} values; need 1 or {self.in_shape[0]}")
        self.classes = list(manifest["classes"])
        self.num_classes = len(self.classes)
        self.block_names = [str(l) for l in range(self.depth)]
        watch = manifest.get("watch", ["all"])
        if watch == ["all"] or "all" in watch:
            self.watched = list(range(self.depth))
        else:
            unknown = [w for w in watch if str(w) not in self.block_names]
            if unknown:
                raise ValueError(f"watch names unknown blocks {unknown}; blocks are {self.block_names}")
            self.watched = sorted({self.block_names.index(str(w)) for w in watch})
        self.p = params

    @property
    def name(self):
        return self.manifest.get("name", "")

    @property
    def version(self):
        return str(self.manifest.get("version", "1"))

    # BatchNorm in inference mode as an affine map: bn(z) = g * z + c.
    def bn_affine(self, prefix):
        if not self.batch_norm:
            return np.ones(self.width), np.zeros(self.width)
        w, b = self.p[prefix + ".weight"], self.p[prefix + ".bias"]
        mu, var = self.p[prefix + ".running_mean"], self.p[prefix + ".running_var"]
        g = w / np.sqrt(var + self.bn_eps)
        return g, b - g * mu

    def preprocess(self, x):
        """x' = (x * scale - mean[c]) / std[c], c = first axis of input.shape; then flatten."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, *self.in_shape)
        bshape = (1, -1) + (1,) * (len(self.in_shape) - 1)  # broadcast over the first axis
        mean = self.mean.reshape(bshape) if self.mean.size > 1 else self.mean.reshape(())
        std = self.std.reshape(bshape) if self.std.size > 1 else self.std.reshape(())
        return ((x * self.scale - mean) / std).reshape(x.shape[0], -1)  # C-order = torch flatten

    def stem(self, x):
        z = x @ self.p["stem.weight"].T + self.p["stem.bias"]
        g, c = self.bn_affine("stem_bn")
        return np.maximum(g * z + c, 0.0)

    def branch(self, l, h, return_internals=False):
        """F_l(h) = [bn2](fc2(relu([bn1](fc1(h))))); h is [..., d]."""
        pre = f"blocks.{l}."
        a1 = h @ self.p[pre + "fc1.weight"].T + self.p[pre + "fc1.bias"]
        g1, c1 = self.bn_affine(pre + "bn1")
        z1 = g1 * a1 + c1
        r = np.maximum(z1, 0.0)
        a2 = r @ self.p[pre + "fc2.weight"].T + self.p[pre + "fc2.bias"]
        g2, c2 = self.bn_affine(pre + "bn2")
        out = g2 * a2 + c2
        return (out, z1) if return_internals else out

    def block(self, l, h):
        y = (h if self.skip else 0.0) + self.branch(l, h)
        return np.maximum(y, 0.0) if self.post_activation == "relu" else y

    def forward(self, x_pre):
        """Trajectory [N, L+1, d] (h_0..h_L) and logits [N, C] from preprocessed inputs."""
        h = self.stem(x_pre)
        traj = [h]
        for l in range(self.depth):
            h = self.block(l, h)
            traj.append(h)
        logits = h @ self.p["head.weight"].T + self.p["head.bias"]
        return np.stack(traj, axis=1), logits

    def jacobian(self, l, h):
        """Closed form J_l(h) = diag(g2) W2 diag(mask) diag(g1) W1, mask = 1[bn1(a1) > 0].

        h: [N, d] -> [N, d, d]. The mask uses a strict '>' (relu'(0) = 0, as in PyTorch)."""
        pre = f"blocks.{l}."
        W1, W2 = self.p[pre + "fc1.weight"], self.p[pre + "fc2.weight"]
        g1, _ = self.bn_affine(pre + "bn1")
        g2, _ = self.bn_affine(pre + "bn2")
        _, z1 = self.branch(l, h, return_internals=True)
        mask = (z1 > 0).astype(np.float64)                 # [N, d]
        left = g2[:, None] * W2                             # diag(g2) W2
        right = (mask * g1)[:, :, None] * W1[None, :, :]    # diag(mask) diag(g1) W1, per sample
        return np.einsum("ij,njk->nik", left, right)


def expected_tensors(hp, in_features, num_classes):
    """Ordered {name: shape} of a resnet-mlp state_dict (without num_batches_tracked)."""
    d, L = int(hp["width"]), int(hp["depth"])
    bn = bool(hp.get("batch_norm", True))
    names = {}

    def add_bn(prefix):
        if bn:
            for t in ("weight", "bias", "running_mean", "running_var"):
                names[f"{prefix}.{t}"] = (d,)

    names["stem.weight"], names["stem.bias"] = (d, in_features), (d,)
    add_bn("stem_bn")
    for l in range(L):
        names[f"blocks.{l}.fc1.weight"], names[f"blocks.{l}.fc1.bias"] = (d, d), (d,)
        add_bn(f"blocks.{l}.bn1")
        names[f"blocks.{l}.fc2.weight"], names[f"blocks.{l}.fc2.bias"] = (d, d), (d,)
        add_bn(f"blocks.{l}.bn2")
    names["head.weight"], names["head.bias"] = (num_classes, d), (num_classes,)
    return names


def bn_prefixes(names):
    return {n[: -len(".running_var")] for n in names if n.endswith(".running_var")}


def load_model(model_dir):
    """Load strictly, as docs/models.md asks: missing / unexpected / wrong-shape tensors fail.

    Tolerated extras: '<bn>.num_batches_tracked' for BatchNorm modules the architecture has."""
    with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("architecture") != "resnet-mlp":
        raise ValueError(f"architecture {manifest.get('architecture')!r}: only resnet-mlp here")
    in_features = int(np.prod(manifest["input"]["shape"]))
    expected = expected_tensors(manifest["hyperparameters"], in_features, len(manifest["classes"]))
    arrays, dtypes, _ = read_safetensors(os.path.join(model_dir, manifest.get("weights", "model.safetensors")))
    tolerated = {p + ".num_batches_tracked" for p in bn_prefixes(expected)}
    errors = []
    for name, shape in expected.items():
        if name not in arrays:
            errors.append(f"missing tensor {name} (expected shape {list(shape)})")
        elif tuple(arrays[name].shape) != shape:
            errors.append(f"tensor {name}: shape {list(arrays[name].shape)}, expected {list(shape)}")
        elif dtypes[name] not in ("F32", "F64"):
            errors.append(f"tensor {name}: dtype {dtypes[name]} not supported (F32, F64 only)")
    for name in arrays:
        if name not in expected and name not in tolerated:
            errors.append(f"unexpected tensor {name} (shape {list(arrays[name].shape)})")
    if errors:
        raise ValueError("model load failed:\n  " + "\n  ".join(errors))
    params = {n: arrays[n].astype(np.float64) for n in expected}
    return MlpModel(manifest, params)


# --------------------------------------------------------------------------------------------
# make-mlp: random model directories
# --------------------------------------------------------------------------------------------

def make_mlp(out_dir, in_shape, width, depth, classes, batch_norm, skip, post_activation,
             samples, seed, low_rank=None, weights_dtype="F32", name=None):
    """Random resnet-mlp whose activations stay O(1).

    Linear weights ~ N(0, 1/fan_in) (LeCun scaling). With skips the residual stream adds one
    branch per block, so fc2 is further scaled by 1/sqrt(depth) to keep ||h_L|| = O(||h_0||).
    --low-rank R: fc1.weight = A @ B with A [d, R], B [R, d] Gaussian, scaled to the same
    typical gain as a full-rank N(0, 1/d) matrix; every J_l then has rank <= R, so its
    spectrum drops to numerical zero after R values (steep spectra, effective_rank = R).
    All values are drawn in float32, so F64 files hold exactly F32-representable numbers and
    a loader that converts F64 to F32 loses nothing."""
    rng = np.random.default_rng(seed)
    d = width
    in_features = int(np.prod(in_shape))
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    fc2_gain = 1.0 / math.sqrt(depth) if skip else 1.0

    def linear(out_f, in_f, gain=1.0):
        w = rng.standard_normal((out_f, in_f)) * gain / math.sqrt(in_f)
        b = rng.standard_normal(out_f) * 0.1
        return f32(w), f32(b)

    def batchnorm():
        return {"weight": f32(rng.uniform(0.5, 1.5, d)), "bias": f32(rng.normal(0, 0.1, d)),
                "running_mean": f32(rng.normal(0, 0.1, d)),
                "running_var": f32(rng.uniform(0.5, 2.0, d))}

    tensors = {}

    def put_linear(prefix, w, b):
        tensors[prefix + ".weight"], tensors[prefix + ".bias"] = w, b

    def put_bn(prefix):
        if batch_norm:
            for k, v in batchnorm().items():
                tensors[f"{prefix}.{k}"] = v
            tensors[f"{prefix}.num_batches_tracked"] = np.array(int(rng.integers(100, 10000)), dtype=np.int64)

    put_linear("stem", *linear(d, in_features))
    put_bn("stem_bn")
    for l in range(depth):
        w1, b1 = linear(d, d)
        if low_rank is not None:
            r = int(low_rank)
            if not 1 <= r <= d:
                raise ValueError(f"--low-rank must be in 1..{d}")
            a = rng.standard_normal((d, r)) / math.sqrt(r)
            bm = rng.standard_normal((r, d)) / math.sqrt(d)
            w1 = f32(a @ bm)  # E||W1 x||^2 = ||x||^2, like the full-rank N(0, 1/d) matrix
        put_linear(f"blocks.{l}.fc1", w1, b1)
        put_bn(f"blocks.{l}.bn1")
        put_linear(f"blocks.{l}.fc2", *linear(d, d, fc2_gain))
        put_bn(f"blocks.{l}.bn2")
    put_linear("head", *linear(classes, d))

    os.makedirs(out_dir, exist_ok=True)
    st = {n: ("I64" if v.dtype == np.int64 else weights_dtype,
              v if v.dtype == np.int64 else v.astype(np.float64 if weights_dtype == "F64" else np.float32))
          for n, v in tensors.items()}
    write_safetensors(os.path.join(out_dir, "model.safetensors"), st,
                      metadata={"format": "pt", "generator": "ra_reference.py make-mlp",
                                "seed": str(seed), "low_rank": str(low_rank)})
    # Inputs look like raw pixels in [0, 2] before scale 0.5, mean 0.1, std 0.9; with several
    # channels mean/std get one (distinct) value per channel so per-channel broadcasting is tested.
    c = in_shape[0]
    mean = [0.1] if c == 1 else [round(0.1 + 0.05 * i, 4) for i in range(c)]
    std = [0.9] if c == 1 else [round(0.9 - 0.1 * i, 4) for i in range(c)]
    manifest = {
        "name": name or os.path.basename(os.path.normpath(out_dir)),
        "version": "1",
        "architecture": "resnet-mlp",
        "hyperparameters": {"width": d, "depth": depth, "batch_norm": bool(batch_norm),
                            "skip": bool(skip), "post_activation": post_activation,
                            "bn_eps": BN_EPS_DEFAULT},
        "input": {"shape": list(in_shape), "scale": 0.5, "mean": mean, "std": std},
        "classes": [f"class{i}" for i in range(classes)],
        "watch": ["all"],
        "weights": "model.safetensors",
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    inputs = f32(rng.uniform(0.0, 2.0, (samples, *in_shape)))
    np.save(os.path.join(out_dir, "inputs.npy"), inputs)
    return manifest


# --------------------------------------------------------------------------------------------
# Metrics (docs/metrics-definitions.md)
# --------------------------------------------------------------------------------------------

def svd_topk(J, k):
    """Full SVD of J; return (U[:, :k], S (all), V[:, :k]) with J v_m = sigma_m u_m."""
    U, S, Vh = np.linalg.svd(J)
    return U[:, :k], S, Vh[:k].T


def effective_rank(s_topk, tau):
    """#{m <= k : sigma_m >= tau * sigma_1}. A zero Jacobian (sigma_1 = 0) has rank 0: the
    literal formula would count every 0 >= tau * 0 and report a saturated rank."""
    if s_topk[0] <= 0.0:
        return 0
    return int(np.count_nonzero(s_topk >= tau * s_topk[0]))


def self_alignment(U, V, k_eff):
    """(1/k') sum_{m<=k'} |u_m . v_m|, k' = min(k, effective_rank); NaN when k' = 0."""
    if k_eff == 0:
        return float("nan")
    return float(np.mean(np.abs(np.sum(U[:, :k_eff] * V[:, :k_eff], axis=0))))


def cross_alignment(U_i, V_i, J_j, s_j_topk, k_i=None):
    """sum_{m<=k'} |u_{i,m}^T J_j v_{i,m}| / sum_{m<=k'} sigma_{j,m}, k' = min(k, effective rank of
    block i) (all k when k_i is None). Vectors of block i beyond its rank are arbitrary, so they are
    left out of both sums (the Ky Fan bound <= 1 still holds). NaN if J_j = 0 or k' = 0."""
    n = len(s_j_topk) if k_i is None else min(len(s_j_topk), k_i)
    if n == 0:
        return float("nan")
    num = np.sum(np.abs(np.einsum("am,ab,bm->m", U_i[:, :n], J_j, V_i[:, :n])))
    den = float(np.sum(s_j_topk[:n]))
    return float(num / den) if den > 0 else float("nan")


def line_shape_and_cv(traj):
    """traj [T, d] (one stage). line_shape = sum ||Delta|| / ||h_end - h_start||;
    step_cv = population std / mean of ||Delta||."""
    steps = np.linalg.norm(np.diff(traj, axis=0), axis=1)
    chord = float(np.linalg.norm(traj[-1] - traj[0]))
    line = float(np.sum(steps) / chord) if chord > 0 else float("nan")
    mean = float(np.mean(steps))
    cv = float(np.std(steps) / mean) if mean > 0 else float("nan")  # np.std: ddof=0
    return line, cv, steps


def compute_metrics(model, inputs, k=None, tau=TAU_DEFAULT, keep_jacobians=False):
    d, L = model.width, model.depth
    k_req = model.num_classes if k is None else int(k)
    if k_req < 1:
        raise ValueError("k must be >= 1")
    kk = min(k_req, d)  # capped by the Jacobian's smaller side
    x = model.preprocess(inputs)
    traj, logits = model.forward(x)
    watched = model.watched
    # J[n, b] for watched block b, evaluated at the sample's own h_l.
    J = np.stack([model.jacobian(l, traj[:, l]) for l in watched], axis=1)  # [N, W, d, d]
    samples = []
    for n in range(x.shape[0]):
        svds = [svd_topk(J[n, b], kk) for b in range(len(watched))]
        blocks = []
        for b, l in enumerate(watched):
            U, S, V = svds[b]
            s_top = S[:kk]
            er = effective_rank(s_top, tau)
            fro = float(np.sum(J[n, b] ** 2))
            s1 = float(S[0])
            blocks.append({
                "name": model.block_names[l], "stage": "blocks",
                "sigma1": s1,
                "singular_values": s_top.tolist(),
                "frobenius_sq": fro,
                "stable_rank": fro / s1 ** 2 if s1 > 0 else float("nan"),
                "effective_rank": er,
                "effective_rank_saturated": er == kk,
                "self_alignment": self_alignment(U, V, min(kk, er)),
            })
        W = len(watched)
        cross = [[None] * W for _ in range(W)]
        for i in range(W):
            for j in range(W):
                if i != j:  # all resnet-mlp blocks are square d x d: every pair compares
                    cross[i][j] = cross_alignment(svds[i][0], svds[i][2], J[n, j], svds[j][1][:kk],
                                                  blocks[i]["effective_rank"])
        for i in range(W):
            row = [cross[i][j] for j in range(W) if j != i]
            blocks[i]["alignment"] = float(np.mean(row)) if row else float("nan")
        pairs = [cross[i][j] for i in range(W) for j in range(W) if i != j]
        line, cv, steps = line_shape_and_cv(traj[n])  # one stage h_0..h_L, all blocks
        sample = {
            "index": n,
            "predicted": int(np.argmax(logits[n])),
            "logits": logits[n].tolist(),
            "line_shape": line,
            "step_cv": cv,
            "alignment": float(np.mean(pairs)) if pairs else float("nan"),
            "depth_scaled_sigma1": L * float(np.mean([bl["sigma1"] for bl in blocks])) if blocks else float("nan"),
            "stages": [{"name": "blocks", "line_shape": line, "step_cv": cv}],
            "trajectory_norms": np.linalg.norm(traj[n], axis=1).tolist(),
            "step_norms": steps.tolist(),
            "cross_alignment": cross,
            "blocks": blocks,
        }
        samples.append(sample)
    result = {
        "model": model.name, "version": model.version, "architecture": "resnet-mlp",
        "k": kk, "k_requested": k_req, "tau": tau,
        "depth": L, "width": d, "num_classes": model.num_classes,
        "block_names": [model.block_names[l] for l in watched],
        "samples": samples,
    }
    return (result, J, traj) if keep_jacobians else result


def nan_to_null(obj):
    """Replace NaN (and +-inf, which JSON cannot hold either) by None, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: nan_to_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [nan_to_null(v) for v in obj]
    if isinstance(obj, (np.floating,)):
        return nan_to_null(float(obj))
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


# --------------------------------------------------------------------------------------------
# selftest
# --------------------------------------------------------------------------------------------

def finite_difference_jacobian(model, l, h, eps=1e-6):
    """Central differences of the branch F_l at h (one sample, [d]) -> [d, d]."""
    d = h.shape[0]
    E = np.eye(d) * eps
    plus = model.branch(l, h[None, :] + E)   # row m: F(h + eps e_m)
    minus = model.branch(l, h[None, :] - E)
    return ((plus - minus) / (2 * eps)).T     # column m = dF/dh_m


def check_model(model, inputs, tol=1e-6, eps=1e-6, verbose=True):
    """Analytic vs finite-difference Jacobians for every block and sample. The branch is
    piecewise linear, so central differences are exact up to rounding unless a step crosses a
    ReLU kink; samples/blocks with a pre-activation within the step's reach are reported and
    skipped (with random data this essentially never happens)."""
    x = model.preprocess(inputs)
    traj, _ = model.forward(x)
    worst, checked, skipped = 0.0, 0, 0
    for l in range(model.depth):
        Ja = model.jacobian(l, traj[:, l])
        W1 = model.p[f"blocks.{l}.fc1.weight"]
        g1, _ = model.bn_affine(f"blocks.{l}.bn1")
        reach = eps * np.abs(g1) * np.max(np.abs(W1), axis=1)  # max |change| of z1 per unit step
        for n in range(x.shape[0]):
            h = traj[n, l]
            _, z1 = model.branch(l, h[None, :], return_internals=True)
            if np.any(np.abs(z1[0]) <= 10 * reach):
                skipped += 1
                continue
            Jf = finite_difference_jacobian(model, l, h, eps)
            err = np.linalg.norm(Ja[n] - Jf) / max(np.linalg.norm(Ja[n]), 1e-300)
            worst = max(worst, err)
            checked += 1
    # The trajectory itself: h_{l+1} = phi(s h_l + F_l(h_l)), recomputed sample by sample.
    for n in range(min(x.shape[0], 3)):
        h = model.stem(x[n:n + 1])
        for l in range(model.depth):
            h = model.block(l, h)
        assert np.allclose(h[0], traj[n, -1], rtol=1e-12, atol=1e-12)
    ok = worst < tol and checked > 0
    if verbose:
        print(f"  jacobian vs finite differences: {checked} checked, {skipped} skipped (near a kink), "
              f"max rel err {worst:.3e} -> {'OK' if ok else 'FAIL'}")
    return ok


def check_metric_identities(verbose=True):
    """Metric functions on matrices with known answers."""
    rng = np.random.default_rng(123)
    d, k = 16, 5
    ok = True

    def expect(cond, what):
        nonlocal ok
        ok &= bool(cond)
        if verbose and not cond:
            print(f"  FAIL: {what}")

    # Symmetric PSD rank-2 matrix: u_m = v_m, self_alignment 1 over k' = 2 (k = 5).
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    A = Q[:, :2] @ np.diag([3.0, 1.0]) @ Q[:, :2].T
    U, S, V = svd_topk(A, k)
    er = effective_rank(S[:k], TAU_DEFAULT)
    expect(er == 2, f"effective_rank of rank-2 matrix = {er}")
    expect(abs(self_alignment(U, V, min(k, er)) - 1) < 1e-12, "self_alignment of rank-2 PSD = 1")
    expect(abs(np.sum(A ** 2) / S[0] ** 2 - 10 / 9) < 1e-12, "stable_rank = 10/9")
    # cross_alignment of a matrix with itself is 1 (Ky Fan equality), and <= 1 otherwise.
    B = rng.standard_normal((d, d))
    Ub, Sb, Vb = svd_topk(B, k)
    expect(abs(cross_alignment(Ub, Vb, B, Sb[:k]) - 1) < 1e-12, "cross_alignment(B, B) = 1")
    C = rng.standard_normal((d, d))
    expect(cross_alignment(Ub, Vb, C, svd_topk(C, k)[1][:k]) <= 1 + 1e-12, "cross_alignment <= 1")
    # Two matrices sharing singular bases in the same order, different singular values: 1.
    Qu, _ = np.linalg.qr(rng.standard_normal((d, d)))
    Qv, _ = np.linalg.qr(rng.standard_normal((d, d)))
    M1 = Qu @ np.diag(np.linspace(5, 1, d)) @ Qv.T
    M2 = Qu @ np.diag(np.linspace(2, 0.1, d)) @ Qv.T
    U1, S1, V1 = svd_topk(M1, k)
    expect(abs(cross_alignment(U1, V1, M2, svd_topk(M2, k)[1][:k]) - 1) < 1e-10, "shared bases -> 1")
    # Zero matrix: effective rank 0, self_alignment NaN.
    Uz, Sz, Vz = svd_topk(np.zeros((d, d)), k)
    expect(effective_rank(Sz[:k], TAU_DEFAULT) == 0, "effective_rank(0) = 0")
    # Straight equispaced line: line_shape 1, step_cv 0; then a detour.
    t = np.linspace(0, 1, 7)[:, None] * rng.standard_normal(d)[None, :]
    line, cv, _ = line_shape_and_cv(t)
    expect(abs(line - 1) < 1e-12 and abs(cv) < 1e-12, "straight equispaced line")
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])  # steps 1, 1; chord sqrt 2
    line, cv, _ = line_shape_and_cv(pts)
    expect(abs(line - math.sqrt(2)) < 1e-12 and abs(cv) < 1e-12, "L-shaped path")
    pts = np.array([[0.0], [1.0], [4.0]])  # steps 1, 3: mean 2, population std 1
    line, cv, _ = line_shape_and_cv(pts)
    expect(abs(line - 1) < 1e-12 and abs(cv - 0.5) < 1e-12, "population std for step_cv")
    # safetensors round trip, including an I64 scalar and F64.
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "t.safetensors")
        a = rng.standard_normal((3, 4)).astype(np.float32)
        b = rng.standard_normal(5)
        write_safetensors(p, {"a": ("F32", a), "b": ("F64", b), "n": ("I64", np.array(7, dtype=np.int64))},
                          metadata={"format": "pt"})
        arrs, dts, meta = read_safetensors(p)
        expect(np.array_equal(arrs["a"], a) and np.array_equal(arrs["b"], b), "safetensors values")
        expect(arrs["n"].shape == () and int(arrs["n"]) == 7 and dts["n"] == "I64", "I64 scalar")
        expect(meta == {"format": "pt"}, "metadata")
        with open(p, "rb") as f:
            (hl,) = struct.unpack("<Q", f.read(8))
        expect(hl % 8 == 0, "header padded to 8 bytes")
    if verbose:
        print(f"  metric identities and safetensors round trip -> {'OK' if ok else 'FAIL'}")
    return ok


def selftest(model_dir=None, inputs_path=None):
    ok = check_metric_identities()
    if model_dir:
        print(f"model {model_dir}")
        ok &= check_model(load_model(model_dir), np.load(inputs_path or os.path.join(model_dir, "inputs.npy")))
    else:
        configs = [dict(batch_norm=bn, skip=sk, post_activation=pa, low_rank=lr, in_shape=shape)
                   for bn in (0, 1) for sk in (0, 1) for pa in ("identity", "relu")
                   for lr, shape in ((None, (1, 8, 8)),)]
        configs += [dict(batch_norm=1, skip=1, post_activation="identity", low_rank=3, in_shape=(3, 4, 4)),
                    dict(batch_norm=0, skip=1, post_activation="relu", low_rank=2, in_shape=(2, 5))]
        with tempfile.TemporaryDirectory() as tmp:
            for i, c in enumerate(configs):
                out = os.path.join(tmp, f"m{i}")
                make_mlp(out, c["in_shape"], 24, 5, 4, c["batch_norm"], c["skip"], c["post_activation"],
                         samples=6, seed=100 + i, low_rank=c["low_rank"],
                         weights_dtype="F64" if i % 3 == 2 else "F32")
                print(f"config {c}")
                model = load_model(out)
                inputs = np.load(os.path.join(out, "inputs.npy"))
                ok &= check_model(model, inputs)
                res = compute_metrics(model, inputs)
                if c["low_rank"]:  # rank <= R: effective_rank = R exactly for every block
                    ers = {b["effective_rank"] for s in res["samples"] for b in s["blocks"]}
                    good = ers <= set(range(c["low_rank"] + 1))
                    print(f"  low-rank {c['low_rank']}: effective ranks {sorted(ers)} -> {'OK' if good else 'FAIL'}")
                    ok &= good
    print("selftest", "PASSED" if ok else "FAILED")
    return ok


# --------------------------------------------------------------------------------------------
# simulate-null
# --------------------------------------------------------------------------------------------

def simulate_null(dims, k, draws, seed):
    """Independent Gaussian d x d matrices A_i, A_j per draw: cross_alignment(i -> j) and
    self_alignment(A_i) (full rank, so k' = k)."""
    rng = np.random.default_rng(seed)
    rows = []
    print(f"k = {k}, draws = {draws}, seed = {seed}")
    print(f"{'d':>5} {'cross mean':>11} {'(sd)':>8} {'p99':>8} {'theory':>8} {'ratio':>6}   "
          f"{'self mean':>10} {'(sd)':>8} {'p99':>8} {'theory':>8} {'ratio':>6}")
    for d in dims:
        cross, selfs = np.empty(draws), np.empty(draws)
        for t in range(draws):
            Ai, Aj = rng.standard_normal((d, d)), rng.standard_normal((d, d))
            Ui, Si, Vi = svd_topk(Ai, k)
            Sj = np.linalg.svd(Aj, compute_uv=False)
            cross[t] = cross_alignment(Ui, Vi, Aj, Sj[:k])
            selfs[t] = self_alignment(Ui, Vi, k)
        tc = math.sqrt(2 / math.pi) / (2 * math.sqrt(d))
        ts = math.sqrt(2 / (math.pi * d))
        row = dict(d=d, k=k, draws=draws,
                   cross_mean=float(cross.mean()), cross_sd=float(cross.std()),
                   cross_p99=float(np.quantile(cross, 0.99)), cross_theory=tc,
                   self_mean=float(selfs.mean()), self_sd=float(selfs.std()),
                   self_p99=float(np.quantile(selfs, 0.99)), self_theory=ts)
        rows.append(row)
        print(f"{d:>5} {row['cross_mean']:>11.5f} {row['cross_sd']:>8.5f} {row['cross_p99']:>8.5f} "
              f"{tc:>8.5f} {row['cross_mean'] / tc:>6.3f}   {row['self_mean']:>10.5f} {row['self_sd']:>8.5f} "
              f"{row['self_p99']:>8.5f} {ts:>8.5f} {row['self_mean'] / ts:>6.3f}")
    return rows


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(prog="ra_reference.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    m = sub.add_parser("make-mlp", help="write a random resnet-mlp model directory + inputs.npy")
    m.add_argument("out_dir")
    m.add_argument("--in-shape", type=int, nargs="+", default=[1, 8, 8])
    m.add_argument("--width", type=int, default=32)
    m.add_argument("--depth", type=int, default=6)
    m.add_argument("--classes", type=int, default=5)
    m.add_argument("--batch-norm", type=int, choices=(0, 1), default=1)
    m.add_argument("--skip", type=int, choices=(0, 1), default=1)
    m.add_argument("--post-activation", choices=("identity", "relu"), default="identity")
    m.add_argument("--samples", type=int, default=16)
    m.add_argument("--seed", type=int, default=7)
    m.add_argument("--low-rank", type=int, default=None, metavar="R",
                   help="make every fc1.weight rank R (Jacobians of rank <= R: steep spectra)")
    m.add_argument("--weights-dtype", choices=("F32", "F64"), default="F32")
    m.add_argument("--name", default=None, help="manifest name (default: OUT_DIR's basename)")

    q = sub.add_parser("metrics", help="compute every metric for a model directory and inputs")
    q.add_argument("model_dir")
    q.add_argument("inputs")
    q.add_argument("--k", type=int, default=None, help="top-k (default: number of classes C)")
    q.add_argument("--tau", type=float, default=TAU_DEFAULT)
    q.add_argument("--out", required=True)
    q.add_argument("--jacobians", default=None, metavar="FILE.npy",
                   help="also save the Residual Jacobians, float64 [samples, watched blocks, d, d]")

    s = sub.add_parser("selftest", help="check the reference against finite differences")
    s.add_argument("--model", default=None)
    s.add_argument("--inputs", default=None)

    n = sub.add_parser("simulate-null", help="no-alignment levels for Gaussian matrices")
    n.add_argument("--dims", type=int, nargs="+", default=[32, 64, 128])
    n.add_argument("--k", type=int, default=10)
    n.add_argument("--draws", type=int, default=2000)
    n.add_argument("--seed", type=int, default=0)
    n.add_argument("--out", default=None, help="optional JSON file for the table")

    a = ap.parse_args(argv)
    if a.cmd == "make-mlp":
        make_mlp(a.out_dir, a.in_shape, a.width, a.depth, a.classes, a.batch_norm, a.skip,
                 a.post_activation, a.samples, a.seed, a.low_rank, a.weights_dtype, a.name)
        return 0
    if a.cmd == "metrics":
        model = load_model(a.model_dir)
        inputs = np.load(a.inputs)
        result, J, _ = compute_metrics(model, inputs, a.k, a.tau, keep_jacobians=True)
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump(nan_to_null(result), f, indent=1, allow_nan=False)
            f.write("\n")
        if a.jacobians:
            np.save(a.jacobians, J)
        return 0
    if a.cmd == "selftest":
        return 0 if selftest(a.model, a.inputs) else 1
    if a.cmd == "simulate-null":
        rows = simulate_null(a.dims, a.k, a.draws, a.seed)
        if a.out:
            with open(a.out, "w", encoding="utf-8") as f:
                json.dump(rows, f, indent=1)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
