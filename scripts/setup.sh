#!/usr/bin/env bash
# Installs the system libraries swift-nmt links against (Debian/Ubuntu), when missing:
# ICU (tokenizer), OpenBLAS and oneDNN (matrix products), zlib (.gz corpora), Open MPI (nmt-train's
# data-parallel training under mpirun; libopenmpi-dev to build, openmpi-bin for mpirun),
# pkg-config (to find them).
# Extra Debian packages may be named as arguments (scripts/test.sh adds what its tests start:
# chromium-driver, which brings chromium, for nmt-serve's page).
set -euo pipefail
need=()
for pkg in libicu-dev libopenblas-dev libdnnl-dev zlib1g-dev libopenmpi-dev openmpi-bin pkg-config "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.0 or later) is not on PATH" >&2; exit 1; }
