#!/usr/bin/env bash
# Installs what building and testing Cairn needs, skipping whatever is already there:
# Debian's liblz4-dev, libzstd-dev and pkg-config; PyPI's lz4 and zstandard (the format-spec reader).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: the Swift toolchain (6.1 or newer) is not on PATH; install it from swift.org first" >&2
    exit 2
fi

if ! pkg-config --exists liblz4 libzstd 2>/dev/null; then
    echo "install-deps: installing liblz4-dev libzstd-dev pkg-config" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq liblz4-dev libzstd-dev pkg-config >/dev/null
fi

if ! python3 -c "import lz4.block, zstandard" 2>/dev/null; then
    echo "install-deps: installing the Python packages lz4 and zstandard" >&2
    python3 -m pip install --quiet lz4 zstandard
fi
