#!/usr/bin/env bash
# Regenerates Fixtures/rocksdb/{sst,db} with the RocksDB JNI bundled in Flink 2.3's flink-dist jar (FRocksDB 8.10).
#   bash Fixtures/rocksdb/generate.sh                 # the committed fixtures
#   bash Fixtures/rocksdb/generate.sh big FILE MB     # a large table for measuring scan throughput (not committed)
# Needs Java 17 and flink-dist-2.3.0.jar: $FLINK_DIST, else .build/flink/flink-2.3.0/lib/ or $FLINK_BASE/flink-2.3.0/lib/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
jar="${FLINK_DIST:-}"
for candidate in "$repo/.build/flink/flink-2.3.0/lib/flink-dist-2.3.0.jar" "${FLINK_BASE:-/tmp}/flink-2.3.0/lib/flink-dist-2.3.0.jar"; do
    if [[ -z "$jar" && -f "$candidate" ]]; then jar="$candidate"; fi
done
if [[ -z "$jar" ]]; then
    echo "flink-dist-2.3.0.jar not found; set FLINK_DIST or run Fixtures/flink/fetch-flink.sh 2.3.0 /tmp" >&2
    exit 2
fi
build="$(mktemp -d /tmp/cairn-sst-gen.XXXXXX)"
trap 'rm -rf "$build"' EXIT
javac -d "$build" -cp "$jar" "$here/generator/SSTGenerator.java"
if [[ "${1:-}" == "big" ]]; then
    java -cp "$build:$jar" SSTGenerator big "$2" "${3:-50}"
else
    rm -rf "$here/sst" "$here/db"
    java -cp "$build:$jar" SSTGenerator fixtures "$here"
    du -sh "$here/sst" "$here/db"
fi
