"""Palimpsest's pack format, version 1 (see core/src/data/pack.rs), shared by
the tools that write packs (build_pack.py, build_sketch_pack.py).

  8 bytes  magic b"PLMPPACK"
  u32      format version = 1
  u32      header length H, then H bytes of UTF-8 JSON header
  N * S*S*C bytes of pixels, row-major, in item order (C = 3 RGB or 1 grey)
  u32      CRC-32 (IEEE, as zlib.crc32) of every preceding byte
Integers are little-endian.
"""

from __future__ import annotations

import json
import struct
import zlib

MAGIC = b"PLMPPACK"
FORMAT_VERSION = 1


def encode(header: dict, pixels: list[bytes]) -> bytes:
    """The pack of `header` (written compact, keys in the dict's order) and
    the items' `pixels`."""
    header_bytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    body = bytearray(MAGIC)
    body += struct.pack("<I", FORMAT_VERSION)
    body += struct.pack("<I", len(header_bytes))
    body += header_bytes
    for p in pixels:
        body += p
    body += struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)
    return bytes(body)
