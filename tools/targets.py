#!/usr/bin/env python3
"""The learner issue's targets against the run records RESULTS.md is made of.

Reads the default runs (seeds 1–3, pretrained encoders) from RUNS_DIR and the
paired runs of MSPT and Replay (seeds 1–10) from PAIRED_DIR, and prints a
markdown table: each target, what the records give, and whether it is met.
The browser's targets (a visitor's new class, the default demo) are not run
records: BENCHMARKS.md and the end-to-end tests measure those.
Usage: tools/targets.py RUNS_DIR PAIRED_DIR
"""
import statistics
import sys

from ordering import records
from paired import interval, load as load_paired, measures


def mean(runs, key, measure):
    """The mean of one of `measures` over the runs of (scenario, strategy)."""
    rs = runs.get(key, [])
    if not rs:
        return None
    return statistics.mean(measures(r)[measure] for r in rs)


def main(folder, paired):
    runs = records(folder)
    rows = []

    def at_least(what, goal, value, unit="%"):
        if value is None:
            rows.append((what, f"≥ {goal} {unit}", "not run", "–"))
        else:
            rows.append((what, f"≥ {goal} {unit}", f"{value:.1f} {unit}",
                         "met" if value >= goal else "not met"))

    for scenario, joint_goal, u_goal in (("entity", 75, 85), ("relation", 90, 90)):
        at_least(f"{scenario}, Joint final A_T", joint_goal, mean(runs, (scenario, "joint"), "A_T"))
        at_least(f"{scenario}, Finetune mean U_k", u_goal, mean(runs, (scenario, "finetune"), "mean U_k"))
    for scenario in ("entity", "relation"):
        at_least(f"{scenario}, Finetune forgetting (the problem stays visible)", 40,
                 mean(runs, (scenario, "finetune"), "forgetting"), "pp")
    pairs = load_paired(paired, ["replay", "mspt"])
    for scenario in ("entity", "relation"):
        m, r = mean(runs, (scenario, "mspt"), "A_T"), mean(runs, (scenario, "replay"), "A_T")
        diffs = [v["mspt"]["A_T"] - v["replay"]["A_T"]
                 for (s, _), v in sorted(pairs.items()) if s == scenario and len(v) == 2]
        if m is None or r is None or len(diffs) < 2:
            rows.append((f"{scenario}, MSPT − Replay, final A_T", "≥ +5 pp, paired interval above 0",
                         "not run", "–"))
            continue
        d, half = interval(diffs)
        met = m - r >= 5 and d - half > 0
        rows.append((f"{scenario}, MSPT − Replay, final A_T",
                     "≥ +5 pp (3-seed means), paired 10-seed interval above 0",
                     f"{m - r:+.1f} pp (3 seeds); {d:+.1f} pp, {d - half:+.1f} … {d + half:+.1f} "
                     f"({len(diffs)} seeds paired)", "met" if met else "not met"))
    times = [r["timing"]["total_s"] for (s, n), rs in runs.items() if n == "mspt" for r in rs]
    if times:
        worst = max(times)
        rows.append(("one default CLI run (MSPT), 2 cores", "≤ 60 s",
                     f"{statistics.mean(times):.1f} s on average, {worst:.1f} s at most "
                     "(as many runs at once as cores)", "met" if worst <= 60 else "not met"))
    print("| target | goal | measured | |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(*sys.argv[1:])
