#!/usr/bin/env python3
"""Re-makes the docs' example files (standard library only, no randomness):
shapes/ (an imagefolder of 2 classes x 3 PNGs, 16x16 RGB; metadata.csv is
written by hand beside them) and word.wav (0.5 s of a synthetic two-tone
"word" at 16 kHz, 16-bit mono). docs/own-data.md and docs/cli.md use them;
scripts/check_docs.py runs those examples."""
import math
import os
import struct
import wave
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def png(path, px, w=16, h=16):
    raw = b"".join(
        b"\x00" + bytes(c for p in px[y * w:(y + 1) * w] for c in p) for y in range(h)
    )

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def shapes():
    white = (255, 255, 255)
    colours = [(220, 40, 40), (40, 160, 60), (50, 80, 220)]
    for i, col in enumerate(colours, 1):
        r = 4 + i
        png(os.path.join(HERE, "shapes", "circle", f"{i}.png"),
            [col if (x - 7.5) ** 2 + (y - 7.5) ** 2 <= r * r else white
             for y in range(16) for x in range(16)])
        s = 2 + i
        png(os.path.join(HERE, "shapes", "square", f"{i}.png"),
            [col if s <= x < 16 - s and s <= y < 16 - s else white
             for y in range(16) for x in range(16)])


def word(rate=16000, seconds=0.5):
    frames = bytearray()
    n = int(rate * seconds)
    for t in range(n):
        # two "syllables": 300 Hz then 500 Hz, each under a smooth envelope
        half = n // 2
        f = 300 if t < half else 500
        env = math.sin(math.pi * (t % half) / half)
        v = int(12000 * env * math.sin(2 * math.pi * f * t / rate))
        frames += struct.pack("<h", v)
    with wave.open(os.path.join(HERE, "word.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


if __name__ == "__main__":
    for c in ("circle", "square"):
        os.makedirs(os.path.join(HERE, "shapes", c), exist_ok=True)
    shapes()
    word()
