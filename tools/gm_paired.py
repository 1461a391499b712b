#!/usr/bin/env python3
"""Paired comparison of full MSPT and MSPT without gradient modulation (GM).

Reads run records named SCENARIO-mspt-sSEED.json and
SCENARIO-mspt-no-gm-sSEED.json from a folder; for every seed run both ways,
prints the two final A_T and their difference, then per scenario the mean
paired difference with its 95 % confidence interval (Student's t) and how
often full MSPT is ahead, and the same for mean U_k and forgetting; then
the mean contribution ratio γ with and without GM.
Usage: tools/gm_paired.py RUNS_DIR
"""
import glob
import json
import os
import re
import statistics
import sys

# two-sided 95 % quantiles of Student's t, by degrees of freedom
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
       8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145,
       15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086}


def load(folder):
    runs = {}
    for path in glob.glob(f"{folder}/*.json"):
        m = re.fullmatch(r"(.+)-mspt(-no-gm)?-s(\d+)\.json", os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            r = json.load(f)
        key = (m.group(1), int(m.group(3)))
        runs.setdefault(key, {})["-gm" if m.group(2) else "full"] = {
            "A_T": 100 * r["A"][-1],
            "mean U_k": 100 * statistics.mean(r["U"]),
            "forgetting": 100 * r["metrics"]["forgetting"],
            "gamma": statistics.mean(g["gamma"] for g in r["gamma"]),
        }
    return runs


def interval(diffs):
    mean = statistics.mean(diffs)
    if len(diffs) < 2:
        return mean, float("nan")
    half = T95.get(len(diffs) - 1, 1.96) * statistics.stdev(diffs) / len(diffs) ** 0.5
    return mean, half


def main(folder):
    runs = load(folder)
    for scenario in sorted({s for s, _ in runs}):
        pairs = sorted((seed, v) for (s, seed), v in runs.items()
                       if s == scenario and len(v) == 2)
        if not pairs:
            continue
        print(f"### {scenario}: MSPT with and without GM, {len(pairs)} seeds")
        print()
        print("| seed | A_T full (%) | A_T −GM (%) | full − (−GM) (pp) |")
        print("|---|---|---|---|")
        for seed, v in pairs:
            a, b = v["full"]["A_T"], v["-gm"]["A_T"]
            print(f"| {seed} | {a:.1f} | {b:.1f} | {a - b:+.1f} |")
        print()
        print("| measure | mean full − (−GM) (pp) | 95 % interval | seeds where full is higher |")
        print("|---|---|---|---|")
        for measure in ("A_T", "mean U_k", "forgetting"):
            diffs = [v["full"][measure] - v["-gm"][measure] for _, v in pairs]
            mean, half = interval(diffs)
            ahead = sum(d > 0 for d in diffs)
            print(f"| {measure} | {mean:+.2f} | {mean - half:+.2f} … {mean + half:+.2f} "
                  f"| {ahead} of {len(diffs)} |")
        print()
        full = [v["full"]["gamma"] for _, v in pairs]
        ablated = [v["-gm"]["gamma"] for _, v in pairs]
        lower = sum(a < b for a, b in zip(full, ablated))
        print(f"Mean γ (text over image true-class score, Eq. 6) over all training steps: "
              f"{statistics.mean(full):.2f} with GM, {statistics.mean(ablated):.2f} without; "
              f"lower with GM in {lower} of {len(pairs)} seeds.")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/results/gm-paired")
