#!/usr/bin/env python3
"""Build Palimpsest's speech pack: the OpenMoji names of the sketch pack's
classes, spoken by speech synthesisers in several voices, speeds and pitches
and turned into log-mel pictures — the speech modality of the
modality-incremental scenarios.

Produces
  public/speech-32.pack     the pack (format v1, one grey channel, modality speech)
  public/SPEECH-LICENSE.md  licence and attribution

Requirements: Python 3.11, Debian's ``espeak-ng`` and ``flite``
(``apt-get install espeak-ng flite``) and this repository's CLI, which the
script builds (``cargo build --release -p palimpsest-cli``): the log-mel
pictures come from ``palimpsest speech-features``, the Rust module the
browser's microphone path uses too.

Usage:
  python3 tools/build_speech_pack.py [--out-dir public]

Each class is one of the sketch pack's classes (OpenMoji subgroups); its
words are the annotations ("water buffalo") of the bundled OpenMoji pack's
items in that subgroup, each word once, sorted; a word that names items of
two classes is left out. Every word is spoken by each of ``VOICES``: five
espeak-ng voices (accent, voice variant, words per minute, pitch) and three
flite voices. The recordings of ``ROUGH`` voices are roughened before their
picture is taken (a gain of −12…+6 dB and white noise at 10…40 dB SNR,
drawn from the seed and the recording's line; see
``core/src/data/logmel.rs``), the others taken as they are. Items are sorted
by class, then word, then voice, in ``VOICES`` order; an item's
``annotation`` is its word, ``hexcode`` ``speech:<voice>:<word>``, ``tags``
``[<voice>]`` (so a scenario can hold voices out), ``emoji`` empty.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pack_format  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGE_SIZE = 32
CHANNELS = 1
SEED = 1
# name, engine, arguments
VOICES: list[tuple[str, str, list[str]]] = [
    ("espeak-us-m3", "espeak-ng", ["-v", "en-us+m3", "-s", "150", "-p", "45"]),
    ("espeak-gb-f2", "espeak-ng", ["-v", "en-gb+f2", "-s", "170", "-p", "60"]),
    ("espeak-scotland-m1", "espeak-ng", ["-v", "en-gb-scotland+m1", "-s", "135", "-p", "35"]),
    ("espeak-caribbean-f4", "espeak-ng", ["-v", "en-029+f4", "-s", "160", "-p", "70"]),
    ("espeak-rp-m5", "espeak-ng", ["-v", "en-gb-x-rp+m5", "-s", "185", "-p", "50"]),
    ("flite-kal16", "flite", ["-voice", "kal16"]),
    ("flite-slt", "flite", ["-voice", "slt"]),
    ("flite-rms", "flite", ["-voice", "rms"]),
]
# the voices whose recordings are roughened
ROUGH = {"espeak-gb-f2", "espeak-caribbean-f4", "flite-slt"}

LICENCE = "CC BY-SA 4.0 (the words: OpenMoji annotations)"
ATTRIBUTION = (
    "Words from OpenMoji (openmoji.org, CC BY-SA 4.0), spoken by espeak-ng and flite "
    "and turned into log-mel pictures by Palimpsest"
)


def read_header(path: Path) -> dict:
    data = path.read_bytes()
    (length,) = struct.unpack("<I", data[12:16])
    return json.loads(data[16 : 16 + length])


def words_by_class(classes: list[str], openmoji: dict) -> dict[str, list[str]]:
    owners: dict[str, set[str]] = {}
    for item in openmoji["items"]:
        if item["subgroup"] in classes:
            owners.setdefault(item["annotation"].strip().lower(), set()).add(item["subgroup"])
    out: dict[str, list[str]] = {c: [] for c in classes}
    for word, subs in owners.items():
        if len(subs) == 1 and word:
            out[next(iter(subs))].append(word)
    return {c: sorted(ws) for c, ws in out.items()}


def speak(engine: str, args: list[str], word: str, wav: Path) -> None:
    if engine == "espeak-ng":
        cmd = ["espeak-ng", *args, "-w", str(wav), word]
    else:
        cmd = ["flite", *args, "-t", word, "-o", str(wav)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def versions() -> str:
    """"espeak-ng 1.51, flite 2.2-current", from the programs themselves."""
    espeak = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    # "eSpeak NG text-to-speech: 1.51  Data at: …"
    espeak = espeak.split(":")[1].split()[0]
    flite = subprocess.run(["flite", "--version"], capture_output=True, text=True).stdout
    # "  version: flite-2.2-current Sep 2018 (…)"
    flite = next(line for line in flite.splitlines() if "version:" in line).split()[1]
    return f"espeak-ng {espeak}, {flite.replace('flite-', 'flite ')}"


LICENSE_TEXT = """\
# Spoken words in `speech-32.pack`

