#!/usr/bin/env bash
# Proves that real Flink restores what `cairn rewrite` writes. Runs the fixture job (Fixtures/flink/job) once in
# Flink 2.3 to make a canonical savepoint and retained RocksDB incremental checkpoints, applies one rewrite per case,
# restores each into the job (restore mode) in a local MiniCluster and checks the state the operators got back.
#
# Usage:
#   Fixtures/flink/restore-check.sh               # every case
#   CASES="rename offset" Fixtures/flink/restore-check.sh
#
# Environment: CAIRN (the cairn binary; default: swift build's .build/debug/cairn), FLINK_BASE (default /tmp, needs
# $FLINK_BASE/flink-2.3.0/lib/flink-dist-2.3.0.jar, see generate.sh), WORK (scratch, default a new /tmp directory,
# removed at the end unless KEEP_WORK=1). Needs Java 17 (java, javac) and python3. Nothing is written under Fixtures/.
#
# Prints PASS/FAIL per case and the time taken; exits 1 if any case fails, 2 if it cannot run at all.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
V=2.3.0
FLINK_BASE="${FLINK_BASE:-/tmp}"
FLINK_LIB="$FLINK_BASE/flink-$V/lib"
CAIRN="${CAIRN:-$REPO/.build/debug/cairn}"
CASES="${CASES:-baseline drop rename offset relocate-reference relocate-copy expire-ttl drop-state max-parallelism parallelism backup migrate}"
WORK="${WORK:-$(mktemp -d /tmp/cairn-restore-check.XXXXXX)}"
KEEP_WORK="${KEEP_WORK:-0}"

JAVA_OPENS=(
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

log() { echo "[restore-check $(date +%H:%M:%S)] $*" >&2; }
die() { log "$*"; exit 2; }

[[ -f "$FLINK_LIB/flink-dist-$V.jar" ]] || die "no Flink $V at $FLINK_LIB (run Fixtures/flink/fetch-flink.sh $V $FLINK_BASE to download it)"
command -v java >/dev/null && command -v javac >/dev/null || die "java and javac (17) are needed"
[[ -x "$CAIRN" ]] || die "no cairn binary at $CAIRN (swift build, or set CAIRN)"
case "$WORK" in "$HERE"*|"$REPO/Fixtures"*) die "WORK must not be under Fixtures/";; esac
mkdir -p "$WORK"
[[ "$KEEP_WORK" == 1 ]] || trap 'rm -rf "$WORK"' EXIT

t_start=$SECONDS
# ---- compile the job once
mkdir -p "$WORK/classes"
javac -nowarn -d "$WORK/classes" -cp "$FLINK_LIB/*" "$HERE/job/src/CairnFixtureJob.java" 2>&1 | grep -v '^Note:' >&2
[[ -f "$WORK/classes/CairnFixtureJob.class" ]] || die "the job did not compile"
# v2 of the typed pipeline (Fixtures/flink/job/v2): the same class names with changed fields, in classes of its own
mkdir -p "$WORK/classes-v2"
javac -nowarn -d "$WORK/classes-v2" -cp "$FLINK_LIB/*" "$HERE/job/v2/CairnFixtureJob.java" 2>&1 | grep -v '^Note:' >&2
[[ -f "$WORK/classes-v2/CairnFixtureJob.class" ]] || die "the v2 job did not compile"

# ---- inputs: a fresh run of the fixture job (RocksDB incremental, retained checkpoints, a canonical savepoint).
# Fresh, because the keyed "count" state has a one-hour TTL: in an older snapshot (the committed fixtures) it has
# expired and would read as empty. Afterwards the checkpoint base directory is moved away, so the checkpoint's
# absolute shared/ paths point nowhere, as with a checkpoint pulled from a store or copied off another cluster.
GEN="$WORK/gen"
mkdir -p "$GEN/checkpoints" "$GEN/savepoints"
t0=$SECONDS
# The backup case: `cairn backup --watch` follows the job's checkpoint directory while Flink writes and deletes
# (num-retained=2), as it would beside a production job.
BACKUP_PID=
if [[ " $CASES " == *" backup "* ]]; then
  mkdir -p "$GEN/checkpoints"
  ( cd "$GEN/checkpoints" && while [[ ! -d "$GEN/checkpoints" || -z "$(ls "$GEN/checkpoints" | grep -E '^[0-9a-f]{32}$')" ]]; do sleep 0.05; done
    exec "$CAIRN" backup "$GEN/checkpoints/$(ls "$GEN/checkpoints" | grep -E '^[0-9a-f]{32}$' | head -1)" "$WORK/backup-store" \
      --watch --interval 0.1 --settle 0.3 --json > "$WORK/backup-watch.jsonl" 2> "$WORK/backup-watch.err" ) &
  BACKUP_PID=$!
