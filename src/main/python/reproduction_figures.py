#!/usr/bin/env python3
"""Figures of docs/REPRODUCTION.md, drawn from the JSON written by io.resalign.repro.Reproduce.

usage: reproduction_figures.py --data DIR --out DIR

Needs numpy and matplotlib (Debian: python3-numpy python3-matplotlib). Writes PNGs only.
"""
import argparse
import json
import os
import sys

import numpy as np

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # pragma: no cover
    sys.exit("matplotlib is missing: apt-get install -y python3-matplotlib")

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SKIP_COLOUR = "#1f77b4"
NOSKIP_COLOUR = "#d62728"


def arr(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def load(data_dir):
    with open(os.path.join(data_dir, "summary.json")) as f:
        summary = json.load(f)
    models = []
    for entry in summary["models"]:
        with open(os.path.join(data_dir, entry["file"])) as f:
            models.append(json.load(f))
    models.sort(key=lambda m: (m["depth"], not m["skip"]))
    return summary, models


def by(models, depth, skip):
    for m in models:
        if m["depth"] == depth and m["skip"] == skip:
            return m
    return None


def label(m):
    return "L=%d %s" % (m["depth"], "skip" if m["skip"] else "no-skip")


def save(fig, out, name):
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print("wrote", path)


def model_grid(models, depths, width, height):
    """Returns a figure with a panel per model (rows with and without skips, a column per depth), its
    axes, and the (axes, model) pairs of the models present; panels with no model are hidden."""
    fig, axes = plt.subplots(2, len(depths), figsize=(width * len(depths), height), squeeze=False)
    panels = []
    for col, depth in enumerate(depths):
        for row, skip in enumerate([True, False]):
            ax = axes[row][col]
            m = by(models, depth, skip)
            if m is None:
                ax.axis("off")
            else:
                panels.append((ax, m))
    return fig, axes, panels


def trajectories(models, depths, out):
    fig, axes, panels = model_grid(models, depths, 4.2, 8.2)
    cmap = plt.get_cmap("tab10")
    for ax, m in panels:
        t = m["trajectories"]
        for path, lab in zip(t["points"], t["labels"]):
            p = np.array(path)
            ax.plot(p[:, 0], p[:, 1], "-", color=cmap(lab % 10), lw=0.7, alpha=0.6)
            ax.plot(p[:, 0], p[:, 1], ".", color=cmap(lab % 10), ms=2.5, alpha=0.6)
            ax.plot(p[0, 0], p[0, 1], "o", color=cmap(lab % 10), ms=3.5, mfc="white", mew=0.8)
            ax.plot(p[-1, 0], p[-1, 1], "s", color=cmap(lab % 10), ms=3.5)
        ev = t["explained_variance"]
        ax.set_title("%s\nPC1+PC2 explain %.0f %% of the states' variance" % (label(m), 100 * ((ev[0] or 0) + (ev[1] or 0))),
                     fontsize=9)
        ax.set_xlabel("PC1", fontsize=8)
        ax.set_ylabel("PC2", fontsize=8)
        ax.tick_params(labelsize=7)
    handles = [plt.Line2D([], [], color=cmap(c), lw=2) for c in range(10)]
    fig.legend(handles, CLASSES, loc="lower center", ncol=10, fontsize=8, frameon=False)
    fig.suptitle("RA1: trajectories h_0 (open circle) .. h_L (square) of test images, top-2 PCs, coloured by class", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    save(fig, out, "ra1_trajectories.png")


def boxes(ax, models, key, title, log=False, ref=None, ref_label=None, values=None, ref_colour="gray", ref_fontsize=7):
    """One box per model of the finite values of `key` (per sample, unless `values(model)` says otherwise)."""
    data, labels, colours = [], [], []
    for m in models:
        v = values(m) if values is not None else arr(m["per_sample"][key])
        data.append(v[np.isfinite(v)])
        labels.append(label(m))
        colours.append(SKIP_COLOUR if m["skip"] else NOSKIP_COLOUR)
    parts = ax.boxplot(data, showfliers=False, patch_artist=True, widths=0.6)
    for patch, c in zip(parts["boxes"], colours):
        patch.set_facecolor(c)
        patch.set_alpha(0.45)
    ax.set_xticks(range(1, len(labels) + 1))
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    if log:
        ax.set_yscale("log")
    if ref is not None:
        ax.axhline(ref, color=ref_colour, ls="--", lw=1)
        if ref_label:
            ax.text(0.5, ref, " " + ref_label, color=ref_colour, fontsize=ref_fontsize, va="bottom")
    ax.tick_params(axis="y", labelsize=8)


def ra1_distributions(models, out):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    boxes(axes[0], models, "line_shape", "line_shape (1 = straight line; log scale)", log=True, ref=1.0, ref_label="line")
    boxes(axes[1], models, "step_cv", "step_cv (0 = equispaced)", ref=0.0)
    boxes(axes[2], models, "pc1_fraction", "pc1_fraction: variance of a trajectory on its own PC1", ref=1.0)
    fig.suptitle("RA1 per-sample distributions (blue: skips, red: no skips; boxes: quartiles, whiskers 1.5 IQR)", fontsize=11)
    fig.tight_layout()
    save(fig, out, "ra1_distributions.png")


def grid_image(m):
    g = m["ra2_grid"]
    tiles = g["tiles"]
    sig = arr(g["sigma1"])
    L = len(tiles)
    k = len(tiles[0][0])
    gap = 1
    img = np.full((L * (k + gap) - gap, L * (k + gap) - gap), np.nan)
    for i in range(L):
        for j in range(L):
            t = np.array(tiles[i][j], dtype=float)
            if sig[j] > 0:
                t = t / sig[j]
            img[i * (k + gap):i * (k + gap) + k, j * (k + gap):j * (k + gap) + k] = t
    return img, L, k, gap


def ra2_grids(models, depths, out):
    for depth in depths:
        pair = [by(models, depth, True), by(models, depth, False)]
        fig, axes = plt.subplots(1, 2, figsize=(13, 6.4))
        for ax, m in zip(axes, pair):
            if m is None:
                ax.axis("off")
                continue
            img, L, k, gap = grid_image(m)
            cmap = plt.get_cmap("magma").copy()
            cmap.set_bad("white")
            # square-root colour scale: the weak off-diagonal structure stays visible next to the diagonal tiles
            im = ax.imshow(img, cmap=cmap, norm=matplotlib.colors.PowerNorm(0.5, vmin=0, vmax=1), interpolation="nearest")
            step = max(1, L // 8)
            ticks = [i * (k + gap) + (k - 1) / 2 for i in range(0, L, step)]
            ax.set_xticks(ticks)
            ax.set_xticklabels([str(i) for i in range(0, L, step)], fontsize=7)
            ax.set_yticks(ticks)
            ax.set_yticklabels([str(i) for i in range(0, L, step)], fontsize=7)
            ax.set_xlabel("j (Jacobian J_j)", fontsize=9)
            ax.set_ylabel("i (singular bases U_i, V_i)", fontsize=9)
            s = m["summary"]
            ax.set_title("%s: |U_i^T J_j V_i| / sigma_1(J_j), top-%d (sqrt colour scale)\nmean alignment %.3f, grid diagonal share %.2f"
                         % (label(m), k, s["alignment_mean"] or float("nan"), s["grid_diagonal_share"] or float("nan")), fontsize=9)
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        g = (pair[0] or pair[1])["ra2_grid"]
        fig.suptitle("RA2, depth %d: test image %d (class %s); every tile diagonal = aligned"
                     % (depth, g["sample_index"], CLASSES[g["label"] % 10]), fontsize=11)
        fig.tight_layout()
        save(fig, out, "ra2_grid_d%d.png" % depth)


def ra2_distributions(models, reference, out):
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    boxes(axes[0], models, "alignment", "alignment (mean cross-alignment over block pairs)",
          ref=reference["gaussian"]["cross_alignment"], ref_label="i.i.d. Gaussian level")
    if reference["gaussian_rank_C"]["cross_alignment"] is not None:
        axes[0].axhline(reference["gaussian_rank_C"]["cross_alignment"], color="gray", ls=":", lw=1)
    boxes(axes[1], models, "self_alignment", "self_alignment (mean over blocks of |u_m . v_m|)",
          ref=reference["gaussian"]["self_alignment"], ref_label="i.i.d. Gaussian level")
    fig.suptitle("RA2 per-sample distributions (blue: skips, red: no skips; dashed: no-alignment level, dotted: rank-C Gaussian)",
                 fontsize=11)
    fig.tight_layout()
    save(fig, out, "ra2_distributions.png")


def ra2_cross_mean(models, depths, out):
    fig, axes, panels = model_grid(models, depths, 3.6, 7)
    vmax = 0
    for m in models:
        c = np.array([arr(r) for r in m["cross_alignment_mean"]])
        vmax = max(vmax, np.nanmax(c))
    for ax, m in panels:
        c = np.array([arr(r) for r in m["cross_alignment_mean"]])
        im = ax.imshow(c, cmap="viridis", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(label(m), fontsize=9)
        ax.set_xlabel("j", fontsize=8)
        ax.set_ylabel("i", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.colorbar(im, ax=axes, fraction=0.02, pad=0.02)
    fig.suptitle("RA2: mean cross_alignment(i, j) over the analysed test images (diagonal undefined)", fontsize=11)
    save(fig, out, "ra2_cross_mean.png")


def ra3_spectra(models, depths, out, key, name, title, classes):
    fig, axes, panels = model_grid(models, depths, 4, 7.6)
    for ax, m in panels:
        blocks = m["per_block"]
        cmap = plt.get_cmap("viridis")
        for b, blk in enumerate(blocks):
            s = arr(blk[key])
            x = np.arange(1, len(s) + 1)
            ax.semilogy(x, np.maximum(s, 1e-12), "-", color=cmap(b / max(1, len(blocks) - 1)), lw=0.9)
        ax.axvline(classes + 0.5, color="black", ls="--", lw=1)
        ax.text(classes + 0.7, 0.02, "C", transform=ax.get_xaxis_transform(), va="bottom", fontsize=8)
        if key == "spectrum_normalised_mean":
            ax.axhline(1e-2, color="gray", ls=":", lw=1)
            ax.set_ylim(1e-5, 1.5)
        ax.set_title(label(m), fontsize=9)
        ax.set_xlabel("index m", fontsize=8)
        ax.tick_params(labelsize=7)
    sm = plt.cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(0, 1))
    cb = fig.colorbar(sm, ax=axes, fraction=0.02, pad=0.02)
    cb.set_label("block position (first .. last)", fontsize=8)
    fig.suptitle(title, fontsize=11)
    save(fig, out, name)


def ra3_ranks(models, classes, out):
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    for ax, key, title in [(axes[0], "effective_rank_full", "effective rank (full spectrum, tau 1e-2)"),
                           (axes[1], "stable_rank_full", "stable rank ||J||_F^2 / sigma_1^2")]:
        boxes(ax, models, key, title + " over blocks x samples", log=True, ref=classes, ref_label="C",
              values=lambda m, key=key: np.concatenate([arr(b[key]) for b in m["per_block"]]),
              ref_colour="black", ref_fontsize=8)
    fig.suptitle("RA3: ranks of the Residual Jacobians (blue: skips, red: no skips)", fontsize=11)
    fig.tight_layout()
    save(fig, out, "ra3_ranks.png")


def ra4(summary, models, out):
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for skip, colour, key in [(True, SKIP_COLOUR, "fit_skip"), (False, NOSKIP_COLOUR, "fit_noskip")]:
        ms = [m for m in models if m["skip"] == skip]
        if not ms:
            continue
        d = np.array([m["depth"] for m in ms], dtype=float)
        s = np.array([m["summary"]["sigma1_mean"] for m in ms], dtype=float)
        for m in ms:
            per_block = arr([b["sigma1_mean"] for b in m["per_block"]])
            ax.scatter(np.full(len(per_block), m["depth"]) * (1.04 if skip else 0.96), per_block, s=6, color=colour, alpha=0.35)
        fit = summary.get(key)
        lab = "%s: mean sigma_1" % ("skips" if skip else "no skips")
        if fit and fit.get("slope") is not None:
            lab += ", slope %.2f (R^2 %.2f)" % (fit["slope"], fit["r2"] if fit["r2"] is not None else float("nan"))
            xs = np.linspace(d.min(), d.max(), 50)
            ax.loglog(xs, np.exp(fit["intercept"]) * xs ** fit["slope"], "-", color=colour, lw=1)
        ax.loglog(d, s, "o", color=colour, ms=7, label=lab)
    ms = [m for m in models if m["skip"]]
    if ms:
        d0 = ms[0]["depth"]
        s0 = ms[0]["summary"]["sigma1_mean"]
        xs = np.linspace(min(m["depth"] for m in models), max(m["depth"] for m in models), 50)
        ax.loglog(xs, s0 * d0 / xs, "k:", lw=1, label="slope -1 (RA4), through the shallowest skip model")
    ax.set_xlabel("depth L (log)")
    ax.set_ylabel("sigma_1 of the Residual Jacobians (log)")
    depths = sorted({m["depth"] for m in models})
    ax.set_xticks(depths)
    ax.set_xticklabels([str(x) for x in depths])
    ax.minorticks_off()
    ax.legend(fontsize=8)
    ax.set_title("RA4: top singular value against depth (dots: per-block means; big markers: mean over blocks)", fontsize=9)
    fig.tight_layout()
    save(fig, out, "ra4_sigma1_depth.png")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    summary, models = load(args.data)
    os.makedirs(args.out, exist_ok=True)
    depths = sorted({m["depth"] for m in models})
    classes = models[0]["classes"]
    trajectories(models, depths, args.out)
    ra1_distributions(models, args.out)
    ra2_grids(models, depths, args.out)
    ra2_distributions(models, summary["reference"], args.out)
    ra2_cross_mean(models, depths, args.out)
    ra3_spectra(models, depths, args.out, "spectrum_top_mean", "ra3_spectra_top.png",
                "RA3: mean top-2C singular values per block (one line per block; dashed: C)", classes)
    ra3_spectra(models, depths, args.out, "spectrum_normalised_mean", "ra3_spectra_full.png",
                "RA3: whole spectrum sigma_m / sigma_1 per block, mean over samples (dotted: tau = 1e-2; dashed: C)", classes)
    ra3_ranks(models, classes, args.out)
    ra4(summary, models, args.out)


if __name__ == "__main__":
    main()
