#!/usr/bin/env bash
# Score a training run (or one snapshot of it) the way the shipped generator was made and
# scored: export, align the mapping (as session 11 did for the shipped network), text prior,
# directions, faithful prior tiles, the grid out (gan-degrid), then `eval gen` on the
# validation prompt set, paired against the shipped network's report. About 50 min on a
# 2-core CPU.
#
#   scripts/check_candidate.sh RUN_OR_SNAPSHOT NAME
#
# RUN_OR_SNAPSHOT may also be a generator folder (a `gan-distil` student, say): it is copied
# as it is (no export, no align, no discriminators) and checked from the prior step on.
#
# Environment: C (user cache, default ~/.cache/WenyangStudio), ALIGN=0 to skip the align
# step, DEGRID=0 to skip gan-degrid, PREVIEW=1 to make the studio's drag-preview network
# (`preview/`, session 28: ≈ 35 min more here; a candidate that ships needs it), THREADS
# (default: all), COMPARE (the report to pair against). Writes $C/candidates/NAME (complete generator folder) and
# $C/reports/NAME-validation.json. Needs the databases named below (docs/DEV_NOTES.md says
# how to build them) and the shipped network's validation report to compare against.
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 RUN_OR_SNAPSHOT NAME" >&2
    exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="$root/.venv/bin/wenyang"
C="${C:-$HOME/.cache/WenyangStudio}"
run="$1"
name="$2"
out="$C/candidates/$name"
# the shipped network's validation report (sg2-256px-336020fb6c since session 25)
compare="${COMPARE:-$C/reports/w50ra2-validation.json}"
for need in "$C/data/gan-db-s4-256" "$C/data/gan-db-s1-128" "$C/data/gan-db-s2-128" "$compare"; do
    if [ ! -e "$need" ]; then
        echo "missing $need (see docs/DEV_NOTES.md)" >&2
        exit 2
    fi
done
threads=()
if [ -n "${THREADS:-}" ]; then threads=(--threads "$THREADS"); fi
is_generator=0  # session 24: a generator folder (e.g. a gan-distil student) is taken as it is
if [ -f "$run/config.json" ] && grep -q '"wenyang-stylegan2-generator"' "$run/config.json"; then
    is_generator=1
fi
if [ "$is_generator" = 1 ] && [ "$(realpath "$run")" = "$(realpath -m "$out")" ]; then
    echo "$run is the output folder itself: give the check another NAME" >&2
    exit 2
fi
rm -rf "$out" "$out-raw"
mkdir -p "$C/candidates" "$C/reports"
t0=$(date +%s)
if [ "$is_generator" = 1 ]; then
    mkdir -p "$out"
    cp "$run"/*.json "$run"/*.safetensors "$out"/
elif [ "${ALIGN:-1}" = 0 ]; then
    "$W" train gan-export "$run" --out "$out" --float16
else
    "$W" train gan-export "$run" --out "$out-raw" --float16
    "$W" train gan-align "$out-raw" --data "$C/data/gan-db-s4-256" --out "$out" \
        --run "$C/runs/align/$name" --steps 300 --colour 3 --float16 "${threads[@]}"
    rm -rf "$out-raw" "$C/runs/align/$name"
fi
"$W" train gan-prior "$out" --data "$C/data/gan-db-s1-128"
"$W" directions fit --model "$out" --samples 1000 --select-seeds 16
"$W" train gan-prior "$out" --data "$C/data/gan-db-s1-128" --fidelity-keep 0.5
if [ "${DEGRID:-1}" != 0 ]; then  # session 18: the block grid out; W, sliders and prior kept
    "$W" train gan-degrid "$out" --out "$out-dg" --run "$C/runs/degrid/$name" --steps 400 \
        --float16 "${threads[@]}"
    rm -rf "$out" "$C/runs/degrid/$name"
    mv "$out-dg" "$out"
fi
# session 21: the run's D and heads beside the generator, so `train gan --init` from it
# (a fresh machine, once shipped) keeps the discriminator instead of starting one afresh
if [ "$is_generator" = 0 ]; then
    "$W" train gan-pack "$run" --out "$out/discriminators" --discriminators-only
fi
"$W" eval gen --model "$out" --prompt-db "$C/data/gan-db-s2-128" --prompt-seed 12 \
    --descriptors 4 --per-prompt 12 --feature-split \
    --out "$C/reports/$name-validation.json" --compare "$compare"
if [ "${PREVIEW:-0}" != 0 ]; then  # session 28: the drag-preview network of these weights
    "$W" train gan-distil "$out" --resolution 128 --channel-base 2048 --steps 2000 --batch 8 \
        --minutes 600 --float16 --run "$C/runs/distil/$name-preview" --out "$out/preview" \
        "${threads[@]}"
    rm -rf "$C/runs/distil/$name-preview"
fi
echo "checked $run as $name in $(($(date +%s) - t0)) s: $C/reports/$name-validation.json"
