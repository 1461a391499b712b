#!/usr/bin/env bash
# The teaching stream's measurements (docs/findings.md, "The teaching
# stream" and "A loss that blows up"), re-made:
#   1. Joint on all twenty entity subgroups, seeds 1-3, with its confusion
#      matrix, and tools/teaching_pairs.py's choice of pairs from them;
#   2. fine-tuning on the teaching stream with the page's demo settings
#      (2 epochs, 8 copies, lr 0.002) and with the CLI's defaults, seeds 1-7:
#      U_k per task;
#   3. the largest loss ratio (tools/loss_ratio.py) of ordinary runs of the
#      bundled streams and of learning rates 0.001-1, against core's
#      BLOWUP_FACTOR.
# Records and logs in OUT (default runs/teaching); about 10 minutes on 2 cores.
#   tools/teaching.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lib.sh
out=${1:-runs/teaching}
mkdir -p "$out"
build_cli
{
  for s in 1 2 3; do job "$out/joint-entity-$s.json" --scenario entity --strategy joint --seed "$s" --confusion; done
  for s in 1 2 3 4 5 6 7; do
    job "$out/page-s$s.json" --scenario teaching --strategy finetune --seed "$s" --epochs 2 --lr 0.002 --set entity.train_copies=8
    job "$out/cli-s$s.json" --scenario teaching --strategy finetune --seed "$s"
  done
  for st in replay ewc lwf mspt joint; do job "$out/ratio-teaching-$st.json" --scenario teaching --strategy "$st" --seed 1; done
  for st in finetune mspt replay; do
    job "$out/ratio-entity-$st.json" --scenario entity --strategy "$st" --seed 1
    job "$out/ratio-relation-$st.json" --scenario relation --strategy "$st" --seed 1
  done
  for st in finetune mera mode; do
    job "$out/ratio-modality-$st.json" --scenario modality-sketch --strategy "$st" --set model.fusion=true --no-experts --seed 1
  done
  for lr in 0.003 0.01 0.03 0.1 1; do job "$out/lr-$lr.json" --scenario teaching --strategy finetune --seed 7 --lr "$lr"; done
} | run_records || true   # lr 1 stops on purpose (exit 2): its record is written

echo "## 1. pairs from Joint's confusions (entity, seeds 1-3)"
python3 tools/teaching_pairs.py "$out"/joint-entity-{1,2,3}.log
echo
echo "## 2. fine-tuning on the teaching stream: U_k per task, mean, lowest"
python3 - "$out" <<'PY'
import json, sys, glob
out = sys.argv[1]
for kind, what in [('page', "the page's demo (2 epochs, 8 copies, lr 0.002)"), ('cli', "the CLI's defaults (4 epochs, 8 copies, lr 0.001)")]:
    print(f'{what}:')
    for s in range(1, 8):
        u = json.load(open(f'{out}/{kind}-s{s}.json'))['U']
        print(f'  seed {s}: ' + ' '.join(f'{x:.2f}' for x in u) + f'   mean {sum(u) / len(u):.3f}, lowest {min(u):.2f}')
PY
echo
echo "## 3. the largest loss over max(first loss, ln classes), per record"
python3 tools/loss_ratio.py "$out"/ratio-*.json "$out"/page-s*.json "$out"/lr-*.json
