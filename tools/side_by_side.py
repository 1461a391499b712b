#!/usr/bin/env python3
"""The same strategies from the pretrained encoders and from scratch, side by side.

Reads the run records of two folders (the default start, pretrained, and the
same runs with --init scratch) and prints, per scenario, one markdown row a
strategy (MSPT's ablations included): mean ± sample std over the seeds of
final A_T, mean U_k and forgetting, pretrained beside scratch.
Usage: tools/side_by_side.py PRETRAINED_DIR SCRATCH_DIR
"""
import statistics
import sys

from ordering import records
from paired import measures


def load(folder):
    """{(scenario, strategy label): {measure: [value per seed]}}"""
    rows = {}
    for key, rs in records(folder).items():
        ms = [measures(r) for r in rs]
        rows[key] = {m: [x[m] for x in ms] for m in ms[0]}
    return rows


def cell(values):
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}"


def main(pretrained, scratch):
    sides = load(pretrained), load(scratch)
    measures = ("A_T", "mean U_k", "forgetting")
    for scenario in sorted({s for side in sides for s, _ in side}):
        print(f"### {scenario}: pretrained encoders (the default) and scratch")
        print()
        head = " | ".join(f"{m} pretrained | {m} scratch" for m in measures)
        print(f"| strategy | seeds | {head} |")
        print("|---|---|" + "---|" * (2 * len(measures)))
        # by the default's mean A_T, ties by name (a set's order varies by process)
        names = sorted({n for side in sides for s, n in side if s == scenario},
                       key=lambda n: (-statistics.mean(sides[0].get((scenario, n), {}).get("A_T", [0])), n))
        for name in names:
            got = [side.get((scenario, name), {}) for side in sides]
            seeds = "/".join(str(len(g.get("A_T", []))) for g in got)
            cells = " | ".join(f"{cell(got[0].get(m))} | {cell(got[1].get(m))}" for m in measures)
            print(f"| {name} | {seeds} | {cells} |")
        print()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(*sys.argv[1:])
