#!/usr/bin/env python3
"""Writes the bad-input corpus: one imagefolder per case, each with small
valid PNGs in class folders plus the one bad thing the case is about.
Reproducible (no randomness); run from anywhere:

    python3 tests/corpus/make.py

What each case must produce is in expect.json (kept by hand, not written
here): the CLI test (cli/tests/corpus.rs) and the browser's upload test
read it.
"""
import os
import shutil
import struct
import zlib

ROOT = os.path.dirname(os.path.abspath(__file__))


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(seed, w=8, h=8):
    """An 8-bit RGB PNG whose colours follow `seed`."""
    rows = b""
    for y in range(h):
        rows += b"\0" + bytes(((seed * 37 + x * 11 + y * 7 + c * 60) % 256) for x in range(w) for c in range(3))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def forged(w, h):
    """A valid 8×8 PNG whose header (CRC fixed) declares w×h pixels."""
    good = png(99)
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return good[:8] + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + good[33:]


def base(files, per_class=3):
    """cats/ and dogs/ with `per_class` images each."""
    for c, s in (("cats", 10), ("dogs", 50)):
        for i in range(per_class):
            files[f"{c}/{i}.png"] = png(s + i)
    return files


def csv(*lines, eol="\n"):
    return (eol.join(lines) + eol).encode()


CASES = {
    "truncated-png": base({"dogs/cut.png": png(7)[:40]}),
    "forged-size-png": base({"cats/huge.png": forged(20000, 20000)}),
    "zero-byte-image": base({"dogs/empty.png": b""}),
    "text-named-png": base({"cats/notes.png": b"hello, this is text and not a picture\n"}),
    "csv-unterminated-quote": base({"metadata.csv": csv(
        "file_name,text,label",
        "cats/0.png,a grey cat,cats",
        'cats/1.png,"a cat that never closes its quote,cats',
        "dogs/0.png,a dog,dogs",
    )}),
    "csv-quoted-across-lines": base({"metadata.csv": csv(
        "file_name,text,label",
        'cats/0.png,"a cat\nsitting on\nthree lines",cats',
        "dogs/0.png,a dog,dogs",
    )}),
    "csv-cr-only-endings": base({"metadata.csv": csv(
        "file_name,text",
        "cats/0.png,a cat",
        "cats/missing.png,a cat that is not there",
        "dogs/0.png,a dog",
        eol="\r",
    )}),
    "csv-duplicate-rows": base({"metadata.csv": csv(
        "file_name,text",
        "cats/0.png,the first word on this cat",
        "cats/0.png,a second word on the same cat",
    )}),
    "csv-empty-label": base({"metadata.csv": csv(
        "file_name,text,label",
        "cats/1.png,a cat without a label,",
        "dogs/1.png,a dog,dogs",
    )}),
    "csv-row-names-missing-file": base({"metadata.csv": csv(
        "file_name,text",
        "dogs/0.png,a dog",
        "dogs/ghost.png,a dog that is not there",
    )}),
    "jsonl-bom-and-broken-line": base({"metadata.jsonl": (
        '\ufeff{"file_name": "cats/0.png", "text": "a cat"}\n'
        '{"file_name": "cats/1.png", "text": "another cat"}\n'
        '\ufeff{"file_name": "dogs/0.png", "text": "a dog, from a file joined by cat"}\n'
        '{"file_name": "dogs/1.png", "text": \n'
    ).encode()}),
    "one-image-class": base({"solo/only.png": png(90)}),
    "jsonl-in-class-folder": base({"cats/metadata.jsonl": (
        '{"file_name": "0.png", "text": "a cat, named from its own folder"}\n'
        '{"file_name": "dogs/0.png", "text": "no such file under cats/"}\n'
    ).encode()}),
    "metadata-not-utf8": base({"metadata.csv": b"file_name,text\ncats/0.png,caf\xe9\n"}),
    "no-class-big-enough": base({}, per_class=1),
}


def main():
    for name, files in CASES.items():
        d = os.path.join(ROOT, name)
        shutil.rmtree(d, ignore_errors=True)
        for path, data in files.items():
            p = os.path.join(d, path)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
    print(f"{len(CASES)} cases, {sum(len(f) for f in CASES.values())} files")


if __name__ == "__main__":
    main()
