#!/usr/bin/env bash
# Regenerates RESULTS.md from real runs: both bundled scenarios, every
# strategy and MSPT's single ablations, three seeds, mean ± std; then full
# MSPT against MSPT without GM, AD or MI over ten seeds, paired by seed; GM with the
# default loss, with the fused loss alone (--unimodal-weight 0, as in MSPT)
# and with stronger text; MSPT's herding memory against a random one; and
# sweeps on seeds 11–20 (tools/sweep.sh) of AD's weight λ, with and without
# the memory, and of EWC's weight; the first tables again with a
# separated softmax (a run switch, off by default); and the modality
# streams' MERA table (tools/modality.sh). The first tables run from the
# shipped pretrained encoders (the default) and again from scratch
# (--init scratch), side by side; Replay runs on seeds 4–10 too, for the
# learner issue's paired MSPT − Replay target (tools/targets.py); and how
# many examples a new class needs either way (tools/examples_needed.sh).
# The file opens with the learner issue's targets read off these records
# and the trivial baselines (`palimpsest baselines`) on seeds 1–3.
# Usage: tools/results.sh [out-dir]   (runs as many at once as there are cores)
# REUSE=1 keeps every run record already in out-dir instead of running it
# again (to finish an interrupted regeneration; runs are deterministic, but
# only records of the same code are the same).
# KEEP_MODALITY="WHY" keeps RESULTS.md's modality section as it is instead
# of running tools/modality.sh (about two hours on 2 cores, more than all
# the rest), and writes WHY, which should say with which code that section
# was made, into the header.
# ONLY_MODALITY=1 does the other half: it reruns tools/modality.sh alone
# and replaces only RESULTS.md's modality section (and the header's line
# about it), keeping every other section as it is; with REUSE=1 it keeps
# the modality records already made. Together the two switches regenerate
# RESULTS.md in two sittings of about 90 and 120 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/results}
# where RESULTS.md's modality section starts, and how the header's line
# about that section begins (both switches find them by these)
modality_heading='^## Modality-incremental'
modality_line='The last section (modality streams)'
if [[ -n ${ONLY_MODALITY:-} ]]; then
  grep -q "$modality_heading" RESULTS.md || { echo "RESULTS.md has no modality section to replace" >&2; exit 1; }
  modality_section=$(tools/modality.sh "$out/modality")
  note="$modality_line was rerun on its own on $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD) (\`ONLY_MODALITY=1 tools/results.sh\`), apart from the rest."
  # everything before the section, the header's line about it replaced
  head=$(sed "/$modality_heading/,\$d" RESULTS.md \
    | grep -v "^$modality_line " \
    | awk -v note="$note" '{ print } /^Default settings of/ { print note }')
  printf '%s\n\n%s\n' "$head" "$modality_section" > RESULTS.md
  echo "RESULTS.md: modality section replaced" >&2
  exit 0
fi
paired="$out/gm-paired"
fused="$out/gm-paired-fused-loss"
# entity captions that always name the item and are never vague: text
# dominates more
clean="$out/gm-paired-clean-captions"
clean_args="--unimodal-weight 0 --set entity.natural.name=1 --set entity.natural.vague=0"
memory="$out/memory-paired"
separated="$out/separated-softmax"
separated_args="--set separated_softmax=true"
scratch="$out/scratch"
mkdir -p "$out" "$paired" "$fused" "$clean" "$memory" "$separated" "$scratch"
source tools/lib.sh
build_cli

