#!/usr/bin/env bash
# Regenerates every Flink fixture under Fixtures/flink/<version>/<scenario>/ plus an oracle.json beside each _metadata.
#
# Usage:
#   Fixtures/flink/generate.sh                      # all versions, all scenarios
#   VERSIONS="2.3.0" SCENARIOS="hashmap unaligned" Fixtures/flink/generate.sh
#   Fixtures/flink/generate.sh --oracle-only        # only recompute oracle.json for the existing fixtures
#
# Needs: Java 17 (java, javac), python3 + pip (only if the Flink jars are not there yet), ~1 GB free in /tmp.
# Flink distributions come from PyPI (apache-flink-libraries, sdist) and are unpacked to $FLINK_BASE/flink-<version>/
# (default /tmp/flink-<version>, i.e. lib/, opt/, ...). Compiled classes go to $BUILD (default /tmp/cairn-build).
# Nothing compiled or downloaded is written under Fixtures/.
#
# Flink writes to $GEN/<short version>/<scenario>/ (default /tmp/cairn-flink-gen); that absolute path is therefore
# recorded in the _metadata files. After copying, $GEN is deleted so that the fixtures prove relocation.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSIONS="${VERSIONS:-2.3.0 1.20.5 1.15.4}"
ALL_SCENARIOS="hashmap rocksdb-full rocksdb-incremental unaligned file-merging changelog typed-hashmap typed-rocksdb hashmap-compressed"
SCENARIOS="${SCENARIOS:-$ALL_SCENARIOS}"
FLINK_BASE="${FLINK_BASE:-/tmp}"
BUILD="${BUILD:-/tmp/cairn-build}"
GEN="${GEN:-/tmp/cairn-flink-gen}"
KEEP_GEN="${KEEP_GEN:-0}"
ORACLE_ONLY=0
[[ "${1:-}" == "--oracle-only" ]] && ORACLE_ONLY=1

