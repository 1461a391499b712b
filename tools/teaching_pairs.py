#!/usr/bin/env python3
"""Chooses the teaching stream's pairs (core's TEACHING_TASKS) from the model's
own confusions: Joint trained on all twenty entity subgroups, one confusion
matrix per seed (`palimpsest run --scenario entity --strategy joint --seed S
--confusion`, its text output saved per seed). The ten subgroups the model
recognises best (mean recall over the seeds) are paired so that the pair
the model confuses most confuses it least (every pairing of the ten tried).

  tools/teaching_pairs.py joint-entity-1.txt joint-entity-2.txt ...

Prints the per-subgroup recall, the chosen pairs with their mutual
confusion, and the runner-up pairings. Standard library only.
"""
import itertools
import re
import sys


def read_confusion(path):
    """The (names, counts) of one `--confusion` table."""
    names, rows = [], []
    inside = False
    for line in open(path, encoding='utf-8'):
        if line.startswith('confusion on every test set'):
            inside = True
            continue
        if not inside:
            continue
        m = re.match(r'^\s*(\S.*?)\s+(\d+)((?:\s+\d+)+)\s+(\d+ %|–)\s*$', line)
        if m:
            names.append(m.group(1))
            rows.append([int(v) for v in m.group(3).split()])
    if not rows or any(len(r) != len(rows) for r in rows):
        sys.exit(f'{path}: no square confusion table found')
    return names, rows


def mutual(rows, a, b):
    """Share of a's and b's test samples given to the other of the two."""
    total = sum(rows[a]) + sum(rows[b])
    return (rows[a][b] + rows[b][a]) / total if total else 0.0


def pairings(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for i, other in enumerate(rest):
        for more in pairings(rest[:i] + rest[i + 1:]):
            yield [(first, other)] + more


def main(paths):
    tables = [read_confusion(p) for p in paths]
    names = tables[0][0]
    if any(t[0] != names for t in tables):
        sys.exit('the tables name different classes')
    n = len(names)
    recall = [sum(t[1][c][c] / max(1, sum(t[1][c])) for t in tables) / len(tables) for c in range(n)]
    conf = [[sum(mutual(t[1], a, b) for t in tables) / len(tables) for b in range(n)] for a in range(n)]
    print(f'recall of each subgroup, Joint over {n} classes, mean of {len(tables)} seeds:')
    for c in sorted(range(n), key=lambda c: -recall[c]):
        print(f'  {names[c]:>18} {100 * recall[c]:5.1f} %')
    best = sorted(range(n), key=lambda c: -recall[c])[:10]
    scored = []
    for p in pairings(best):
        worst = max(conf[a][b] for a, b in p)
        total = sum(conf[a][b] for a, b in p)
        scored.append((worst, total, p))
    scored.sort(key=lambda s: (s[0], s[1]))
    for rank, (worst, total, p) in enumerate(scored[:3], 1):
        print(f'\npairing {rank}: most confused pair {100 * worst:.1f} %, sum {100 * total:.1f} %')
        for a, b in sorted(p, key=lambda ab: -min(recall[ab[0]], recall[ab[1]])):
            print(f'  [{names[a]!r}, {names[b]!r}]  mutual confusion {100 * conf[a][b]:.1f} %')


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
