"""The OpenMoji package from the npm registry, shared by the tools that read it
(build_pack.py, build_word_vectors.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

OPENMOJI_VERSION = "17.0.0"


def install_openmoji(tmp: Path) -> Path:
    """`npm install openmoji@OPENMOJI_VERSION` into `tmp`; the package's folder."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm not found; install it or pass --openmoji-dir")
    subprocess.run(
        [npm, "install", "--no-save", "--prefix", str(tmp), f"openmoji@{OPENMOJI_VERSION}"],
        check=True,
    )
    return tmp / "node_modules" / "openmoji"
