#!/usr/bin/env bash
# How many examples a new class needs: Finetune on the entity stream with at
# most N training images a class (--set entity.train_items=N; every test set
# and caption as with all of them), from the pretrained encoders and from
# scratch, seeds 1–3; prints mean U_k (accuracy on each task right after it:
# a new class among its task's four) per N, and the smallest N whose mean
# U_k reaches 80 % of that with every image.
# Usage: tools/examples_needed.sh [out-dir] ["N …"] ["seeds"]
# Runs as many at once as there are cores (PALIMPSEST_JOBS overrides); keeps
# the records already in out-dir.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/examples-needed}
counts=${2:-1 2 4 6 8 12 0}
seeds=${3:-1 2 3}
mkdir -p "$out"
source tools/lib.sh
build_cli
for seed in $seeds; do
  for init in pretrained scratch; do
    for n in $counts; do
      job "$out/$init-n$n-s$seed.json" --scenario entity --strategy finetune --seed "$seed" \
        --init "$init" --set "entity.train_items=$n"
    done
  done
done | REUSE=1 run_records
python3 - "$out" <<'PY'
import json, statistics, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = {}
for f in sorted(out.glob("*.json")):
    init, n, _ = f.stem.rsplit("-", 2)
    r = json.loads(f.read_text())
    rows.setdefault((init, int(n[1:])), []).append(100 * statistics.mean(r["U"]))
print("Finetune on entity, mean U_k (%) over seeds, by training images a class (all: every image of the split, 14–46)")
print()
print("| init | " + " | ".join(str(n) if n else "all" for n in sorted({n for _, n in rows}, key=lambda n: n or 1e9)) + " | needed for 80 % of all |")
ns = sorted({n for _, n in rows}, key=lambda n: n or 1e9)
print("|---|" + "---|" * (len(ns) + 1))
for init in ("pretrained", "scratch"):
    vals = {n: rows.get((init, n)) for n in ns}
    cells = [f"{statistics.mean(v):.1f} ± {statistics.stdev(v):.1f}" if v and len(v) > 1 else (f"{v[0]:.1f}" if v else "–") for v in vals.values()]
    full = statistics.mean(vals[0]) if vals.get(0) else None
    need = next((str(n) for n in ns if n and full and vals[n] and statistics.mean(vals[n]) >= 0.8 * full), "more than the largest N")
    print(f"| {init} | " + " | ".join(cells) + f" | {need} |")
PY
