#!/usr/bin/env bash
# Create or refresh the project's virtual environment (.venv) so that the README's two
# commands work on a fresh machine. Re-installs only when pyproject.toml changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
py="${WENYANG_PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
stamp="$venv/.wenyang-setup"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; } &&
    ! compgen -G "$venv/lib/python*/site-packages/torch" >/dev/null; then
    # torch's CUDA build alone is ~5.5 GB: say so plainly instead of failing mid-install
    # with pip's "No space left on device" (seen once, when old checkouts filled the disk)
    need_mb="${WENYANG_SETUP_NEED_MB:-7000}"
    free_mb="$(df -Pm "$root" | awk 'NR == 2 {print $4}')"
    if [ -n "$free_mb" ] && [ "$free_mb" -lt "$need_mb" ]; then
        echo "[setup] error: setting up $venv needs about $need_mb MB of free disk," \
            "but $(df -Pm "$root" | awk 'NR == 2 {print $6}') has only $free_mb MB free." \
            "Free some space (old checkouts, caches) and run this again." >&2
        exit 1
    fi
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "[setup] creating virtual environment in $venv" >&2
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade "pip>=24" setuptools wheel >&2
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "[setup] installing Wenyang Studio and its dependencies (first run takes several minutes)" >&2
    # torch first, pinned to the releases that lie on this machine's disk (no multi-GB download)
    "$venv/bin/python" -m pip install --quiet "torch>=2.4,<=2.14.1" "torchvision>=0.19,<=0.29.1" >&2
    "$venv/bin/python" -m pip install --quiet -e "$root[dev]" >&2
    echo "$want" > "$stamp"
fi
# compile the Qt resources (generated code is never committed)
if [ -f "$root/resources.qrc" ]; then
    out="$root/designer_app/resources_rc.py"
    if [ ! -f "$out" ] || [ -n "$(find "$root/resources.qrc" "$root/assets/icons" "$root/assets/style" -newer "$out" 2>/dev/null | head -1)" ]; then
        "$venv/bin/pyside6-rcc" "$root/resources.qrc" -o "$out"
    fi
fi
# byte-compile the project's own packages, as pip does for installed ones: an environment
# with PYTHONDONTWRITEBYTECODE set never caches them, and compiling on every launch costs
# about half a second of the studio's first frame (only changed files are recompiled)
"$venv/bin/python" -m compileall -q -j 0 "$root/engine" "$root/designer_app" "$root/cuda_ops" >/dev/null 2>&1 || true
