#!/usr/bin/env python3
"""Checks the papers' ordering on final A_T over the run records in a folder.

Prints a markdown list: for each scenario, each required relation between the
mean final A_T of two strategies, with the two means and whether it holds.
Usage: tools/ordering.py RUNS_DIR
"""
import glob
import json
import statistics
import sys


def label(cfg):
    s = cfg["strategy"]
    if s["name"] != "mspt":
        return s["name"]
    off = [k for k in ("gm", "mi", "ad", "mm") if not s.get(k, True)]
    return "mspt" + "".join(f" -{k}" for k in off)


def records(folder):
    """The run records in a folder, {(scenario, strategy label): [record]}."""
    runs = {}
    for path in sorted(glob.glob(f"{folder}/*.json")):
        with open(path) as f:
            r = json.load(f)
        runs.setdefault((r["config"]["scenario"], label(r["config"])), []).append(r)
    return runs


def main(folder):
    means = {k: statistics.mean(r["A"][-1] for r in rs) for k, rs in records(folder).items()}
    checks = [("joint", "mspt"), ("mspt", "replay"), ("replay", "finetune"), ("replay", "ewc")]
    checks += [("mspt", f"mspt -{k}") for k in ("gm", "mi", "ad", "mm")]
    for scenario in sorted({s for s, _ in means}):
        print(f"### Ordering on {scenario} (mean final A_T)")
        print()
        for hi, lo in checks:
            a, b = means.get((scenario, hi)), means.get((scenario, lo))
            if a is None or b is None:
                print(f"- {hi} > {lo}: not run")
                continue
            verdict = "holds" if a > b else "**does not hold**"
            print(f"- {hi} ({100 * a:.1f}) > {lo} ({100 * b:.1f}): {verdict}")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/results")
