#!/usr/bin/env python3
"""Where the native training step spends its time: `perf report`'s self time
per symbol (read from stdin, as bench/run.sh writes it) summed into a few
kinds of work, written as JSON.

    perf report -i perf.data --no-children --sort dso,symbol -g none --stdio -q \\
        --percent-limit 0 | bench/step_profile.py > profile.json

A symbol goes to the first kind whose pattern it matches, in the order of
KINDS. The shares are of the whole profiled process (`palimpsest bench`:
its steps are most of it, start-up and the timed predictions the rest).
"""

import json
import re
import sys

KINDS = [
    ("matrix products (gemm)", r"gemm|burn_flex::ops::matmul"),
    ("erf and exp (GELU, softmax)", r"erf|expf|xflowf|with_errnof|libm::math::exp|__exp"),
    ("memory copies and fills", r"memmove|memcpy|memset|copy_2d|burn_flex::tensor::"),
    ("allocation and page faults", r"\[k\]|^mi_|_mi_|malloc|free|__rust_(alloc|dealloc|realloc)|__rdl_"),
    ("burn flex's element-wise ops and reductions", r"burn_flex::"),
    ("Palimpsest's own code", r"palimpsest"),
    ("bookkeeping (autodiff graph, dispatch, shapes, Vec/Arc/hash maps)",
     r"burn_|cubecl_|dyn_stack|alloc::|core::|std::|hashbrown"),
]

# "  16.78%  palimpsest  [.] gemm_f32::…   -      -" (the dashes: empty columns)
LINE = re.compile(r"^\s*([0-9.]+)%\s+(\S+)\s+(\[[.k]\])\s+(.*?)[\s-]*$")


def summarise(lines):
    """The kinds' shares, the total and the top symbols of perf report's lines."""
    rows = []
    for line in lines:
        m = LINE.match(line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3), m.group(4)))
    if not rows:
        raise ValueError("no perf report lines")
    shares = {name: 0.0 for name, _ in KINDS}
    shares["other"] = 0.0
    for pct, _dso, mark, sym in rows:
        shares[kind_of(mark, sym)] += pct
    top = sorted(rows, key=lambda r: -r[0])[:12]
    return {
        "kinds": shares,
        "total": sum(r[0] for r in rows),
        "top": [{"percent": p, "dso": d, "symbol": s} for p, d, _, s in top],
    }


def kind_of(mark, symbol):
    """The kind of work a symbol is (`mark`: perf's [.] user, [k] kernel)."""
    text = f"{mark} {symbol}" if mark == "[k]" else symbol
    return next((name for name, pat in KINDS if re.search(pat, text)), "other")


def main():
    try:
        summary = summarise(sys.stdin)
    except ValueError as e:
        raise SystemExit(f"step_profile.py: {e} on stdin")
    json.dump(summary, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
