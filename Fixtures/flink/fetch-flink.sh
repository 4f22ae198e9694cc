#!/usr/bin/env bash
# Puts Apache Flink's jars for one version at $BASE/flink-<version>/lib (and opt/), from PyPI's
# apache-flink-libraries sdist; does nothing when they are already there. Used by generate.sh, restore-check.sh
# and `make test` (scripts/install-deps.sh test, which caches them under .build/flink).
#
# Usage: Fixtures/flink/fetch-flink.sh VERSION BASE        e.g. fetch-flink.sh 2.3.0 .build/flink
set -euo pipefail

v="${1:?usage: fetch-flink.sh VERSION BASE}"
base="${2:?usage: fetch-flink.sh VERSION BASE}"
dir="$base/flink-$v"
[[ -f "$dir/lib/flink-dist-$v.jar" ]] && exit 0

echo "[fetch-flink] downloading apache-flink-libraries==$v from PyPI into $dir" >&2
dl="$base/flinkdl/$v"
tmpx="$base/flinkdl/x$v"
mkdir -p "$dl"
python3 -m pip download --quiet --no-deps --no-binary :all: "apache-flink-libraries==$v" -d "$dl" >&2
rm -rf "$tmpx" && mkdir -p "$tmpx"
tar xzf "$dl"/*.tar.gz -C "$tmpx"
rm -rf "$dir"
mv "$tmpx"/*/deps "$dir"
rm -rf "$tmpx" "$dl"
[[ -f "$dir/lib/flink-dist-$v.jar" ]] || { echo "[fetch-flink] the download holds no lib/flink-dist-$v.jar" >&2; exit 2; }
