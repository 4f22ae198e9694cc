#!/usr/bin/env bash
# Runs the measurements of Benchmarks/README.md and writes Benchmarks/results.md. Needs a release build
# (`make bench` does it) and about 10 GB of free disk in Benchmarks/work.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 Benchmarks/run.py "$@"
