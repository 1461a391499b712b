#!/usr/bin/env bash
# Refreshes the docs' pictures (docs/img/) from the screenshots the
# end-to-end tests write to target/e2e/ (tests/e2e/harness.mjs `shot`), so
# that the README and docs/app.md show the page as it is. Run it after
# scripts/test.sh (or `cd tests && npm test` on a built dist/).
#
# With Python's Pillow (PYTHON=path/to/python to pick one that has it) each
# picture is scaled down to at most MAX_WIDTH pixels wide (default 1000),
# cut to at most its height limit below, and stored with a palette of 256
# colours, which keeps each well under 300 KB; without Pillow they are
# copied as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

shots=${E2E_SHOTS:-target/e2e}
out=docs/img
python=${PYTHON:-python3}
max_width=${MAX_WIDTH:-1000}

# source in $shots -> name in docs/img, and the most height to keep once
# scaled (0: all; the page after the demo is cut below "Where the model looks")
pictures=(
  "03-demo-finished.png app.png 1100"
  "51-lesson-forgetting.png lesson.png 820"
  "60-presenter.png presenter.png 563"
  "62-race.png race.png 0"
  "21-modality-panel.png modality-panel.png 0"
  "22-gains-panel.png gains-panel.png 0"
  "22-attention-sketch.png attention-panel.png 0"
)

missing=()
for p in "${pictures[@]}"; do
  read -r src _ _ <<<"$p"
  [ -f "$shots/$src" ] || missing+=("$shots/$src")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "docs-screenshots: missing ${missing[*]}" >&2
  echo "docs-screenshots: run scripts/test.sh first (its end-to-end step writes $shots/*.png)" >&2
  exit 1
fi

mkdir -p "$out"
if "$python" -c 'import PIL' 2>/dev/null; then
  for p in "${pictures[@]}"; do
    read -r src dst height <<<"$p"
    "$python" - "$shots/$src" "$out/$dst" "$max_width" "$height" <<'EOF'
import sys
from PIL import Image

src, dst, max_width, max_height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
img = Image.open(src).convert("RGB")
if img.width > max_width:
    img = img.resize((max_width, round(img.height * max_width / img.width)), Image.LANCZOS)
if max_height and img.height > max_height:
    img = img.crop((0, 0, img.width, max_height))
img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(dst, optimize=True)
EOF
  done
else
  echo "docs-screenshots: no Pillow for $python: copying the pictures as they are"
  for p in "${pictures[@]}"; do
    read -r src dst _ <<<"$p"
    cp "$shots/$src" "$out/$dst"
  done
fi
for p in "${pictures[@]}"; do
  read -r _ dst _ <<<"$p"
  printf '%6d KB  %s\n' $(( $(wc -c <"$out/$dst") / 1024 )) "$out/$dst"
done