# JVM flags needed by Flink on Java 17 (taken from the env.java.opts.all default of Flink 2.x's config.yaml).
JAVA_OPENS=(
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

conf() { printf '%s\n' --conf "$1"; }   # one job argument per line (read back with mapfile)

log() { echo "[generate $(date +%H:%M:%S)] $*" >&2; }

short_version() { echo "$1" | cut -d. -f1-2; }

ensure_flink() {  # $1 = full version, e.g. 2.3.0
  "$HERE/fetch-flink.sh" "$1" "$FLINK_BASE"
}

compile() {  # $1 = full version
  local v="$1" cp="$FLINK_BASE/flink-$1/lib/*"
  rm -rf "$BUILD/$v/job" "$BUILD/$v/oracle"
  mkdir -p "$BUILD/$v/job" "$BUILD/$v/oracle"
  javac -nowarn -d "$BUILD/$v/job" -cp "$cp" "$HERE/job/src/CairnFixtureJob.java" 2>&1 | grep -v '^Note:' >&2 || true
  javac -nowarn -d "$BUILD/$v/oracle" -cp "$cp" "$HERE/oracle/src/Oracle.java" 2>&1 | grep -v '^Note:' >&2 || true
  [[ -f "$BUILD/$v/job/CairnFixtureJob.class" && -f "$BUILD/$v/oracle/Oracle.class" ]]
}

run_oracle() {  # $1 = full version, $2 = directory holding _metadata
  java -Xmx512m "${JAVA_OPENS[@]}" -cp "$FLINK_BASE/flink-$1/lib/*:$BUILD/$1/oracle" Oracle "$2" > "$2/oracle.json"
}

# Configuration shared by all scenarios. Both the 1.x and the 2.x spelling of renamed keys are passed;
# every version ignores the spelling it does not know.
common_conf() {  # $1 = scenario base dir, $2 = num retained
  local b="$1" n="$2"
  conf execution.checkpointing.interval=400ms
  conf execution.checkpointing.min-pause=100ms
  conf execution.checkpointing.tolerable-failed-checkpoints=100
  conf execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION
  conf state.checkpoints.dir=file://$b/checkpoints
  conf execution.checkpointing.dir=file://$b/checkpoints
  conf state.savepoints.dir=file://$b/savepoints
  conf execution.checkpointing.savepoint-dir=file://$b/savepoints
  conf state.checkpoints.num-retained=$n
  conf execution.checkpointing.num-retained=$n
}

backend_conf() {  # $1 = hashmap|rocksdb, $2 = incremental true|false
  conf state.backend=$1
  conf state.backend.type=$1
  conf state.backend.incremental=$2
  conf execution.checkpointing.incremental=$2
}

scenario_args() {  # $1 = scenario, $2 = base dir; prints job arguments, one token per line
  local s="$1" b="$2"
  case "$s" in
    hashmap)
      common_conf "$b" 2; backend_conf hashmap false
      printf "%s\n" --checkpoints 6 --savepoint canonical ;;
    rocksdb-full)
      common_conf "$b" 1; backend_conf rocksdb false
      # longer attribute strings: the "attributes" column family becomes an SST above the 20 KB inline threshold
      printf "%s\n" --attr-len 100 --checkpoints 4 ;;
    rocksdb-incremental)
      common_conf "$b" 3; backend_conf rocksdb true
      printf "%s\n" --attr-len 100 --checkpoints 5 --savepoint native --savepoint canonical ;;
    unaligned)
      common_conf "$b" 1; backend_conf hashmap false
      conf execution.checkpointing.unaligned=true
      conf execution.checkpointing.unaligned.enabled=true
      conf execution.checkpointing.aligned-checkpoint-timeout=0s
      conf execution.checkpointing.alignment-timeout=0s
      # small network buffers (4 KB instead of 32 KB) keep the in-flight data (and the fixture) small;
      # buffer counts stay at their defaults (2.x no longer has options for them)
      conf taskmanager.memory.segment-size=4kb
      conf taskmanager.network.memory.buffer-debloat.enabled=false
      # backpressure: unthrottled source, slow keyed operator
      printf "%s\n" --throttle-every 0 --slow-every 3 --checkpoints 5 ;;
    file-merging)
      common_conf "$b" 2; backend_conf rocksdb true
      conf execution.checkpointing.file-merging.enabled=true
      printf "%s\n" --checkpoints 2 ;;
    changelog)
      common_conf "$b" 2; backend_conf hashmap false
      conf state.changelog.enabled=true
      conf state.backend.changelog.enabled=true
      conf state.changelog.storage=filesystem
      conf state.backend.changelog.storage=filesystem
      # changelog files go below the checkpoint root, i.e. <checkpoints>/<jobId>/dstl/... (job-relative)
      conf dstl.dfs.base-path=file://$b/checkpoints
      conf state.changelog.periodic-materialize.interval=1s
      conf state.backend.changelog.periodic-materialize.interval=1s
      printf "%s\n" --throttle-every 1 --checkpoints 8 ;;
    hashmap-compressed)
      # heap backend with snapshot compression: every (key group, state) of a checkpoint is its own Snappy-framed
      # stream, a canonical savepoint one stream per key group; one retained checkpoint keeps it small
      common_conf "$b" 1; backend_conf hashmap false
      conf execution.checkpointing.snapshot-compression=true
      printf "%s\n" --checkpoints 3 --savepoint canonical ;;
    typed-hashmap)
      # only the typed pipeline (CairnFixtureJob --typed-state): POJO/Tuple/Row/Either/array/TTL/window/SQL state
      common_conf "$b" 1; backend_conf hashmap false
      printf "%s\n" --typed-state --checkpoints 3 --savepoint canonical ;;
    typed-rocksdb)
      # parallelism 1 and one retained checkpoint: every RocksDB instance uploads its OPTIONS file (20-60 KB) with
      # each checkpoint and native savepoint, which otherwise makes this fixture 1.5 MB
      common_conf "$b" 1; backend_conf rocksdb true
      # unmanaged RocksDB memory: with managed memory, three instances with 2-15 column families in one slot flush
      # constantly under FRocksDB 6.20 (1.x), and every flush grows the MANIFEST (to 0.3-1 MB per snapshot)
      conf state.backend.rocksdb.memory.managed=false
      printf "%s\n" --typed-state --typed-parallelism 1 --checkpoints 3 --savepoint native --savepoint canonical ;;
  esac
}