# one run's line for run_records: SCENARIO CONFIG SEED DIR [EXTRA ARGS…],
# CONFIG = strategy[:ablated][=label]; the label names the record instead
# of the ablation
run_job() {
  local scenario=$1 c=$2 seed=$3 dir=$4 label=""
  shift 4
  if [[ $c == *=* ]]; then
    label=${c#*=}
    c=${c%%=*}
  fi
  local strategy=${c%%:*}
  local args=(--scenario "$scenario" --strategy "$strategy" --seed "$seed" "$@")
  local name="$scenario-$strategy-s$seed"
  if [[ $c == *:* ]]; then
    args+=(--ablate "${c#*:}")
    name="$scenario-$strategy-no-${c#*:}-s$seed"
  fi
  if [[ -n $label ]]; then name="$scenario-$strategy-$label-s$seed"; fi
  job "$dir/$name.json" "${args[@]}"
}

jobs() {
  local configs=("finetune" "joint" "replay" "ewc" "lwf" "mspt" "mspt:gm" "mspt:mi" "mspt:ad" "mspt:mm")
  for scenario in entity relation; do
    for seed in 1 2 3; do
      for c in "${configs[@]}"; do
        run_job "$scenario" "$c" "$seed" "$out"
        # shellcheck disable=SC2086
        run_job "$scenario" "$c" "$seed" "$separated" $separated_args
        run_job "$scenario" "$c" "$seed" "$scratch" --init scratch
      done
    done
    for seed in $(seq 4 10); do
      # seeds 1–3 are the runs above (copied below)
      for c in mspt mspt:gm mspt:ad mspt:mi replay; do run_job "$scenario" "$c" "$seed" "$paired"; done
    done
    for seed in $(seq 1 10); do
      for c in mspt mspt:gm; do
        run_job "$scenario" "$c" "$seed" "$fused" --unimodal-weight 0
        # shellcheck disable=SC2086
        if [[ $scenario == entity ]]; then run_job "$scenario" "$c" "$seed" "$clean" $clean_args; fi
      done
      run_job "$scenario" mspt=random "$seed" "$memory" --param herding=false
    done
  done
}

jobs | run_records
# runs are deterministic: the paired set shares seeds 1–3 with the tables
cp "$out"/*-mspt-s[123].json "$out"/*-mspt-no-{gm,ad,mi}-s[123].json "$out"/*-replay-s[123].json "$paired"/
# and the memory set takes its herding side (the default) from the paired set
cp "$paired"/*-mspt-s*.json "$memory"/
# AD's weight over seeds 11–20, which none of the runs above use
sweep_ad=$(tools/sweep.sh mspt lambda_ad "0 1 3 10 30" "$(seq -s ' ' 11 20)" "$out/sweep-lambda_ad")
# the same without the memory (MM), where AD is the only guard against forgetting
sweep_ad_no_mm=$(ARGS="--ablate mm" tools/sweep.sh mspt lambda_ad "0 1 10" \
  "$(seq -s ' ' 11 20)" "$out/sweep-lambda_ad-no-mm")
# EWC's weight
sweep_ewc=$(tools/sweep.sh ewc lambda "5000 50000 500000 5000000" "$(seq -s ' ' 11 20)" "$out/sweep-ewc-lambda")
if [[ -n ${KEEP_MODALITY:-} ]]; then
  modality_section=$(sed -n "/$modality_heading/,\$p" RESULTS.md)
  [[ -n $modality_section ]] || { echo "RESULTS.md has no modality section to keep" >&2; exit 1; }
else
  modality_section=$(tools/modality.sh "$out/modality")
fi
# (examples_needed.sh keeps the records it finds: clear them unless REUSE)
[[ -n ${REUSE:-} ]] || rm -rf "$out/examples-needed"
examples_needed=$(tools/examples_needed.sh "$out/examples-needed")
# and with or without AD (λ 0 is MSPT without AD) under a separated softmax
sweep_ad_separated=$(ARGS=$separated_args tools/sweep.sh mspt lambda_ad "0 1" \
  "$(seq -s ' ' 11 20)" "$out/sweep-lambda_ad-separated")

{
  echo "# Results"
  echo
  echo "Generated by \`tools/results.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores); every number comes from the run records in \`$out/\`."
  echo "Default settings of \`palimpsest run\` (see \`palimpsest list\`), seeds 1, 2, 3; mean ± sample std over the seeds."
  if [[ -n ${KEEP_MODALITY:-} ]]; then
    echo "$modality_line is kept from the RESULTS.md before this one, not rerun: $KEEP_MODALITY"
  fi
  echo "Every run starts from the shipped pretrained encoders (\`--init pretrained\`, the default; \`palimpsest pretrain\` makes them) unless a section says scratch."
  echo "A_T: accuracy on the union of all test sets after the last task (MSPT's forgetting metric); U_k: accuracy on task k right after it; ACC, BWT, forgetting as in docs/metrics.md."
  echo
  echo "## The learner issue's targets"
  echo
  echo "From the records below (\`tools/targets.py\`): 3-seed means of the defaults, and MSPT against Replay paired by seed over seeds 1–10 (records in \`$paired/\`)."
  echo
  python3 tools/targets.py "$out" "$paired"
  echo "Trivial baselines on the same streams (\`palimpsest baselines\`), trained on every task: read their first column against Joint's final A_T, their second against mean U_k."
  echo
  for scenario in entity relation; do
    for seed in 1 2 3; do
      "$bin" baselines --scenario "$scenario" --seed "$seed" | sed '1s/^/#### /; 1a\\'
      echo
    done
  done
  for scenario in entity relation; do
    echo "## $scenario"
    echo
    "$bin" compare "$out"/"$scenario"-*.json
    echo
  done
  python3 tools/ordering.py "$out"
  echo "Three seeds cannot order components whose effect is smaller than the spread between seeds (±1–5 pp here): the sections below measure GM, AD, MI and the memory's selection over ten seeds, each seed run both ways."
  echo
  echo "## Gradient modulation, paired by seed"
  echo
  echo "Full MSPT and MSPT without GM, seeds 1–10, each seed run both ways (records in \`$paired/\`);"
  echo "differences are full minus ablated, in percentage points; the interval is the 95 % Student-t interval of the mean difference."
  echo
  python3 tools/paired.py "$paired"
  echo "### The same with the fused loss alone"
  echo
  echo "MSPT's loss (Eq. 15) has no term for the unimodal heads; ours adds their cross-entropy at weight 0.5 (\`palimpsest list\`), which trains each stream on its own and could leave GM nothing to balance."
  echo "Here both sides run with \`--unimodal-weight 0\` (records in \`$fused/\`)."
  echo
  python3 tools/paired.py "$fused" | sed 's/^### /#### /'
  echo "### The fused loss alone, with a stronger text stream"
  echo
  echo "By default half the entity captions leave the item's name out and one in ten says nothing about it; here every caption names it (\`$clean_args\`, records in \`$clean/\`), so the text stream dominates more, as in MSPT's datasets."
  echo
  python3 tools/paired.py "$clean" | sed 's/^### /#### /'
  echo "## MSPT and Replay, paired by seed"
  echo
  echo "Full MSPT against Replay, seeds 1–10 (records in \`$paired/\`): the learner issue's target asks for MSPT ahead by 5 pp or more on both scenarios, with the paired interval above 0."
  echo
  python3 tools/paired.py "$paired" mspt replay MSPT Replay "MSPT and Replay"
  echo "## AD and MI, paired by seed"
  echo
  echo "Full MSPT against MSPT without attention distillation and without the shared-key interaction, seeds 1–10 (records in \`$paired/\`)."
  echo
  python3 tools/paired.py "$paired" mspt mspt-no-ad full −AD "MSPT with and without AD"
  python3 tools/paired.py "$paired" mspt mspt-no-mi full −MI "MSPT with and without MI"
  echo "### AD's weight, on seeds no other table uses"
  echo
  echo "MSPT does not give its λ (Eq. 15); ours is 1. Here full MSPT with λ from 0 (the AD term weighs nothing) to 30, seeds 11–20 (\`tools/sweep.sh mspt lambda_ad\`, records in \`$out/sweep-lambda_ad/\`); mean ± std over the seeds."
  echo "$sweep_ad" | sed 's/^### /#### /'
  echo
  echo "### AD's weight without the memory"
  echo
  echo "The same with the memory off (\`--ablate mm\`), so that nothing but AD guards against forgetting (\`ARGS=\"--ablate mm\" tools/sweep.sh mspt lambda_ad \"0 1 10\"\`, records in \`$out/sweep-lambda_ad-no-mm/\`)."
  echo "$sweep_ad_no_mm" | sed 's/^### /#### /'
  echo
  echo "The same runs paired by seed, λ 10 against λ 0 (MSPT without AD and without the memory):"
  echo
  python3 tools/paired.py "$out/sweep-lambda_ad-no-mm" lambda_ad=10 lambda_ad=0 "λ 10" "λ 0" \
    "no memory, AD's weight 10 or 0" | sed 's/^### /#### /'
  echo "## EWC's weight, on seeds 11–20"
  echo
  echo "Online EWC's λ (default 5000, \`palimpsest list\`) from 5000 to 5 000 000 (\`tools/sweep.sh ewc lambda\`, records in \`$out/sweep-ewc-lambda/\`)."
  echo "$sweep_ewc" | sed 's/^### /### EWC on /'
  echo
  echo "## MSPT's memory: herding or random, paired by seed"
  echo
  echo "MSPT keeps six training samples per task for its rehearsal (MM), chosen by herding over the trained model's features by default, as RP-CRE's rehearsal, which MSPT adopts, keeps representative samples (by K-means there)."
  echo "Here full MSPT against MSPT with a random memory (\`--param herding=false\`), seeds 1–10 (records in \`$memory/\`)."
  echo
  python3 tools/paired.py "$memory" mspt mspt-random herding random "MSPT with a herded or a random memory"
  echo
  echo "## With a separated softmax"
  echo
  echo "On entity most of what MSPT forgets is lost in the classifier, not in the features (\`cargo run --release -p palimpsest-core --example ad_diagnosis\`): new data pushes every old class's logit down. A separated softmax (\`$separated_args\`, off by default; ER-ACE, Caccia et al. 2022) scores each sample of the current task's classes over those classes only during the task's own epochs; old samples and the rehearsal phase keep the softmax over all classes seen. The same switch for every strategy; seeds 1, 2, 3 (records in \`$separated/\`)."
  echo
  for scenario in entity relation; do
    echo "### $scenario"
    echo
    "$bin" compare "$separated"/"$scenario"-*.json
    echo
  done
  python3 tools/ordering.py "$separated" | sed 's/^### /#### /'
  echo "### AD under a separated softmax, on seeds 11–20"
  echo
  echo "Full MSPT with AD's weight 0 (no AD) and 1 (the default), separated softmax, seeds 11–20 (\`ARGS=\"$separated_args\" tools/sweep.sh mspt lambda_ad \"0 1\"\`, records in \`$out/sweep-lambda_ad-separated/\`)."
  echo "$sweep_ad_separated" | sed 's/^### /#### /'
  echo
  echo "## From the pretrained encoders and from scratch"
  echo
  echo "The same runs with \`--init scratch\` (every encoder starts at random; records in \`$scratch/\`), beside the default ones above; mean ± sample std over seeds 1, 2, 3."
  echo
  python3 tools/side_by_side.py "$out" "$scratch"
  echo "## How many examples a new class needs"
  echo
  echo "\`tools/examples_needed.sh\` (records in \`$out/examples-needed/\`):"
  echo
  echo "$examples_needed"
  echo
  echo "$modality_section"
} > RESULTS.md
echo "RESULTS.md written" >&2
