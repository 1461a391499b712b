#!/usr/bin/env python3
"""What the entity stream allows at best, outside the project's model: linear
classifiers on an ImageNet network's features of the images (the teacher of
`tools/build_teacher.py`), on the captions' words (and their character
n-grams), and on images and words both: trained on every
task's training samples and scored on every test set (read against Joint's
final A_T), and within each task, trained on one task's samples and scored on
its test set, averaged over the tasks (read against mean U_k). A check of the
learner issue's targets, not part of any test.

Requirements: as `tools/build_teacher.py` (a virtual environment with torch
from PyPI), and cargo (it runs the `dump_stream` example of palimpsest-core
for each seed).

Usage:
  V/bin/python tools/entity_ceiling.py [SEED ...]     (default: 1 2 3)

Classifiers: multinomial logistic regression (Adam, 300 full-batch steps,
learning rate 0.01, L2 weight decay; the best of 1e-4, 1e-3 and 1e-2 *on the
test set*, so every figure is optimistic). Image: the teacher's 1280 features
of each 32x32 image (standardised). Text: binary bag of the caption's words
(the tokenizer's split). Fused: image and text models trained apart, their
log-probabilities added (late fusion; better here than one model on both).
Raw pixels: the 32x32x3 values, for reference. Character n-grams: the binary
bag of every 3- and 4-character piece of each word framed as `<word>` (what a
hashed n-gram embedding could read on the text side, collisions aside).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_teacher import read_pack, teacher_features  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def words(s: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", s.lower()) if w]


def ngrams(s: str) -> list[str]:
    out = []
    for w in words(s):
        framed = f"<{w}>"
        for n in (3, 4):
            out += [framed[i : i + n] for i in range(max(1, len(framed) - n + 1))]
    return out


def stream(seed: int) -> list[dict]:
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "palimpsest-core", "--example", "dump_stream", "--", str(seed)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def best_linear(xtr, ytr, xte, yte):
    """Accuracy and test log-probabilities of the best of three weight decays."""
    import torch

    xtr, xte, ytr_t = torch.tensor(xtr), torch.tensor(xte), torch.tensor(ytr)
    classes = int(max(ytr.max(), yte.max())) + 1
    best = (-1.0, None)
    for wd in (1e-4, 1e-3, 1e-2):
        torch.manual_seed(0)
        w = torch.zeros(xtr.shape[1], classes, requires_grad=True)
        b = torch.zeros(classes, requires_grad=True)
        opt = torch.optim.Adam([w, b], lr=1e-2)
        for _ in range(300):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(xtr @ w + b, ytr_t) + wd * (w**2).sum()
            loss.backward()
            opt.step()
        logits = (xte @ w + b).detach()
        acc = float((logits.argmax(1).numpy() == yte).mean())
        if acc > best[0]:
            best = (acc, torch.log_softmax(logits, 1))
    return best


def scores(tr: list[dict], te: list[dict], raw: np.ndarray, feats: np.ndarray) -> list[float]:
    """Accuracy (%) of the five readers (`names` in main) trained on `tr`, scored on `te`."""
    ytr = np.array([r["label"] for r in tr])
    yte = np.array([r["label"] for r in te])

    def bag(split):
        """Binary bags of the pieces `split` cuts a caption into, over those of `tr`."""
        vocab = {w: i for i, w in enumerate(sorted({w for r in tr for w in split(r["caption"])}))}

        def encode(rs):
            x = np.zeros((len(rs), len(vocab)), np.float32)
            for i, r in enumerate(rs):
                for w in split(r["caption"]):
                    if w in vocab:
                        x[i, vocab[w]] = 1.0
            return x

        return encode(tr), encode(te)

    def standard(x, rs_tr, rs_te):
        a, b = x[[r["item"] for r in rs_tr]], x[[r["item"] for r in rs_te]]
        m, s = a.mean(0), a.std(0) + 1e-6
        return (a - m) / s, (b - m) / s

    xr_tr, xr_te = standard(raw, tr, te)
    acc_raw, _ = best_linear(xr_tr, ytr, xr_te, yte)
    xi_tr, xi_te = standard(feats, tr, te)
    acc_img, lp_img = best_linear(xi_tr, ytr, xi_te, yte)
    xw_tr, xw_te = bag(words)
    acc_txt, lp_txt = best_linear(xw_tr, ytr, xw_te, yte)
    xg_tr, xg_te = bag(ngrams)
    acc_grams, _ = best_linear(xg_tr, ytr, xg_te, yte)
    acc_fused = float(((lp_img + lp_txt).argmax(1).numpy() == yte).mean())
    return [v * 100 for v in (acc_raw, acc_img, acc_txt, acc_grams, acc_fused)]


def main() -> None:
    seeds = [int(s) for s in sys.argv[1:]] or [1, 2, 3]
    _, pixels = read_pack(ROOT / "public/openmoji-32.pack")
    feats = teacher_features(pixels).astype(np.float32)
    raw = pixels.reshape(len(pixels), -1).astype(np.float32) / 255.0
    names = ("raw pixels", "image (teacher)", "caption words", "caption character 3- and 4-grams", "fused")
    table: dict[str, list[float]] = {k: [] for k in names}
    within: dict[str, list[float]] = {k: [] for k in names}
    for seed in seeds:
        rows = stream(seed)
        tr = [r for r in rows if r["split"] == "train"]
        te = [r for r in rows if r["split"] == "test"]
        for k, v in zip(table, scores(tr, te, raw, feats)):
            table[k].append(v)
        tasks = sorted({r["task"] for r in rows})
        per_task = [
            scores([r for r in tr if r["task"] == t], [r for r in te if r["task"] == t], raw, feats)
            for t in tasks
        ]
        for k, v in zip(within, np.mean(per_task, axis=0)):
            within[k].append(float(v))
        print(f"seed {seed}: done", file=sys.stderr)
    for title, t in (("on every test set, trained on every task (read against Joint's A_T)", table),
                     ("within each task, mean over tasks (read against mean U_k)", within)):
        print(f"entity stream, seeds {' '.join(map(str, seeds))}: linear classifiers, accuracy {title} (%)")
        print()
        print("| features | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |")
        print("|---|" + "---|" * (len(seeds) + 1))
        for k, v in t.items():
            print(f"| {k} | " + " | ".join(f"{x:.1f}" for x in v) + f" | {np.mean(v):.1f} |")
        print()


if __name__ == "__main__":
    main()
