#!/usr/bin/env bash
# Writes the committed native fixtures from fixed seeds. Usage: Fixtures/cairn/regenerate.sh PATH/TO/cairn
# Tests check that the current generator still writes these bytes exactly.
set -euo pipefail
cairn="${1:?usage: regenerate.sh PATH/TO/cairn}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$cairn" generate "$tmp/series" --preset tiny --checkpoints 3 --seed 1 >/dev/null
for c in 1 2 3; do cp "$tmp/series/chk-$c.cairn" "$here/tiny-seed1-chk$c.cairn"; done
"$cairn" generate "$here/small-seed7-aligned.cairn" --preset small --seed 7 --aligned >/dev/null
"$cairn" generate "$here/small-seed7-lz4.cairn" --preset small --seed 7 --compression lz4 >/dev/null
