#!/usr/bin/env python3
"""Draws the app's icons (public/icon-192.png, public/icon-512.png): an
accuracy matrix after five tasks on the page's dark blue, its cells in the
page's viridis scale, the old tasks' columns fading down the rows as a
fine-tuned model forgets them. Full-bleed, with the matrix inside the
central 80 % (the "maskable" safe zone), so that one picture serves both
purposes the manifest names. Drawn here, by this script: the icons are the
project's own work, under its licence (MIT OR Apache-2.0).

  python3 tools/make_icons.py        # writes both files

Standard library only (zlib for PNG's deflate); the output is the same
bytes on every run.
"""
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKGROUND = (0x14, 0x21, 0x3D)  # the page's header (app/style.css)
EMPTY = (0x24, 0x34, 0x5C)  # a cell not measured yet (the header's buttons)
# viridis, as app/src/ui/charts.rs interpolates it
STOPS = [
    (0.0, (68, 1, 84)),
    (0.25, (59, 82, 139)),
    (0.5, (33, 145, 140)),
    (0.75, (94, 201, 98)),
    (1.0, (253, 231, 37)),
]


def viridis(v):
    v = min(max(v, 0.0), 1.0)
    for (a, ca), (b, cb) in zip(STOPS, STOPS[1:]):
        if v <= b:
            t = (v - a) / (b - a)
            return tuple(round(x + (y - x) * t) for x, y in zip(ca, cb))
    return STOPS[-1][1]


def score(row, col):
    """The matrix the icon shows: learnt on the diagonal, forgotten below it."""
    if col > row:
        return None
    return max(0.95 - 0.24 * (row - col), 0.0)


def draw(size):
    n = 5
    inner = size * 0.62  # the matrix: well inside the maskable safe zone
    gap = max(1, round(size / 96))
    cell = (inner - gap * (n - 1)) / n
    origin = (size - inner) / 2
    radius = cell * 0.12
    rows = []
    for y in range(size):
        line = bytearray([0])  # filter type 0 for each scanline
        for x in range(size):
            colour = BACKGROUND
            cx, cy = x + 0.5 - origin, y + 0.5 - origin
            col, row = int(cx // (cell + gap)), int(cy // (cell + gap))
            if 0 <= cx < inner and 0 <= cy < inner and col < n and row < n:
                # position inside the cell, for the gap and the rounded corners
                ux, uy = cx - col * (cell + gap), cy - row * (cell + gap)
                if ux < cell and uy < cell:
                    dx = max(radius - ux, ux - (cell - radius), 0)
                    dy = max(radius - uy, uy - (cell - radius), 0)
                    if dx * dx + dy * dy <= radius * radius:
                        s = score(row, col)
                        colour = EMPTY if s is None else viridis(s)
            line.extend(colour)
        rows.append(bytes(line))
    return png(size, size, b"".join(rows))


def png(width, height, raw):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    for size in (192, 512):
        out = ROOT / "public" / f"icon-{size}.png"
        out.write_bytes(draw(size))
        print(f"{out.relative_to(ROOT)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    sys.exit(main())
