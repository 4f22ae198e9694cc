#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (-sanitize=fuzzer,address) and runs each for FUZZ_SECONDS (default 60)
# from its seed corpus Fuzz/corpus/<target>/. New inputs go to Fuzz/work/<target>/ (not committed), crashes to
# Fuzz/crashes/<target>/. Prints one line per target: executions, executions/s, peak RSS, crashes. Exits non-zero
# if any target crashed. Usage: scripts/fuzz.sh [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(FuzzFlinkMetadata FuzzNativeReader FuzzSSTReader FuzzRocksDBManifest FuzzSerializerSnapshot FuzzStoreObjects FuzzPlanYAML)
fi
"$SWIFT" build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v "Cannot export local symbol" || exit 1
failed=0
printf '%-24s %14s %10s %8s %8s\n' target executions exec/s rss_mb crashes
for t in "${TARGETS[@]}"; do
    mkdir -p "Fuzz/work/$t" "Fuzz/crashes/$t"
    log="Fuzz/work/$t.log"
    # -fork keeps going after a crash, so one finding does not hide the others; each crash lands in Fuzz/crashes/.
    ASAN_OPTIONS=detect_leaks=0 Fuzz/.build/release/"$t" "Fuzz/work/$t" "Fuzz/corpus/$t" \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=512 -malloc_limit_mb=512 -timeout=10 -detect_leaks=0 \
        -artifact_prefix="Fuzz/crashes/$t/" -print_final_stats=1 >"$log" 2>&1
    status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    crashes=$(find "Fuzz/crashes/$t" -type f | wc -l)
    printf '%-24s %14s %10s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${rss:-?}" "$crashes"
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        grep -m3 -E 'ERROR|Fatal error|deadly signal|out-of-memory|timeout' "$log" | sed 's/^/    /'
    fi
done
exit $failed
