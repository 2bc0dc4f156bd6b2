#!/bin/bash
# The trend protocol of sessions 19-21: how a training run's snapshots compare with each
# other, quickly (~3 min alone on 2 cores), without the ship recipe. A raw export of the
# snapshot, a condition prior from the training database (gan-db-s4-256), then
# `eval gen --per-prompt 8 --descriptors 4 --feature-split` (80 prompts, 640 tiles).
# Paired with another report of the same protocol when COMPARE_NAME is given.
# Figures are for comparing snapshots, not for the card (no align, no faithful tiles).
# usage: scripts/trend_check.sh RUN_OR_SNAPSHOT NAME [COMPARE_NAME]   → $C/ab/NAME/eval.json
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 RUN_OR_SNAPSHOT NAME [COMPARE_NAME]" >&2
    exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="$root/.venv/bin/wenyang"
C="${C:-$HOME/.cache/WenyangStudio}"
out="$C/ab/$2"
if [ ! -d "$C/data/gan-db-s4-256" ]; then
    echo "missing $C/data/gan-db-s4-256 (see docs/DEV_NOTES.md)" >&2
    exit 2
fi
cmp=()
if [ $# -eq 3 ]; then cmp=(--compare "$C/ab/$3/eval.json"); fi
rm -rf "$out"
mkdir -p "$out"
"$W" train gan-export "$1" --out "$out/gen" --float16 > "$out/export.txt" 2>&1
"$W" train gan-prior "$out/gen" --data "$C/data/gan-db-s4-256" > "$out/prior.txt" 2>&1
"$W" eval gen --model "$out/gen" --per-prompt 8 --descriptors 4 --feature-split \
    --out "$out/eval.json" "${cmp[@]}" > "$out/eval.txt" 2>&1
tail -n 14 "$out/eval.txt"
