"""PyTorch's copy of Palimpsest's training step, timed the same way.

Reads the JSON that `palimpsest bench --out` writes and builds exactly the
model its config describes (same shapes, operations, loss and Adam with
burn's constants, float32), checks that the parameter counts agree, then
times the same step: batching, forward, loss, the read-back of the loss
and the two contribution scores, backward, Adam; and one sample's
prediction. `--peak` measures the machine's sgemm peak instead.

Run by bench/run.sh, which installs torch from PyPI in a venv of its own.
"""

import argparse
import json
import math
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

RESERVED = 2  # token ids below this are [CLS] (1) and padding (0)


class Attention(nn.Module):
    def __init__(self, d, heads, slots):
        super().__init__()
        self.query, self.key = nn.Linear(d, d), nn.Linear(d, d)
        self.value, self.out = nn.Linear(d, d), nn.Linear(d, d)
        # MSPT's per-head key bias: a parameter, used only with shared keys
        self.key_bias = nn.Parameter(torch.zeros(heads, slots))
        self.heads = heads

    def forward(self, x, pad, cls_only):
        b, s, d = x.shape
        h, dh = self.heads, d // self.heads

        def split(t):
            return t.reshape(b, s, h, dh).transpose(1, 2)

        q, v, k = split(self.query(x)), split(self.value(x)), split(self.key(x))
        scores = q.matmul(k.transpose(2, 3)) / math.sqrt(dh)
        if pad is not None:
            scores = scores.masked_fill(pad.reshape(b, 1, 1, s), -1.0e4)
        weights = torch.softmax(scores, dim=3)
        context = weights.matmul(v).transpose(1, 2).reshape(b, s, d)
        if cls_only:
            context = context[:, :1]
        return self.out(context)


class Layer(nn.Module):
    def __init__(self, d, heads, d_ff, slots):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.attention = Attention(d, heads, slots)
        self.ff1, self.ff2 = nn.Linear(d, d_ff), nn.Linear(d_ff, d)

    def forward(self, x, pad, cls_only):
        # the top layer gives [CLS] alone: the stream's one output
        a = self.attention(self.norm1(x), pad, cls_only)
        x = (x[:, :1] if cls_only else x) + a
        return x + self.ff2(F.gelu(self.ff1(self.norm2(x))))


class Encoder(nn.Module):
    """Embedding, learnt positions, pre-norm layers, a final norm; gives [CLS]."""

    def __init__(self, kind, input_dim, m):
        super().__init__()
        d, s = m["d_model"], m["seq"]
        self.kind = kind
        if kind == "pixels":
            self.embed = nn.Linear(input_dim, d)
        else:
            self.embed = nn.Embedding(input_dim, d)
        self.pos = nn.Parameter(torch.empty(1, s, d).uniform_(-0.02, 0.02))
        self.layers = nn.ModuleList(
            Layer(d, m["heads"], m["d_ff"], s) for _ in range(m["layers"])
        )
        self.norm = nn.LayerNorm(d, eps=1e-5)

    def forward(self, inp, pad):
        if self.kind == "pixels":
            b, p, _ = inp.shape
            d = self.pos.shape[2]
            x = torch.cat([inp.new_zeros(b, 1, d), self.embed(inp)], 1)
            x = x + self.pos[:, : p + 1]
        else:
            x = self.embed(inp) + self.pos
        top = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x, pad, i == top)
        return self.norm(x)[:, 0]


class Model(nn.Module):
    def __init__(self, m, chunks):
        super().__init__()
        d = m["d_model"]
        self.image = Encoder("pixels", m["patch"] ** 2 * 3, m)
        self.text = Encoder("words", m["vocab"], m)
        # MSPT's shared keys: parameters of the model, unused without MI
        self.shared_keys = nn.ParameterList(
            nn.Parameter(torch.randn(m["seq"], d) / math.sqrt(d))
            for _ in range(m["interaction_layers"])
        )
        bound = 1.0 / math.sqrt(2 * d)
        self.parts = nn.ParameterList()
        self.biases = nn.ParameterList()
        for n in chunks:
            for _ in range(2):
                self.parts.append(nn.Parameter(torch.empty(d, n).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.zeros(n)))

    def forward(self, patches, ids, pad, present):
        cls = [self.image(patches, None), self.text(ids, pad)]
        features = torch.cat([h * p for h, p in zip(cls, present)], 1)
        fused, unimodal = [], [[], []]
        for c, bias in enumerate(self.biases):
            b = bias.unsqueeze(0)
            total = None
            for i, h in enumerate(cls):
                logit = h.matmul(self.parts[2 * c + i])
                part = logit * present[i]
                total = part if total is None else total + part
                unimodal[i].append(logit + b / 2)
            fused.append(total + b)
        return torch.cat(fused, 1), [torch.cat(u, 1) for u in unimodal], features


