#!/usr/bin/env python3
"""Paired comparison of two run configurations over the same seeds.

Reads run records named SCENARIO-A-sSEED.json and SCENARIO-B-sSEED.json from
a folder (A, B default to mspt and mspt-no-gm: full MSPT against MSPT
without gradient modulation); for every seed run both ways, prints the two
final A_T and their difference, then per scenario the mean paired difference
with its 95 % confidence interval (Student's t) and how often A is ahead,
the same for mean U_k and forgetting, and the mean contribution ratio γ
(Eq. 6 of MSPT) of both sides.
Usage: tools/paired.py RUNS_DIR [A B A_LABEL B_LABEL TITLE]
"""
import glob
import json
import os
import statistics
import sys

# two-sided 95 % quantiles of Student's t, by degrees of freedom
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
       8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145,
       15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086}


def measures(r):
    """A run record's final A_T, mean U_k and forgetting, in percent."""
    return {
        "A_T": 100 * r["A"][-1],
        "mean U_k": 100 * statistics.mean(r["U"]),
        "forgetting": 100 * r["metrics"]["forgetting"],
    }


def load(folder, sides):
    """{(scenario, seed): {side: measures}} for files SCENARIO-SIDE-sSEED.json."""
    runs = {}
    for path in glob.glob(f"{folder}/*.json"):
        stem = os.path.basename(path)[:-len(".json")]
        head, _, seed = stem.rpartition("-s")
        if not seed.isdigit():
            continue
        for side in sides:
            if head.endswith("-" + side):
                scenario = head[:-len(side) - 1]
                break
        else:
            continue
        with open(path) as f:
            r = json.load(f)
        runs.setdefault((scenario, int(seed)), {})[side] = {
            **measures(r),
            "gamma": statistics.mean(g["gamma"] for g in r["gamma"]),
        }
    return runs


def interval(diffs):
    mean = statistics.mean(diffs)
    if len(diffs) < 2:
        return mean, float("nan")
    half = T95.get(len(diffs) - 1, 1.96) * statistics.stdev(diffs) / len(diffs) ** 0.5
    return mean, half


def main(folder, a="mspt", b="mspt-no-gm", a_label="full", b_label="−GM",
         title="MSPT with and without GM"):
    # the longer name first, so that "mspt-no-gm" is not read as "...-gm" of "mspt"
    runs = load(folder, sorted((a, b), key=len, reverse=True))
    diff = f"{a_label} − ({b_label})"
    for scenario in sorted({s for s, _ in runs}):
        pairs = sorted((seed, v) for (s, seed), v in runs.items()
                       if s == scenario and len(v) == 2)
        if not pairs:
            continue
        print(f"### {scenario}: {title}, {len(pairs)} seeds")
        print()
        print(f"| seed | A_T {a_label} (%) | A_T {b_label} (%) | {diff} (pp) |")
        print("|---|---|---|---|")
        for seed, v in pairs:
            x, y = v[a]["A_T"], v[b]["A_T"]
            print(f"| {seed} | {x:.1f} | {y:.1f} | {x - y:+.1f} |")
        print()
        print(f"| measure | mean {diff} (pp) | 95 % interval | seeds where {a_label} is higher |")
        print("|---|---|---|---|")
        for measure in ("A_T", "mean U_k", "forgetting"):
            diffs = [v[a][measure] - v[b][measure] for _, v in pairs]
            mean, half = interval(diffs)
            ahead = sum(d > 0 for d in diffs)
            print(f"| {measure} | {mean:+.2f} | {mean - half:+.2f} … {mean + half:+.2f} "
                  f"| {ahead} of {len(diffs)} |")
        print()
        xs = [v[a]["gamma"] for _, v in pairs]
        ys = [v[b]["gamma"] for _, v in pairs]
        lower = sum(x < y for x, y in zip(xs, ys))
        print(f"Mean γ (text over image true-class score, Eq. 6) over all training steps: "
              f"{statistics.mean(xs):.2f} ({a_label}), {statistics.mean(ys):.2f} ({b_label}); "
              f"lower for {a_label} in {lower} of {len(pairs)} seeds.")
        print()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 7):
        sys.exit(__doc__.strip().splitlines()[-1])
    main(*sys.argv[1:])