fi
java -Xmx1g "${JAVA_OPENS[@]}" -cp "$FLINK_LIB/*:$WORK/classes" CairnFixtureJob \
  --ckpt-dir "$GEN/checkpoints" --sp-dir "$GEN/savepoints" --checkpoints 3 --savepoint canonical --attr-len 100 \
  --conf execution.checkpointing.interval=400ms --conf execution.checkpointing.min-pause=100ms \
  --conf execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION \
  --conf "execution.checkpointing.dir=file://$GEN/checkpoints" --conf "execution.checkpointing.savepoint-dir=file://$GEN/savepoints" \
  --conf execution.checkpointing.num-retained=2 --conf state.backend.type=rocksdb --conf execution.checkpointing.incremental=true \
  > "$WORK/generate.log" 2>&1 || die "the job that makes the snapshots failed: $WORK/generate.log"
SP="$(ls -d "$GEN"/savepoints/savepoint-* | head -1)"
JOB="$(ls "$GEN/checkpoints" | grep -E '^[0-9a-f]{32}$' | head -1)"
[[ -d "$SP" && -n "$JOB" ]] || die "no savepoint or checkpoint in $GEN"
if [[ -n "$BACKUP_PID" ]]; then
  # A last round once the job has stopped writing (after the settle time), then SIGTERM: it must end cleanly (0).
  n_before="$(wc -l < "$WORK/backup-watch.jsonl")"
  for _ in $(seq 1 200); do (( $(wc -l < "$WORK/backup-watch.jsonl") > n_before + 5 )) && break; sleep 0.1; done
  kill -TERM "$BACKUP_PID"; wait "$BACKUP_PID"; BACKUP_RC=$?
fi
for c in "$GEN/checkpoints/$JOB"/chk-*; do [[ -f "$c/_metadata" ]] || rm -rf "$c"; done
INC="$WORK/pulled"
mv "$GEN/checkpoints" "$INC"
CHK="$(ls -d "$INC/$JOB"/chk-* | sort -t- -k2 -n | tail -1)"
log "made $(basename "$SP") and $(basename "$CHK") in $((SECONDS - t0)) s; checkpoint base moved to $INC"

# json FILE EXPR: a value from cairn's JSON output (d is the document)
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# The number-source split of the savepoint that is still running (the other one finished before the savepoint).
"$CAIRN" inspect "$SP" --json > "$WORK/sp.json" || die "cairn inspect failed"
SPLIT="$(json "$WORK/sp.json" '[o for o in d["offsets"] if o["type"]=="numberSequence"][0]["splitId"]')"
NEXT="$(json "$WORK/sp.json" '[o for o in d["offsets"] if o["type"]=="numberSequence"][0]["next"]')"
log "savepoint: number-source split $SPLIT resumes at $NEXT"

# run_job NAME ARGS...: restore-mode run; output in $WORK/NAME.log; returns the job's exit status
run_job() {
  local name="$1"; shift
  local t0=$SECONDS
  java -Xmx1g "${JAVA_OPENS[@]}" -cp "$FLINK_LIB/*:$WORK/classes" CairnFixtureJob --run-s 3 --timeout-s 90 --conf state.backend.type=rocksdb "$@" \
    > "$WORK/$name.log" 2>&1
  local rc=$?
  log "  $name: Flink ran $((SECONDS - t0)) s, exit $rc: $(grep -E '^(JOB_STATUS|RESTORED_)' "$WORK/$name.log" | tr '\n' ' ' | cut -c1-300)"
  return $rc
}

