#!/usr/bin/env bash
# Dumps the keyed state of Flink snapshots as JSON Lines (docs/flink-values.md) with the Java dumper
# (dumper/src/StateDumper.java), i.e. through Flink's own serializers restored from the snapshot.
#
# Usage:
#   Fixtures/flink/dump-check.sh SNAPSHOT_DIR [StateDumper options]   # one snapshot (the directory holding _metadata) -> stdout
#   Fixtures/flink/dump-check.sh --all [VERSION_DIR|SCENARIO_DIR]...   # every snapshot below (default: all fixtures);
#                                                                      # JSON Lines to $OUT/<version>/<scenario>/<snapshot>.jsonl
# Options after SNAPSHOT_DIR go to StateDumper: --operator HEXID, --state NAME, --relocate FROM=TO, --tmp DIR.
#
# The Flink version is taken from the path (Fixtures/flink/<1.15|1.20|2.3>/...) or from FLINK_VERSION (e.g. 2.3.0).
# Needs $FLINK_BASE/flink-<version>/lib (default FLINK_BASE=/tmp; see fetch-flink.sh) and Java 17. The job
# (for its POJO/enum classes) and the dumper are compiled into $BUILD/<version>/{job,dumper} (default
# /tmp/cairn-build), never under Fixtures/. Exit status: 0 ok, 1 when a dump fails, 2 when it cannot run.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FLINK_BASE="${FLINK_BASE:-/tmp}"
BUILD="${BUILD:-/tmp/cairn-build}"
OUT="${OUT:-/tmp/cairn-dumps}"
JAVA_OPENS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.math=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
)
die() { echo "[dump-check] $*" >&2; exit 2; }

full_version() {  # short version (1.15, 1.20, 2.3) -> full
  case "$1" in 1.15) echo 1.15.4;; 1.20) echo 1.20.5;; 2.3) echo 2.3.0;; *) echo "";; esac
}

version_of() {  # a path below Fixtures/flink/<short>/ -> full version
  if [[ -n "${FLINK_VERSION:-}" ]]; then echo "$FLINK_VERSION"; return; fi
  local abs; abs="$(cd "$1" && pwd)"
  local rel="${abs#"$HERE"/}"
  full_version "${rel%%/*}"
}

ensure_compiled() {  # $1 = full version
  local v="$1" lib="$FLINK_BASE/flink-$1/lib"
  [[ -f "$lib/flink-dist-$v.jar" ]] || die "no Flink $v at $lib (Fixtures/flink/fetch-flink.sh $v $FLINK_BASE installs it)"
  command -v javac >/dev/null || die "javac (Java 17) is needed"
  local job="$BUILD/$v/job" dumper="$BUILD/$v/dumper"
  if [[ ! -f "$job/CairnFixtureJob.class" || "$HERE/job/src/CairnFixtureJob.java" -nt "$job/CairnFixtureJob.class" ]]; then
    mkdir -p "$job"
    javac -nowarn -d "$job" -cp "$lib/*" "$HERE/job/src/CairnFixtureJob.java" 2>&1 | grep -v '^Note:' >&2
    [[ -f "$job/CairnFixtureJob.class" ]] || die "the job did not compile against Flink $v"
  fi
  if [[ ! -f "$dumper/StateDumper.class" || "$HERE/dumper/src/StateDumper.java" -nt "$dumper/StateDumper.class" ]]; then
    mkdir -p "$dumper"
    javac -nowarn -d "$dumper" -cp "$lib/*" "$HERE/dumper/src/StateDumper.java" 2>&1 | grep -v '^Note:' >&2
    [[ -f "$dumper/StateDumper.class" ]] || die "the dumper did not compile against Flink $v"
  fi
}

dump() {  # $1 = snapshot dir, rest = StateDumper options; JSON Lines to stdout
  local dir="$1"; shift
  [[ -f "$dir/_metadata" ]] || die "no _metadata in $dir"
  local v; v="$(version_of "$dir")"
  [[ -n "$v" ]] || die "cannot tell the Flink version of $dir (set FLINK_VERSION, e.g. 2.3.0)"
  ensure_compiled "$v"
  java -Xmx1g "${JAVA_OPENS[@]}" -cp "$FLINK_BASE/flink-$v/lib/*:$BUILD/$v/job:$BUILD/$v/dumper" StateDumper "$dir" "$@"
}

if [[ "${1:-}" == "--all" ]]; then
  shift
  roots=("$@"); (( ${#roots[@]} )) || roots=("$HERE")
  failed=0; n=0
  while IFS= read -r md; do
    d="$(dirname "$md")"
    rel="$(cd "$d" && pwd)"; rel="${rel#"$HERE"/}"
    IFS=/ read -r sv scen rest <<< "$rel"
    out="$OUT/$sv/$scen/$(basename "$d").jsonl"
    mkdir -p "$(dirname "$out")"
    if dump "$d" > "$out" 2> "$out.err"; then
      n=$((n + 1))
      echo "ok   $rel: $(wc -l < "$out") lines$(grep -q WARNING "$out.err" && echo " ($(grep -c WARNING "$out.err") warnings, see $out.err)")" >&2
    else
      failed=$((failed + 1))
      echo "FAIL $rel: $(grep -m1 'StateDumper:' "$out.err")" >&2
    fi
  done < <(find "${roots[@]}" -name _metadata | sort)
  echo "[dump-check] $n snapshots dumped to $OUT, $failed failed" >&2
  (( failed == 0 )) || exit 1
  exit 0
fi

[[ $# -ge 1 ]] || die "usage: dump-check.sh SNAPSHOT_DIR [options] | --all [DIR]..."
dump "$@" || { echo "[dump-check] the dump of $1 failed" >&2; exit 1; }
