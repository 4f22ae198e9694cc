#!/usr/bin/env bash
# Regenerates vectors-2.3.tsv: serializer snapshots and values written by Flink 2.3's own serializers.
# Needs Java 17 and $FLINK_BASE/flink-2.3.0 (default /tmp; Fixtures/flink/fetch-flink.sh 2.3.0 /tmp installs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
flink="${FLINK_BASE:-/tmp}/flink-2.3.0"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
cp="$flink/lib/*"
javac -nowarn -d "$build" -cp "$cp" "$here/SerializerVectors.java"
java --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
  -cp "$build:$cp" SerializerVectors > "$here/vectors-2.3.tsv"
echo "wrote $here/vectors-2.3.tsv ($(wc -l < "$here/vectors-2.3.tsv") cases)"