# line NAME KEY: the first line of a run's output that starts with KEY
line() { grep -E "^$2 " "$WORK/$1.log" | head -1; }
kv() { sed -E "s/.*[ ]$2=([^ ]*).*/\1/" <<<"$1"; }

failures=()
pass() { echo "PASS $1 ($(( SECONDS - case_t0 )) s): $2"; }
fail() { echo "FAIL $1 ($(( SECONDS - case_t0 )) s): $2"; failures+=("$1"); }

# keyed_ok NAME [SUM]: every key seen came back with a count, and (given SUM) the counts add up to SUM. Each record
# adds 1 to one key's count, so before the snapshot the counts summed to the records read: the endless split's
# position minus its start (1,000,000,000) plus the 500 numbers of the finite split (the job's defaults).
keyed_ok() {
  local l; l="$(line "$1" RESTORED_KEYED)"
  [[ -n "$l" ]] && (( $(kv "$l" keys) > 0 )) && [[ "$(kv "$l" keys)" == "$(kv "$l" withCount)" ]] && (( $(kv "$l" minCount) >= 1 )) \
    && [[ -z "${2:-}" || "$(kv "$l" sumCount)" == "$2" ]]
}
records_before() { echo $(( $1 - 1000000000 + 500 )); }
first_values() { sed -E 's/.*firstValues=\[(.*)\]/\1/' <<<"$(line "$1" RESTORED_SOURCE)"; }

