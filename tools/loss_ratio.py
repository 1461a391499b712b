#!/usr/bin/env python3
"""The largest training loss of each run record over the reference core's
blow-up test uses: max(the run's first loss, ln(classes known at that
task)). A run whose ratio passes BLOWUP_FACTOR (core/src/run/record.rs) is
stopped as blown up; its record then lists the divergences instead.

  tools/loss_ratio.py RECORD.json ...

Standard library only.
"""
import json
import math
import sys


def ratio(record):
    """The run's largest loss ratio, or None when it has no loss trace."""
    loss = record.get('loss') or []
    if not loss:
        return None
    first = loss[0]['loss']
    known, seen = [], set()
    for t in record['tasks']:
        seen.update(t['classes'])
        known.append(len(seen))
    return max(p['loss'] / max(first, math.log(max(2, known[p['task'] - 1]))) for p in loss)


def main(paths):
    rows = []
    for path in paths:
        r = json.load(open(path, encoding='utf-8'))
        d = r.get('divergences') or []
        causes = ', '.join(f"{x.get('cause', {}).get('kind', 'not_finite')} at task {x['task']} step {x['step']}" for x in d)
        rows.append((ratio(r), path, causes))
    for v, path, causes in sorted(rows, key=lambda x: (x[0] is None, x[0] or 0)):
        shown = '   –  ' if v is None else f'{v:6.2f}'
        print(f'{shown}  {path}' + (f'  (diverged: {causes})' if causes else ''))


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
