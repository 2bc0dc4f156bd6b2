# Sourced by the scripts that run on a lent GPU machine (gpu-train.sh, gpu-arms.sh): the
# carried wheels installed, and W, the engine's command line with the machine's own torch.
# PY: the python that holds torch there (python3); DEVICE=cpu PY=.venv/bin/python OUT=/tmp/o
# makes a local dry run.
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 3
  export PYTHONPATH=/tmp/site:$PWD
fi
W="$PY -m engine.cli"
