#!/bin/bash
# Train two arms side by side on one lent GPU for SECONDS and bring both back within the device
# tool's limits (8 files of at most 16 MiB under $OUT). Session 23: a shipped-size and a wider
# 256 px run together kept one H100 100 % busy at 105-110 img/s (docs/BENCHMARKS.md); one run
# alone was not measured.
#
#   here:   wenyang train gan-pack RUN --out .gpu/pack --ema-only       (arm a resumes it)
#           wenyang train gan-export RUN --out .gpu/init --float16      (arm b grows from it)
#           cp RUN/region_net.safetensors .gpu/                          (with --region-cls)
#           pip download (py3.12 wheels) open_clip_torch ftfy wcwidth platformdirs -d .whl
#   there:  A_START="--resume .gpu/pack" A_ARGS="--batch 64 --no-ada" \
#           B_START="--resume none --init .gpu/init" B_ARGS="--preset cpu256w ..." \
#           DB_ARGS="--per-region 2500 --size 256 --seed 4" scripts/gpu-arms.sh SECONDS
#           (carry: .whl .gpu). Leave B_START empty for one arm.
#
# A warm machine (a call within 30 s of the last) resumes /tmp/run-a and /tmp/run-b from their
# newest snapshots (X_ARGS are passed again); a fresh one rebuilds the database (same seed,
# identical tiles) and starts from X_START. Back under $OUT: X.tar.partNN (`cat X.tar.part* |
# tar x`: pack/ with the full run state for `--resume`, gen/ G_ema float16, metrics.jsonl) and
# train-X.log. Arm b starts once arm a has written the shared tile cache.
set -u
SECONDS_BUDGET=${1:?seconds of work}
DB_ARGS=${DB_ARGS:---per-region 2500 --size 256 --seed 4}
T0=$(date +%s)
# shellcheck source=scripts/gpu-env.sh
. "$(dirname "$0")/gpu-env.sh"
nvidia-smi -L 2>/dev/null || true
if [ -f /tmp/db/manifest.jsonl ] && [ "$(cat /tmp/db.args 2>/dev/null)" = "$DB_ARGS" ]; then
  echo "db kept from the last call"
else
  # shellcheck disable=SC2086
  $W db build --out /tmp/db $DB_ARGS --workers 14 >/tmp/db.log 2>&1 || { tail -5 /tmp/db.log; exit 4; }
  echo "$DB_ARGS" >/tmp/db.args
  echo "db built in $(($(date +%s) - T0)) s"
fi
tiles_ready() { ls "${XDG_CACHE_HOME:-$HOME/.cache}"/WenyangStudio/tiles/*.npy >/dev/null 2>&1; }
start_arm() {  # name, first-start args, args
  local run=/tmp/run-$1 res
  if [ -d $run/checkpoints ]; then
    res="--resume latest"
  else
    res=$2
    mkdir -p $run
    [ -f .gpu/region_net.safetensors ] && cp .gpu/region_net.safetensors $run/
  fi
  local left=$((SECONDS_BUDGET - ($(date +%s) - T0)))
  echo "arm $1: training for $left s ($res)"
  # shellcheck disable=SC2086
  timeout -s INT $left $W train gan --data /tmp/db --out $run $res --snap "${SNAP:-5}" --tick 4 \
    --device "$DEVICE" --no-progress $3 >>$OUT/train-$1.log 2>&1 &
}
start_arm a "${A_START:?}" "${A_ARGS:-}"
if [ -n "${B_START:-}" ]; then
  for _ in $(seq 240); do tiles_ready && break; sleep 1; done
  sleep 5
  start_arm b "$B_START" "${B_ARGS:-}"
fi
wait
for arm in a b; do
  run=/tmp/run-$arm
  [ -d $run/checkpoints ] || continue
  tail -2 $OUT/train-$arm.log
  rm -rf /tmp/ship-$arm && mkdir -p /tmp/ship-$arm
  $W train gan-pack $run --out /tmp/ship-$arm/pack >/dev/null &&
    $W train gan-export $run --out /tmp/ship-$arm/gen --float16 &&
    { cp $run/metrics.jsonl /tmp/ship-$arm/ 2>/dev/null; true; } &&
    tar -C /tmp/ship-$arm -cf - . | split -b 15M - $OUT/$arm.tar.part
done
ls -la $OUT
