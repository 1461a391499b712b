#!/usr/bin/env python3
"""What a stronger codec than the transfer's gzip would save on the packs:
each file's bytes, gzip -9 (what BENCHMARKS.md counts a download by),
bzip2 -9 and xz -9e (Python's standard library), as JSON.

    bench/pack_codecs.py public/*.pack > pack-codecs.json

A pack stored in another codec would travel as it is (a server's gzip finds
nothing more in it), and the worker's wasm would need that codec's decoder:
the saving is at most gzip's size less the best codec's.
"""

import bz2
import gzip
import json
import lzma
import os
import sys


def sizes(raw):
    return {
        "bytes": len(raw),
        "gzip": len(gzip.compress(raw, 9, mtime=0)),
        "bzip2": len(bz2.compress(raw, 9)),
        "xz": len(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)),
    }


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    out = {}
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            out[os.path.basename(path)] = sizes(f.read())
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