for c in $CASES; do
  case_t0=$SECONDS
  log "case $c"
  case "$c" in
    baseline)
      # The unmodified savepoint: counts come back, the source resumes exactly at the recorded position.
      if run_job baseline --restore-from "$SP" && keyed_ok baseline "$(records_before "$NEXT")" && [[ ",$(first_values baseline | tr -d ' ')," == *",$NEXT,"* ]]; then
        pass "$c" "counts sum to the $(records_before "$NEXT") records read before the savepoint ($(line baseline RESTORED_KEYED)); source resumed at $NEXT"
      else fail "$c" "see $WORK/baseline.log"; fi ;;
    drop)
      # The job no longer has union-sink. The original savepoint is refused without allowNonRestoredState;
      # after `cairn rewrite --drop-operator union-sink` it restores as it is.
      "$CAIRN" rewrite "$SP" "$WORK/out/drop" --drop-operator union-sink > "$WORK/drop.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/drop.rewrite")"; continue; }
      run_job drop-original --restore-from "$SP" --without union-sink; orig=$?
      if (( orig == 3 )) && grep -q "allowNonRestoredState\|Cannot map checkpoint/savepoint state" "$WORK/drop-original.log" \
         && run_job drop --restore-from "$WORK/out/drop" --without union-sink && keyed_ok drop "$(records_before "$NEXT")"; then
        pass "$c" "original refused (Cannot map … state); rewritten restored: $(line drop RESTORED_KEYED)"
      else fail "$c" "original exit $orig; see $WORK/drop-original.log and $WORK/drop.log"; fi ;;
    rename)
      # The job calls the throttle throttle-v2 now: its list state follows only through the renamed savepoint.
      "$CAIRN" rewrite "$SP" "$WORK/out/rename" --rename-uid throttle=throttle-v2 > "$WORK/rename.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/rename.rewrite")"; continue; }
      run_job rename-original --restore-from "$SP" --rename throttle=throttle-v2; orig=$?
      run_job rename --restore-from "$WORK/out/rename" --rename throttle=throttle-v2
      entries="$(sed -E 's/.*entries=\[(.*)\]/\1/' <<<"$(line rename RESTORED_THROTTLE)")"
      if (( orig == 3 )) && keyed_ok rename "$(records_before "$NEXT")" && [[ "$entries" == *350* ]]; then
        pass "$c" "original refused; throttle-v2 restored its recent-values entries [$entries]; $(line rename RESTORED_KEYED)"
      else fail "$c" "original exit $orig, throttle entries [$entries]; see $WORK/rename.log"; fi ;;
    offset)
      # The running number-source split is set 5,000,000 ahead: the source's first number is exactly that.
      target=$((NEXT + 5000000))
      "$CAIRN" rewrite "$SP" "$WORK/out/offset" --set-offset "number-source:$SPLIT=$target" > "$WORK/offset.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/offset.rewrite")"; continue; }
      run_job offset --restore-from "$WORK/out/offset"
      if keyed_ok offset "$(records_before "$NEXT")" && [[ ",$(first_values offset | tr -d ' ')," == *",$target,"* ]]; then
        pass "$c" "source resumed at $target (was $NEXT); $(line offset RESTORED_KEYED)"
      else fail "$c" "first values [$(first_values offset)], wanted $target; see $WORK/offset.log"; fi ;;
    relocate-reference)
      # A retained RocksDB incremental checkpoint whose base directory is gone; the files are now under $INC.
      "$CAIRN" rewrite "$CHK" "$WORK/out/ref/$(basename "$CHK")" --relocate "$INC" > "$WORK/ref.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/ref.rewrite")"; continue; }
      if run_job relocate-reference --restore-from "$WORK/out/ref/$(basename "$CHK")" && keyed_ok relocate-reference "$(records_before "$(first_values relocate-reference | tr -d " " | tr , "\n" | sort -n | tail -1)")"; then
        pass "$c" "counts sum to the records read before the checkpoint; $(line relocate-reference RESTORED_KEYED)"
      else fail "$c" "see $WORK/relocate-reference.log"; fi ;;
    relocate-copy)
      # The same checkpoint copied to a new base; the input copy is deleted before the restore (self-contained).
      base="$WORK/out/moved"
      cp -a "$INC" "$WORK/inc-copy"
      chk2="$WORK/inc-copy/$JOB/$(basename "$CHK")"
      "$CAIRN" rewrite "$chk2" "$base/$JOB/$(basename "$CHK")" --relocate "$base" --copy-files > "$WORK/copy.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/copy.rewrite")"; continue; }
      rm -rf "$WORK/inc-copy"
      if run_job relocate-copy --restore-from "$base/$JOB/$(basename "$CHK")" && keyed_ok relocate-copy "$(records_before "$(first_values relocate-copy | tr -d " " | tr , "\n" | sort -n | tail -1)")"; then
        pass "$c" "counts sum to the records read before the checkpoint; $(line relocate-copy RESTORED_KEYED)"
      else fail "$c" "see $WORK/relocate-copy.log"; fi ;;
    expire-ttl)
      # State-level rewrite into a canonical savepoint. The keyed "count" state has a one-hour TTL: with --now a
      # day ahead every count has expired and is dropped (the job finds no count for any key); with --now = the
      # time of the rewrite (minutes after the savepoint) every count is kept.
      later=$(( $(date +%s) * 1000 + 86400000 )); now_ms=$(( $(date +%s) * 1000 ))
      "$CAIRN" rewrite "$SP" "$WORK/out/expired" --expire-ttl --now "$later" --ttl keyed-state/count=1h > "$WORK/expired.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/expired.rewrite")"; continue; }
      "$CAIRN" rewrite "$SP" "$WORK/out/unexpired" --expire-ttl --now "$now_ms" --ttl 1h > "$WORK/unexpired.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/unexpired.rewrite")"; continue; }
      run_job expire-ttl --restore-from "$WORK/out/expired"; l="$(line expire-ttl RESTORED_KEYED)"
      if [[ -n "$l" ]] && (( $(kv "$l" keys) > 0 )) && [[ "$(kv "$l" withCount)" == 0 ]] \
         && run_job expire-ttl-now --restore-from "$WORK/out/unexpired" && keyed_ok expire-ttl-now "$(records_before "$NEXT")"; then
        pass "$c" "--now +1 day: $l; --now = now: $(line expire-ttl-now RESTORED_KEYED)"
      else fail "$c" "see $WORK/expire-ttl.log and $WORK/expire-ttl-now.log"; fi ;;
    drop-state)
      # keyed-state/last-seen removed from the proxy and the data: the job registers it anew, the counts continue.
      "$CAIRN" rewrite "$SP" "$WORK/out/drop-state" --drop-state keyed-state/last-seen > "$WORK/drop-state.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/drop-state.rewrite")"; continue; }
      if "$CAIRN" dump "$WORK/out/drop-state" --state keyed-state/last-seen --limit 1 > /dev/null 2>&1; then fail "$c" "last-seen is still in the output"; continue; fi
      if run_job drop-state --restore-from "$WORK/out/drop-state" && keyed_ok drop-state "$(records_before "$NEXT")"; then
        pass "$c" "last-seen gone from the savepoint; $(line drop-state RESTORED_KEYED)"
      else fail "$c" "see $WORK/drop-state.log"; fi ;;
    max-parallelism)
      # keyed-state goes from 256 key groups (2-byte prefix) to 128 (1-byte prefix); every key re-hashed. The job
      # runs keyed-state with max parallelism 128, which the original savepoint does not match.
      "$CAIRN" rewrite "$SP" "$WORK/out/maxp" --max-parallelism keyed-state=128 > "$WORK/maxp.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/maxp.rewrite")"; continue; }
      run_job max-parallelism-original --restore-from "$SP" --max-parallelism-keyed 128; orig=$?
      if (( orig == 3 )) && grep -q "Max parallelism mismatch" "$WORK/max-parallelism-original.log" && run_job max-parallelism --restore-from "$WORK/out/maxp" --max-parallelism-keyed 128 && keyed_ok max-parallelism "$(records_before "$NEXT")"; then
        pass "$c" "original refused at max parallelism 128; rewritten 256 → 128 key groups: $(line max-parallelism RESTORED_KEYED)"
      else fail "$c" "original exit $orig; see $WORK/max-parallelism-original.log and $WORK/max-parallelism.log"; fi ;;
    parallelism)
      # The retained RocksDB incremental checkpoint (SST files) with keyed-state re-split from 3 to 2 subtasks and
      # written as a canonical savepoint; the job runs keyed-state at parallelism 2. window-reduce's window contents
      # are dropped too, so every keyed state is canonical and _metadata is marked a canonical savepoint.
      "$CAIRN" rewrite "$CHK" "$WORK/out/par/$(basename "$CHK")" --relocate "$INC" --parallelism keyed-state=2 --drop-state window-reduce/window-contents > "$WORK/par.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/par.rewrite")"; continue; }
      grep -q "marked as a canonical savepoint" "$WORK/par.rewrite" || { fail "$c" "not marked as a savepoint: $(cat "$WORK/par.rewrite")"; continue; }
      if run_job parallelism --restore-from "$WORK/out/par/$(basename "$CHK")" --parallelism-keyed 2 && keyed_ok parallelism "$(records_before "$(first_values parallelism | tr -d " " | tr , "\n" | sort -n | tail -1)")"; then
        pass "$c" "RocksDB incremental → canonical, 3 → 2 subtasks; $(line parallelism RESTORED_KEYED)"
      else fail "$c" "see $WORK/parallelism.log"; fi ;;
    backup)
      # `cairn backup --watch` ran beside the job above (Flink deleting old checkpoints as it went). The newest stored
      # checkpoint is pulled back to where Flink wrote it (the base directory was moved away since, so nothing of the
      # original is left there) and restored.
      stored="$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) for c in json.loads(l)['checkpoints'] if c['status']=='stored'))" "$WORK/backup-watch.jsonl")"
      "$CAIRN" snapshots "$WORK/backup-store" --json > "$WORK/backup-snapshots.json" || { fail "$c" "snapshots failed"; continue; }
      last_id="$(json "$WORK/backup-snapshots.json" 'sorted(d, key=lambda s: int(s["checkpointId"]))[-1]["id"]')"
      last_chk="$(json "$WORK/backup-snapshots.json" 'sorted(d, key=lambda s: int(s["checkpointId"]))[-1]["checkpointId"]')"
      "$CAIRN" pull "$WORK/backup-store" "$last_id" "$GEN/checkpoints/$JOB" > "$WORK/backup-pull.log" 2>&1 || { fail "$c" "pull failed: $(cat "$WORK/backup-pull.log")"; continue; }
      "$CAIRN" check "$WORK/backup-store" --read-data > "$WORK/backup-check.log" 2>&1 || { fail "$c" "check failed: $(cat "$WORK/backup-check.log")"; continue; }
      if [[ "${BACKUP_RC:-x}" == 0 ]] && (( stored >= 2 )) && [[ "chk-$last_chk" == "$(basename "$CHK")" ]] \
         && run_job backup --restore-from "$GEN/checkpoints/$JOB/chk-$last_chk" \
         && keyed_ok backup "$(records_before "$(first_values backup | tr -d " " | tr , "\n" | sort -n | tail -1)")"; then
        pass "$c" "backup --watch stored $stored checkpoints while Flink ran (exit $BACKUP_RC on SIGTERM); chk-$last_chk pulled and restored: $(line backup RESTORED_KEYED)"
      else fail "$c" "backup exit ${BACKUP_RC:-none}, $stored stored, newest chk-$last_chk (Flink's newest $(basename "$CHK")); see $WORK/backup-watch.err and $WORK/backup.log"; fi ;;
    migrate)
      # `--migrate` on the committed typed savepoint (Fixtures/flink/2.3/typed-hashmap, v1 of the typed pipeline,
      # 40 keys) by docs/examples/migrate-typed-v2.yaml: the POJO in ValueState pojo and TTL-wrapped pojo-ttl, the POJO
      # elements of ListState details and the Row of ValueState row change as the v2 job (job/v2/CairnFixtureJob.java)
      # declares them. v2 restores the rewritten savepoint with RocksDB and with the heap backend and checks every
      # key against what v1 wrote. Without the rewrite Flink refuses the original: "StateMigrationException: The new
      # state serializer (PojoSerializer) must not be incompatible with the old state serializer" (field count
      # int -> long; Flink migrates POJOs only by adding or removing fields, so a rename alone would restore with
      # the renamed field's values silently lost, and a Row with another field count is incompatible too).
      tsp="$(ls -d "$HERE"/2.3/typed-hashmap/savepoint-* | head -1)"
      "$CAIRN" rewrite "$tsp" "$WORK/out/migrate" --migrate "$REPO/docs/examples/migrate-typed-v2.yaml" > "$WORK/migrate.rewrite" 2>&1 || { fail "$c" "rewrite failed: $(cat "$WORK/migrate.rewrite")"; continue; }
      v2() { local name="$1"; shift; local t0=$SECONDS
        java -Xmx1g "${JAVA_OPENS[@]}" -cp "$FLINK_LIB/*:$WORK/classes-v2" CairnFixtureJob --keys 40 "$@" > "$WORK/$name.log" 2>&1; local rc=$?
        log "  $name: Flink ran $((SECONDS - t0)) s, exit $rc: $(grep -cE '^V2_CHECK .* ok=1' "$WORK/$name.log") keys ok, $(grep -cE '^V2_CHECK .* ok=0' "$WORK/$name.log") not"
        return $rc; }
      v2 migrate-original --restore-from "$tsp"; orig=$?
      v2 migrate-rocksdb --restore-from "$WORK/out/migrate" --backend rocksdb; rocks=$?
      v2 migrate-hashmap --restore-from "$WORK/out/migrate" --backend hashmap; heap=$?
      okr=$(grep -cE '^V2_CHECK .* ok=1' "$WORK/migrate-rocksdb.log"); okh=$(grep -cE '^V2_CHECK .* ok=1' "$WORK/migrate-hashmap.log")
      if (( orig == 3 )) && grep -qi "incompatible" "$WORK/migrate-original.log" && (( rocks == 0 && heap == 0 && okr == 40 && okh == 40 )); then
        pass "$c" "original refused by v2 (incompatible serializer); migrated: 40/40 keys check out with RocksDB and hashmap; $(grep -m1 '^V2_SAMPLE' "$WORK/migrate-rocksdb.log")"
      else fail "$c" "original exit $orig; rocksdb exit $rocks ($okr ok), hashmap exit $heap ($okh ok); see $WORK/migrate-*.log: $(grep -m3 -E 'ok=0|^CAUSE' "$WORK/migrate-rocksdb.log" "$WORK/migrate-hashmap.log" | cut -c1-400)"; fi ;;
    *) fail "$c" "unknown case" ;;
  esac
done

echo "restore-check: $(( ${#failures[@]} )) failed, total $((SECONDS - t_start)) s"
(( ${#failures[@]} == 0 ))