The pack holds log-mel pictures (32 mel bands × 32 frames, one byte each) of
English words spoken by speech synthesisers: no recording of a person.

* The words are OpenMoji annotations (the names of emoji, e.g. "water
  buffalo"), from the bundled `openmoji-32.pack`: OpenMoji, the open-source
  emoji and icon project, https://openmoji.org, licensed under CC BY-SA 4.0
  (https://creativecommons.org/licenses/by-sa/4.0/). The pack is shared under
  the same licence.
* They were spoken by the Debian packages of {versions}, in {voices}
  voices: {voice_list}. The recordings of {rough} of them ({rough_list})
  were roughened (a random gain and white noise).
* The pictures were taken by `palimpsest speech-features`
  (`core/src/data/logmel.rs`).

Provenance:

* selection: {count} pictures, {words} words of {classes} classes, each in
  every voice
* built by: `python3 tools/build_speech_pack.py` in this repository
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", type=Path, default=REPO_ROOT / "public")
    args = ap.parse_args()

    classes = read_header(REPO_ROOT / "public/quickdraw-32.pack")["tasks"][0]
    words = words_by_class(classes, read_header(REPO_ROOT / "public/openmoji-32.pack"))
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "palimpsest-cli"], cwd=REPO_ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    cli = target / "release" / "palimpsest"

    items: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        tmp = Path(tmp)
        clean, rough = [], []
        for c in classes:
            for w in words[c]:
                for name, engine, voice_args in VOICES:
                    wav = tmp / f"{len(items)}.wav"
                    speak(engine, voice_args, w, wav)
                    (rough if name in ROUGH else clean).append((len(items), wav))
                    items.append(
                        {
                            "hexcode": f"speech:{name}:{w}",
                            "emoji": "",
                            "annotation": w,
                            "tags": [name],
                            "group": "",
                            "subgroup": c,
                        }
                    )
            print(f"{c}: {len(words[c])} words", file=sys.stderr)
        pixels: list[bytes] = [b""] * len(items)
        for kind, group in (("clean", clean), ("rough", rough)):
            listing = tmp / f"{kind}.txt"
            listing.write_text("".join(f"{wav}\n" for _, wav in group), encoding="utf-8")
            out = tmp / f"{kind}.bin"
            rough = ["--rough"] if kind == "rough" else []
            subprocess.run(
                [str(cli), "speech-features", "--list", str(listing), "--out", str(out),
                 "--seed", str(SEED), *rough],
                check=True,
            )
            data = out.read_bytes()
            size = IMAGE_SIZE * IMAGE_SIZE
            for k, (index, _) in enumerate(group):
                pixels[index] = data[k * size : (k + 1) * size]

    header = {
        "source": versions(),
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "image_size": IMAGE_SIZE,
        "channels": CHANNELS,
        "modality": "speech",
        "tasks": [classes],
        "items": items,
    }
    pack = pack_format.encode(header, pixels)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    pack_path = args.out_dir / "speech-32.pack"
    pack_path.write_bytes(pack)
    licence = LICENSE_TEXT.format(
        versions=versions(),
        voices=len(VOICES),
        rough_list=", ".join(sorted(ROUGH)),
        voice_list=", ".join(n for n, _, _ in VOICES),
        rough=len(ROUGH),
        count=len(items),
        words=sum(len(w) for w in words.values()),
        classes=len(classes),
    )
    (args.out_dir / "SPEECH-LICENSE.md").write_text(licence, encoding="utf-8")
    print(f"wrote {pack_path} ({len(pack)} bytes, crc32 {zlib.crc32(pack[:-4]):08x})")


if __name__ == "__main__":
    main()
