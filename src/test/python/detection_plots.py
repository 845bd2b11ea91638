#!/usr/bin/env python3
"""Plots of the detection benchmark (docs/BENCHMARKS.md, "Detection"): each detector's statistic
over the stream, divided by its calibrated threshold (1 = alarm line), with the shifts marked.

Reads a windows-seed<S>.csv and segments.csv written by io.resalign.bench.DetectionBenchmark; writes
detection-stream.png (the whole stream) and detection-scenarios.png (one panel per scenario).
"""
import argparse
import csv
import os

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLOURS = {"alignment": "#1f77b4", "output": "#ff7f0e", "input-mmd": "#2ca02c"}


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def detectors(rows):
    return [k[: -len("_statistic")] for k in rows[0] if k.endswith("_statistic")]


def ratio(rows, det):
    s = np.array([float(r[det + "_statistic"]) for r in rows])
    t = np.array([float(r[det + "_threshold"]) for r in rows])
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--windows", default="windows-seed7.csv")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rows = read(os.path.join(a.data, a.windows))
    segments = read(os.path.join(a.data, "segments.csv"))
    dets = detectors(rows)
    first = np.array([int(r["first"]) for r in rows])
    last = np.array([int(r["last"]) for r in rows])
    shifts = [s for s in segments if s["kind"] == "shift"]

    fig, axes = plt.subplots(len(dets), 1, figsize=(14, 2.6 * len(dets)), sharex=True)
    for ax, det in zip(np.atleast_1d(axes), dets):
        y = ratio(rows, det)
        ax.plot(last, y, lw=0.9, color=COLOURS.get(det, "k"))
        alarms = np.array([r[det + "_alarm"] == "1" for r in rows])
        ax.plot(last[alarms], y[alarms], "o", ms=2.5, color="crimson", label="alarm")
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        for s in shifts:
            ax.axvspan(int(s["start"]), int(s["end"]), color="0.85", zorder=0)
        ax.set_yscale("symlog", linthresh=2)
        ax.set_yticks([0, 1, 2, 5, 10, 20])
        ax.get_yaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_ylabel(det + "\nstatistic / threshold")
    top = np.atleast_1d(axes)[0]
    for s in shifts:
        top.text((int(s["start"]) + int(s["end"])) / 2, 1.02, s["name"], transform=top.get_xaxis_transform(), ha="center",
                 va="bottom", fontsize=7, rotation=20)
    np.atleast_1d(axes)[-1].set_xlabel("sample index (window's last sample); grey: shifted samples")
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "detection-stream.png"), dpi=110)
    plt.close(fig)

    cols = 5
    rows_n = (len(shifts) + cols - 1) // cols
    fig, axes = plt.subplots(rows_n, cols, figsize=(3.2 * cols, 2.6 * rows_n), sharey=True, squeeze=False)
    for i, s in enumerate(shifts):
        ax = axes[i // cols][i % cols]
        start, end = int(s["start"]), int(s["end"])
        gap = [g for g in segments if g["kind"] == "clean" and g["scenario"] == s["scenario"]][0]
        sel = (first >= int(gap["start"])) & (last < end)  # from the first window free of the previous shift
        for det in dets:
            ax.plot(last[sel] - start, ratio(rows, det)[sel], lw=1, color=COLOURS.get(det, "k"), label=det)
        ax.axvline(0, color="crimson", lw=0.8)
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        ax.set_yscale("symlog", linthresh=2)
        ax.set_yticks([0, 1, 2, 5, 10, 20])
        ax.get_yaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_title(s["name"], fontsize=9)
        ax.set_xlabel("samples after the shift", fontsize=8)
    for j in range(len(shifts), rows_n * cols):
        axes[j // cols][j % cols].axis("off")
    axes[0][0].set_ylabel("statistic / threshold")
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "detection-scenarios.png"), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