def shape_of(bench):
    c, r = bench["config"], bench["report"]
    m = dict(c["model"])
    m["vocab"] = m["tokenizer"]["vocab"]
    m["seq"] = m["tokenizer"]["max_len"]
    m["patches"] = (r["image_size"] // m["patch"]) ** 2
    assert m["seq"] == m["patches"] + 1
    return m


def batches(m, batch, classes, count, seed):
    """`count` batches of random inputs of the step's shapes, as numpy."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        patches = rng.uniform(-1, 1, (batch, m["patches"], m["patch"] ** 2 * 3))
        lengths = rng.integers(3, m["seq"] + 1, batch)
        ids = rng.integers(RESERVED, m["vocab"], (batch, m["seq"]))
        ids[:, 0] = 1
        pad = np.arange(m["seq"])[None, :] >= lengths[:, None]
        ids[pad] = 0
        labels = rng.integers(0, classes, batch)
        out.append((patches.astype(np.float32), ids.astype(np.int64), pad, labels))
    return out


def tensors(raw):
    patches, ids, pad, labels = raw
    b = patches.shape[0]
    present = [torch.ones(b, 1), torch.ones(b, 1)]
    return (
        torch.tensor(patches),
        torch.tensor(ids),
        torch.tensor(pad),
        present,
        torch.tensor(labels),
    )


def step_timer(bench, threads):
    c, r = bench["config"], bench["report"]
    m = shape_of(bench)
    torch.manual_seed(c["seed"])
    model = Model(m, r["chunks"])
    params = sum(p.numel() for p in model.parameters())
    if params != r["params"]:
        sys.exit(f"parameter counts differ: PyTorch {params}, Palimpsest {r['params']}")
    optim = torch.optim.Adam(model.parameters(), lr=c["lr"], betas=(0.9, 0.999), eps=1e-5)
    w = c["unimodal_weight"]
    # labels of the first task's classes, as the bench trains on
    pool = batches(m, r["batch"], r["chunks"][0], 8, c["seed"])
    plan = r["plan"]
    step_ms = []
    for i in range(plan["warmup"] + plan["steps"]):
        t0 = time.perf_counter()
        patches, ids, pad, present, labels = tensors(pool[i % len(pool)])
        fused, unimodal, _ = model(patches, ids, pad, present)
        loss = F.cross_entropy(fused, labels) + (
            F.cross_entropy(unimodal[0], labels) + F.cross_entropy(unimodal[1], labels)
        ) * w
        with torch.no_grad():
            pick = labels.reshape(-1, 1)
            s_text = torch.softmax(unimodal[1], 1).gather(1, pick).sum()
            s_image = torch.softmax(unimodal[0], 1).gather(1, pick).sum()
        stats = torch.stack([loss.detach(), s_text, s_image]).tolist()
        if not math.isfinite(stats[0]):
            sys.exit(f"the loss diverged at step {i}")
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        if i >= plan["warmup"]:
            step_ms.append((time.perf_counter() - t0) * 1e3)
    model.eval()
    one = tensors(tuple(a[:1] for a in pool[0]))
    predict = []
    with torch.no_grad():
        for _ in range(plan["steps"]):
            t0 = time.perf_counter()
            fused, _, _ = model(*one[:4])
            fused.reshape(-1).tolist()
            predict.append((time.perf_counter() - t0) * 1e3)
    median = statistics.median(step_ms)
    return {
        "torch": torch.__version__,
        "threads": threads,
        "params": params,
        "batch": r["batch"],
        "step_ms": step_ms,
        "median_step_ms": median,
        "samples_per_s": r["batch"] / (median / 1e3),
        "predict_ms": statistics.median(predict),
    }


def sgemm_peak(threads):
    """Best float32 matrix-product rate on `threads` threads, GFLOP/s."""
    best = 0.0
    for n in (512, 1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        a.matmul(b)
        for _ in range(5):
            t0 = time.perf_counter()
            reps = max(1, int(2e9 / (2 * n**3)))
            for _ in range(reps):
                a.matmul(b)
            dt = time.perf_counter() - t0
            best = max(best, reps * 2 * n**3 / dt / 1e9)
    return {"torch": torch.__version__, "threads": threads, "sgemm_gflops": best}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", help="the JSON of `palimpsest bench --out`")
    ap.add_argument("--peak", action="store_true", help="measure the sgemm peak")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    if a.peak:
        result = sgemm_peak(a.threads)
    else:
        if not a.bench:
            sys.exit("--bench FILE is needed (or --peak)")
        with open(a.bench) as f:
            bench = json.load(f)
        result = step_timer(bench, a.threads)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "step_ms"}))


if __name__ == "__main__":
    main()
