#!/usr/bin/env bash
# System packages the test suite needs beyond Python: Xvfb for the real-window screenshot test,
# the xcb libraries Qt's xcb platform plugin loads, and a CJK font so Chinese text renders.
# Installed with apt-get when missing and we are root; otherwise we say what is missing.
set -euo pipefail
need=()
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb xauth)
fc-list 2>/dev/null | grep -i "wqy\|noto sans cjk" >/dev/null || need+=(fonts-wqy-microhei)
# each library checked on its own: a machine had libxcb-cursor0 but not icccm4 / keysyms1 /
# xinerama0, and Qt's xcb plugin then failed to load
for pair in libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1 \
    libxcb-cursor.so.0:libxcb-cursor0 libxcb-image.so.0:libxcb-image0 \
    libxcb-render-util.so.0:libxcb-render-util0 libxcb-xkb.so.1:libxcb-xkb1 \
    libxkbcommon-x11.so.0:libxkbcommon-x11-0 libxcb-shape.so.0:libxcb-shape0 \
    libxcb-randr.so.0:libxcb-randr0 libxcb-xinerama.so.0:libxcb-xinerama0; do
    ldconfig -p 2>/dev/null | grep "${pair%%:*}" >/dev/null || need+=("${pair##*:}")
done
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing system packages: ${need[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
else
    echo "[setup] missing system packages (install them for the screenshot test): ${need[*]}" >&2
fi
