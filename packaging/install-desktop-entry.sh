#!/usr/bin/env bash
# Register the built app with the desktop (menu entry, icon, .wenyang file type) for this user.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_dir="${1:-$here/../dist/wenyang-studio}"
app_dir="$(cd "$app_dir" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$data/applications" "$data/icons/hicolor/256x256/apps" "$data/mime/packages"
sed "s|^Exec=.*|Exec=$app_dir/wenyang-studio %f|" "$app_dir/wenyang-studio.desktop" \
    > "$data/applications/wenyang-studio.desktop"
cp "$app_dir/wenyang-studio.png" "$data/icons/hicolor/256x256/apps/wenyang-studio.png"
cp "$app_dir/wenyang-project.xml" "$data/mime/packages/wenyang-project.xml"
command -v update-mime-database >/dev/null && update-mime-database "$data/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "installed the Wenyang Studio desktop entry for $USER"
