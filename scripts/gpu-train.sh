#!/bin/bash
# Continue the generator's training run on a lent GPU machine for SECONDS and bring the run
# back within the device tool's limits (8 files of at most 16 MiB under $OUT).
#
#   here:   wenyang train gan-pack RUN --out .gpu/pack --ema-only      (15 MB, float16)
#           pip download (py3.12 wheels) open_clip_torch ftfy wcwidth platformdirs -d .whl
#   there:  scripts/gpu-train.sh SECONDS [tests|bench|trainbench]   (carry: .whl .gpu)
#
# A warm machine (a call within 30 s of the last) continues /tmp/run itself; a fresh one
# rebuilds the database (same seed, identical tiles) and resumes from .gpu/pack. Back under
# $OUT: pack/ (split in 15 MiB parts: `cat pack/state.safetensors.part* >
# state.safetensors`), gen/ (G_ema, float16), metrics.jsonl, train.log, and with `tests` /
# `bench` the CUDA op tests and `bench render --device cuda`; with `trainbench`,
# bench-train.txt: `bench train` at batch 64/128, TF32 off/on, float16 in 4 or all
# resolutions, and the costliest operators (pass the winner in TRAIN_ARGS, e.g. --tf32). Session 4 notes: docs/DEV_NOTES.md.
#
# A larger model grown from the current one (session 5: 128 -> 256 px, preset cpu256):
#   here:   wenyang train gan-export RUN --out .gpu/init --float16   (6 MB)
#   there:  INIT=.gpu/init DB_ARGS="--per-region 2500 --size 256 --seed 4" \
#           TRAIN_ARGS="--preset cpu256 --resolution 256 ..." scripts/gpu-train.sh SECONDS
set -u
SECONDS_BUDGET=${1:?seconds of work}
MODE=${2:-}
DB_ARGS=${DB_ARGS:---per-region 400 --size 128 --seed 1}
T0=$(date +%s)
# shellcheck source=scripts/gpu-env.sh
. "$(dirname "$0")/gpu-env.sh"
nvidia-smi -L || true
# shellcheck disable=SC2086
if [ -f /tmp/db/manifest.jsonl ] && [ "$(cat /tmp/db.args 2>/dev/null)" = "$DB_ARGS" ]; then
  echo "db rc=0 (kept from the last call)" >>/tmp/db.log  # a warm machine: same tiles
else
  ($W db build --out /tmp/db $DB_ARGS --workers 12 >/tmp/db.log 2>&1 &&
    echo "$DB_ARGS" >/tmp/db.args; echo "db rc=$?" >>/tmp/db.log) &
fi
if [ "$MODE" = tests ]; then
  timeout 200 $PY -m pytest -q -m gpu tests/cuda_ops -p no:cacheprovider >$OUT/gpu-tests.log 2>&1
  echo "tests rc=$?" >>$OUT/gpu-tests.log
  tail -3 $OUT/gpu-tests.log
fi
if [ "$MODE" = tests ] || [ "$MODE" = bench ]; then
  timeout 120 $W bench render --device cuda --frames 50 --json >$OUT/bench-render-cuda.json
  echo "bench rc=$?"
fi
if [ "$MODE" = trainbench ]; then  # which batch / precision trains fastest (≈ 2 min)
  for v in "--batch 64" "--batch 64 --tf32" "--batch 128 --tf32" "--batch 64 --tf32 --fp16-res 7"; do
    # shellcheck disable=SC2086
    timeout 100 $W bench train --device "$DEVICE" --preset "${BENCH_PRESET:-cpu256}" \
      --resolution "${BENCH_RES:-256}" --steps 16 --warmup 3 $v >>$OUT/bench-train.txt 2>&1
  done
  timeout 100 $W bench train --device "$DEVICE" --preset "${BENCH_PRESET:-cpu256}" \
    --resolution "${BENCH_RES:-256}" --batch 64 --tf32 --steps 8 --warmup 3 --profile \
    >>$OUT/bench-train.txt 2>&1
  grep "img/s" $OUT/bench-train.txt
fi
wait
tail -1 /tmp/db.log
if ls .gpu/pack/state.safetensors.part* >/dev/null 2>&1; then
  cat .gpu/pack/state.safetensors.part* >.gpu/pack/state.safetensors
fi
if [ -d /tmp/run/checkpoints ]; then
  RES=(--resume latest)
elif [ -n "${INIT:-}" ]; then  # a new run whose G starts from (or grows from) a generator
  RES=(--resume none --init "$INIT")
else
  RES=(--resume .gpu/pack)
fi
BUDGET=$((SECONDS_BUDGET - ($(date +%s) - T0)))
echo "training for $BUDGET s (${RES[*]})"
timeout -s INT $BUDGET $W train gan --data /tmp/db --out /tmp/run "${RES[@]}" \
  --batch "${BATCH:-64}" --snap "${SNAP:-10}" --tick 4 --device "$DEVICE" --no-progress \
  ${TRAIN_ARGS:-} >$OUT/train.log 2>&1
echo "train rc=$?"
tail -3 $OUT/train.log
mkdir -p $OUT/pack $OUT/gen
$W train gan-pack /tmp/run --out /tmp/pack --ema-only &&
  split -b 15M /tmp/pack/state.safetensors $OUT/pack/state.safetensors.part &&
  cp /tmp/pack/state.json $OUT/pack/
$W train gan-export /tmp/run --out $OUT/gen --float16
cp /tmp/run/metrics.jsonl $OUT/ 2>/dev/null || true
ls -la $OUT $OUT/pack $OUT/gen
