#!/usr/bin/env python3
"""Build Palimpsest's bundled default dataset pack from OpenMoji, or the
pretraining pool (``--pool``).

Produces
  public/openmoji-32.pack     the pack (format v1, described below)
  public/OPENMOJI-LICENSE.md  licence and attribution for the adapted artwork
or, with ``--pool``,
  data/pretrain/openmoji-pool-32.pack     the pretraining pool (format v1)
  data/pretrain/OPENMOJI-LICENSE.md       its licence and attribution

Requirements: Python 3.11, Pillow (``pip install Pillow`` if missing), ``npm``
(unless ``--openmoji-dir`` is given) and ``rsvg-convert`` (Debian package
``librsvg2-bin``).

Usage:
  python3 tools/build_pack.py [--openmoji-dir DIR] [--out-dir public]
  python3 tools/build_pack.py --pool [--openmoji-dir DIR] [--out-dir data/pretrain]

Without ``--openmoji-dir`` the script runs
``npm install --no-save --prefix <tmpdir> openmoji@17.0.0`` and uses the
package from there.

It keeps the OpenMoji entries without a skin tone whose subgroup is one of the
20 classes in ``TASKS`` (5 tasks x 4 classes), rasterises each
``color/svg/<hexcode>.svg`` to 32x32 RGB on white, and writes the pack sorted
by subgroup, then hexcode, so that the output is byte-for-byte reproducible
for a given OpenMoji version and librsvg.

The pool (``--pool``) holds the entries without a skin tone whose subgroup is
*not* one of those 20 classes (nor any subgroup or hexcode of an existing
``public/openmoji-32.pack``), for pretraining encoders on data that no default
stream uses. It drops subgroups with fewer than ``POOL_MIN_PER_SUBGROUP``
images and those in ``POOL_DROP``, keeps at most ``POOL_CAP`` images a subgroup
(``POOL_FLAG_CAP`` for flags; evenly spaced over the subgroup's hexcode
order), rasterises them the same way and sorts them the same way. Its
``tasks`` list the pool's subgroups grouped by OpenMoji group. It does not
ship in the app: only ``public/`` does.

Pack format v1 (integers little-endian):
  8 bytes  magic b"PLMPPACK"
  u32      format version = 1
  u32      header length H, then H bytes of UTF-8 JSON header
           {source, licence, attribution, image_size, channels, tasks, items}
  N * S*S*3 bytes of RGB pixels, row-major, in item order
  u32      CRC-32 (IEEE, as zlib.crc32) of every preceding byte
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pack_format  # noqa: E402
from openmoji_npm import OPENMOJI_VERSION, install_openmoji  # noqa: E402

try:
    from PIL import Image
except ImportError:  # pragma: no cover - environment check
    sys.exit("Pillow is required: pip install Pillow")

IMAGE_SIZE = 32
CHANNELS = 3
MIN_PER_CLASS = 20
ATTRIBUTION = "OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0"
LICENCE = "CC BY-SA 4.0"

# 5 tasks x 4 classes; each class is an OpenMoji subgroup (names checked
# against openmoji 17.0.0's data/openmoji.json).
TASKS: list[list[str]] = [
    ["animal-mammal", "animal-bird", "food-fruit", "drink"],
    ["food-prepared", "transport-ground", "sky-weather", "place-building"],
    ["clothing", "tool", "household", "office"],
    ["sport", "game", "event", "time"],
    ["face-concerned", "heart", "geometric", "arrow"],
]

# The pretraining pool: OpenMoji subgroups outside every default stream.
POOL_FILE = "openmoji-pool-32.pack"
# A subgroup with fewer images is too small to be a class worth learning.
POOL_MIN_PER_SUBGROUP = 8
# At most this many images a subgroup, so that a few large subgroups do not
# dominate and the file stays under ~4 MB.
POOL_CAP = 40
# Flags are near-identical rectangles at 32 px that differ in stripe colours,
# named after places; 259 country flags would be a fifth of the pool, so they
# keep a smaller share. (The extras-openmoji subgroup "flags" — pride, berber,
# red flag — is a handful of distinct designs and takes the ordinary cap.)
POOL_FLAG_SUBGROUPS = frozenset({"country-flag", "subdivision-flag"})
POOL_FLAG_CAP = 20
# Subgroups left out of the pool, with why:
POOL_DROP: dict[str, str] = {
    # Company and service logos (Twitter, YouTube, ...): trademarks, not
    # things, with bare brand names for captions.
    "brand": "trademark logos",
    # OpenMoji's catch-all extras named after a whole Unicode group: their
    # members belong by meaning to default-stream classes (donkey and doe are
    # mammals, pigeon and macaw birds, pomegranate a fruit, latte a drink,
    # armchair household, eiffel tower a building), so pretraining on them
    # would be the stream's classes under another name.
    "animals-nature": "catch-all overlapping animal-mammal/animal-bird",
    "food-drink": "catch-all overlapping food-fruit/drink/food-prepared",
    "objects": "catch-all overlapping household/tool",
    "travel-places": "catch-all overlapping place-building",
}

REPO_ROOT = Path(__file__).resolve().parent.parent


def split_tags(s: str) -> list[str]:
    s = (s or "").strip()
    return [t.strip() for t in s.split(", ") if t.strip()] if s else []


def rasterise(svg_path: str) -> bytes:
    """Render one SVG to IMAGE_SIZE x IMAGE_SIZE RGB bytes on white."""
    png = subprocess.run(
        [
            "rsvg-convert",
            "-w",
            str(IMAGE_SIZE),
            "-h",
            str(IMAGE_SIZE),
            "--background-color=white",
            svg_path,
        ],
        check=True,
        capture_output=True,
    ).stdout
    with Image.open(io.BytesIO(png)) as im:
        im.load()
        if im.size != (IMAGE_SIZE, IMAGE_SIZE):
            raise RuntimeError(f"{svg_path}: rendered as {im.size}, not {IMAGE_SIZE}x{IMAGE_SIZE}")
        rgba = im.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(background, rgba).convert("RGB")
    data = rgb.tobytes()
    assert len(data) == IMAGE_SIZE * IMAGE_SIZE * CHANNELS
    return data


def select_items(pkg: Path) -> list[dict]:
    entries = json.loads((pkg / "data" / "openmoji.json").read_text(encoding="utf-8"))
    wanted = {c for task in TASKS for c in task}
    items = []
    for e in entries:
        if str(e.get("skintone", "")) != "":
            continue
        if e["subgroups"] not in wanted:
            continue
        items.append(item_of(e))
    items.sort(key=lambda it: (it["subgroup"], it["hexcode"]))

    hexcodes = [it["hexcode"] for it in items]
    if len(set(hexcodes)) != len(hexcodes):
        sys.exit("duplicate hexcodes among selected items")

    ok = True
    print(f"{'task':>4}  {'subgroup':<18} {'group':<18} {'images':>6}")
    for t, task in enumerate(TASKS, 1):
        for cls in task:
            members = [it for it in items if it["subgroup"] == cls]
            groups = sorted({it["group"] for it in members})
            print(f"{t:>4}  {cls:<18} {','.join(groups):<18} {len(members):>6}")
            if len(members) < MIN_PER_CLASS:
                print(f"error: subgroup {cls!r} has {len(members)} < {MIN_PER_CLASS} images")
                ok = False
            if len(groups) > 1:
                print(f"error: subgroup {cls!r} spans several groups: {groups}")
                ok = False
    print(f"total: {len(items)} images")
    if not ok:
        sys.exit(1)
    return items


def item_of(e: dict) -> dict:
    return {
        "hexcode": e["hexcode"],
        "emoji": e["emoji"],
        "annotation": e["annotation"],
        "tags": split_tags(e.get("tags", "")),
        "openmoji_tags": split_tags(e.get("openmoji_tags", "")),
        "group": e["group"],
        "subgroup": e["subgroups"],
    }


def read_pack_header(path: Path) -> dict | None:
    """The JSON header of an existing pack, or None if there is no file."""
    if not path.is_file():
        return None
    b = path.read_bytes()
    if b[:8] != pack_format.MAGIC:
        sys.exit(f"{path}: not a pack")
    (n,) = struct.unpack_from("<I", b, 12)
    return json.loads(b[16 : 16 + n].decode("utf-8"))


def select_pool_items(pkg: Path) -> tuple[list[dict], list[list[str]]]:
    """The pretraining pool's items, sorted by subgroup then hexcode, and its
    tasks: the pool's subgroups grouped by (majority) OpenMoji group."""
    entries = json.loads((pkg / "data" / "openmoji.json").read_text(encoding="utf-8"))
    excluded = {c for task in TASKS for c in task}
    excluded_hex: set[str] = set()
    bundled = read_pack_header(REPO_ROOT / "public" / "openmoji-32.pack")
    if bundled is not None:
        excluded |= {it["subgroup"] for it in bundled["items"]}
        excluded |= {c for task in bundled["tasks"] for c in task}
        excluded_hex = {it["hexcode"] for it in bundled["items"]}

    by_subgroup: dict[str, list[dict]] = {}
    for e in entries:
        if str(e.get("skintone", "")) != "":
            continue
        if e["subgroups"] in excluded or e["hexcode"] in excluded_hex:
            continue
        by_subgroup.setdefault(e["subgroups"], []).append(item_of(e))

    items: list[dict] = []
    print(f"{'subgroup':<24} {'group':<30} {'found':>5} {'kept':>5}")
    for sub in sorted(by_subgroup):
        members = sorted(by_subgroup[sub], key=lambda it: it["hexcode"])
        n = len(members)
        groups = ",".join(sorted({it["group"] for it in members}))
        if sub in POOL_DROP:
            print(f"{sub:<24} {groups:<30} {n:>5}     - ({POOL_DROP[sub]})")
            continue
        if n < POOL_MIN_PER_SUBGROUP:
            print(f"{sub:<24} {groups:<30} {n:>5}     - (< {POOL_MIN_PER_SUBGROUP})")
            continue
        cap = POOL_FLAG_CAP if sub in POOL_FLAG_SUBGROUPS else POOL_CAP
        # Evenly spaced over the hexcode order, so that a cap keeps the
        # subgroup's variety (not, say, only flags of countries A-B).
        kept = members if n <= cap else [members[i * n // cap] for i in range(cap)]
        print(f"{sub:<24} {groups:<30} {n:>5} {len(kept):>5}")
        items.extend(kept)
    items.sort(key=lambda it: (it["subgroup"], it["hexcode"]))

    hexcodes = [it["hexcode"] for it in items]
    if len(set(hexcodes)) != len(hexcodes):
        sys.exit("duplicate hexcodes among selected items")
    if any(not it["annotation"].strip() for it in items):
        sys.exit("an item without annotation")

    # Each subgroup goes to the group holding most of its items (ties: the
    # first by name); tasks in group order, subgroups sorted within.
    counts: dict[str, dict[str, int]] = {}
    for it in items:
        c = counts.setdefault(it["subgroup"], {})
        c[it["group"]] = c.get(it["group"], 0) + 1
    by_group: dict[str, list[str]] = {}
    for sub, c in sorted(counts.items()):
        group = min(c, key=lambda g: (-c[g], g))
        by_group.setdefault(group, []).append(sub)
    tasks = [by_group[g] for g in sorted(by_group)]
    print(f"total: {len(items)} images, {len(counts)} subgroups, {len(tasks)} groups")
    return items, tasks


def encode_pack(items: list[dict], pixels: list[bytes], tasks: list[list[str]] = TASKS) -> bytes:
    header = {
        "source": f"openmoji {OPENMOJI_VERSION}",
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "image_size": IMAGE_SIZE,
        "channels": CHANNELS,
        "tasks": tasks,
        "items": items,
    }
    return pack_format.encode(header, pixels)


LICENSE_TEXT = """\
# OpenMoji artwork in `openmoji-32.pack`

The images in `openmoji-32.pack` are adaptations of OpenMoji artwork: the
original colour SVGs were rasterised to 32×32 pixels and composited onto a
white background. The names, tags and categories in the pack's header come
from OpenMoji's metadata.

Credit:

> OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0

The pack `openmoji-32.pack` (images and metadata) is distributed under the
Creative Commons Attribution-ShareAlike 4.0 International licence
(CC BY-SA 4.0), the licence of the original artwork. This applies to the pack
only; the rest of Palimpsest's code keeps its own licence.

Provenance:

* source: npm package `openmoji`, version {version} (`color/svg/*.svg`,
  `data/openmoji.json`)
* selection: {count} images without skin tones from {classes} subgroups
* built by: `tools/build_pack.py` in this repository (rasterised with
  `rsvg-convert -w 32 -h 32 --background-color=white`)
"""


POOL_LICENSE_TEXT = """\
# OpenMoji artwork in `openmoji-pool-32.pack`

The images in `openmoji-pool-32.pack` are adaptations of OpenMoji artwork: the
original colour SVGs were rasterised to 32×32 pixels and composited onto a
white background. The names, tags and categories in the pack's header come
from OpenMoji's metadata.

Credit:

> OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0

The pack `openmoji-pool-32.pack` (images and metadata) is distributed under the
Creative Commons Attribution-ShareAlike 4.0 International licence
(CC BY-SA 4.0), the licence of the original artwork. This applies to the pack
only; the rest of Palimpsest's code keeps its own licence.

This pack is Palimpsest's pretraining pool: OpenMoji subgroups that no default
stream uses. It is read from disk by native builds and does not ship in the
web app.

Provenance:

* source: npm package `openmoji`, version {version} (`color/svg/*.svg`,
  `data/openmoji.json`)
* selection: {count} images without skin tones from {classes} subgroups that
  are not among the bundled pack's 20 (at most {cap} a subgroup, {flag_cap} for
  country and subdivision flags)
* left out: subgroups under {min} images, and {dropped}
* built by: `python3 tools/build_pack.py --pool` in this repository
  (rasterised with `rsvg-convert -w 32 -h 32 --background-color=white`)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--openmoji-dir", type=Path, help="an existing openmoji package directory")
    ap.add_argument(
        "--pool",
        action="store_true",
        help=f"build the pretraining pool data/pretrain/{POOL_FILE} instead of the bundled pack",
    )
    ap.add_argument("--out-dir", type=Path, help="default: public, or data/pretrain with --pool")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    if shutil.which("rsvg-convert") is None:
        sys.exit("rsvg-convert not found (Debian: apt-get install librsvg2-bin)")

    with tempfile.TemporaryDirectory(prefix="openmoji-") as tmp:
        pkg = args.openmoji_dir or install_openmoji(Path(tmp))
        version = json.loads((pkg / "package.json").read_text(encoding="utf-8"))["version"]
        if version != OPENMOJI_VERSION:
            sys.exit(f"expected openmoji {OPENMOJI_VERSION}, found {version}")

        if args.pool:
            items, tasks = select_pool_items(pkg)
        else:
            items, tasks = select_items(pkg), TASKS
        svgs = [str(pkg / "color" / "svg" / f"{it['hexcode']}.svg") for it in items]
        missing = [s for s in svgs if not Path(s).is_file()]
        if missing:
            sys.exit(f"missing SVGs: {missing[:5]}{' ...' if len(missing) > 5 else ''}")
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            pixels = list(pool.map(rasterise, svgs, chunksize=16))

    pack = encode_pack(items, pixels, tasks)
    out_dir = args.out_dir or REPO_ROOT / ("data/pretrain" if args.pool else "public")
    out_dir.mkdir(parents=True, exist_ok=True)
    pack_path = out_dir / (POOL_FILE if args.pool else "openmoji-32.pack")
    pack_path.write_bytes(pack)
    n_classes = sum(len(t) for t in tasks)
    if args.pool:
        licence = POOL_LICENSE_TEXT.format(
            version=OPENMOJI_VERSION,
            count=len(items),
            classes=n_classes,
            cap=POOL_CAP,
            flag_cap=POOL_FLAG_CAP,
            min=POOL_MIN_PER_SUBGROUP,
            dropped=", ".join(f"`{s}`" for s in sorted(POOL_DROP)),
        )
    else:
        licence = LICENSE_TEXT.format(version=OPENMOJI_VERSION, count=len(items), classes=n_classes)
    (out_dir / "OPENMOJI-LICENSE.md").write_text(licence, encoding="utf-8")
    print(f"wrote {pack_path} ({len(pack)} bytes, crc32 {zlib.crc32(pack[:-4]):08x})")


if __name__ == "__main__":
    main()