supported() {  # $1 = full version, $2 = scenario
  case "$2" in
    file-merging) [[ "$(short_version "$1")" != 1.15 && "$(short_version "$1")" != 1.16 ]] ;;
    hashmap-compressed) [[ "$(short_version "$1")" == 2.* ]] ;;
    *) true ;;
  esac
}

run_scenario() {  # $1 = full version, $2 = scenario
  local v="$1" s="$2" sv; sv="$(short_version "$1")"
  local b="$GEN/$sv/$s" dest="$HERE/$sv/$s"
  rm -rf "$b" && mkdir -p "$b/checkpoints" "$b/savepoints"
  mapfile -t args < <(scenario_args "$s" "$b")
  log "run $sv/$s"
  local t0=$SECONDS
  if ! java -Xmx1g "${JAVA_OPENS[@]}" -cp "$FLINK_BASE/flink-$v/lib/*:$BUILD/$v/job" CairnFixtureJob \
        --ckpt-dir "$b/checkpoints" --sp-dir "$b/savepoints" "${args[@]}" > "$b.log" 2>&1; then
    log "FAILED $sv/$s (log: $b.log)"; tail -30 "$b.log" >&2; return 1
  fi
  log "  job done in $((SECONDS - t0)) s: $(grep -E '^(CHECKPOINT_REACHED|SAVEPOINT)' "$b.log" | tr '\n' ' ')"
  rm -rf "$dest" && mkdir -p "$dest"
  # checkpoint root exactly as Flink wrote it (<jobId>/chk-N, shared, taskowned, dstl, ...; Flink 1.15 writes
  # changelog files directly into the base directory); only chk-N directories of completed checkpoints
  # (with _metadata) are kept
  for c in "$b"/checkpoints/*/chk-*; do
    if [[ -d "$c" && ! -f "$c/_metadata" ]]; then log "  dropping incomplete $(basename "$c")"; rm -rf "$c"; fi
  done
  cp -a "$b"/checkpoints/. "$dest/"
  for sp in "$b"/savepoints/savepoint-*; do
    if [[ -d "$sp" ]]; then cp -a "$sp" "$dest/"; fi
  done
  cp "$b.log" "$BUILD/$v-$s.log"
  [[ "$KEEP_GEN" == 1 ]] || rm -rf "$b" "$b.log"
}

oracles() {  # $1 = full version, $2 = scenario
  local sv; sv="$(short_version "$1")"
  local dest="$HERE/$sv/$2"
  [[ -d "$dest" ]] || return 0
  while IFS= read -r md; do
    run_oracle "$1" "$(dirname "$md")"
  done < <(find "$dest" -name _metadata | sort)
}

t_start=$SECONDS
failed=()
for v in $VERSIONS; do
  ensure_flink "$v"
  compile "$v"
  for s in $SCENARIOS; do
    supported "$v" "$s" || { log "skip $(short_version "$v")/$s (not supported by this version)"; continue; }
    if [[ "$ORACLE_ONLY" == 0 ]]; then
      run_scenario "$v" "$s" || { failed+=("$(short_version "$v")/$s"); continue; }
    fi
    oracles "$v" "$s"
  done
done
[[ "$KEEP_GEN" == 1 ]] || rm -rf "$GEN"
GEN="$GEN" python3 "$HERE/check_fixtures.py" || { log "check_fixtures.py found problems"; exit 1; }
if (( ${#failed[@]} )); then log "FAILED scenarios (old fixtures kept): ${failed[*]}"; exit 1; fi
log "all done in $((SECONDS - t_start)) s; fixtures: $(du -sh "$HERE" | cut -f1)"
