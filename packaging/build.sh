#!/usr/bin/env bash
# Build the one-folder Wenyang Studio with PyInstaller and check it with its own --selftest.
#   packaging/build.sh            → dist/wenyang-studio/wenyang-studio
# Needs the project's .venv (scripts/_venv.sh makes it); installs PyInstaller into it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/_venv.sh"   # also compiles resources.qrc → designer_app/resources_rc.py
py="$root/.venv/bin/python"
"$py" -m PyInstaller --version >/dev/null 2>&1 || "$py" -m pip install --quiet "pyinstaller>=6.6"
cd "$root"
# the PNG icon for the executable and the desktop entry, rendered from the bundled SVG
[ -f packaging/wenyang-studio.png ] || QT_QPA_PLATFORM=offscreen "$py" - <<'PY'
from PySide6.QtGui import QGuiApplication, QIcon
app = QGuiApplication([])
QIcon("assets/icons/app.svg").pixmap(256, 256).save("packaging/wenyang-studio.png")
PY
"$py" -m PyInstaller --noconfirm --clean --distpath "$root/dist" --workpath "$root/build/pyinstaller" \
    packaging/wenyang-studio.spec
app="$root/dist/wenyang-studio/wenyang-studio"
cp packaging/wenyang-studio.desktop packaging/wenyang-studio.png packaging/wenyang-project.xml \
    "$root/dist/wenyang-studio/"
# the built app must pass its own self-test (a random generator when none is shipped)
extra=()
if [ ! -f "$root/assets/models/generator/config.json" ]; then
    # no shipped generator yet: a random-weight one, built by the development Python
    "$py" -c "from pathlib import Path; from designer_app.selftest import make_random_model; \
make_random_model(Path('$root/build/random-generator'))"
    extra=(--model "$root/build/random-generator")
fi
"$app" --selftest "${extra[@]}" --out "$root/dist/selftest"
echo "built $app (self-test passed)"
