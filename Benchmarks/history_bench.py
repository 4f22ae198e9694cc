#!/usr/bin/env python3
"""`cairn history` over many checkpoints: wall time, CPU time, bytes read and peak memory.

Builds two series in Benchmarks/work/history (reused by later runs):
  - a Flink job directory of N `chk-k` directories, each holding a synthesized `_metadata` of
    OPERATORS x SUBTASKS (written by `cairn-bench flink-metadata`, Cairn's own `_metadata` writer);
  - a native series of N `small` checkpoints (`cairn generate --checkpoints N`).
Then times `cairn history … --json` with --parallel 1 and 4, and over N/4 and N checkpoints (memory must not grow
with the state, only by the small per-checkpoint summary). Writes Benchmarks/history-results.md.

Environment: CAIRN_BIN (default .build/release/cairn), CAIRN_BENCH_BIN (default .build/debug/cairn-bench),
HISTORY_N (100), HISTORY_OPERATORS (100), HISTORY_SUBTASKS (128).
"""
import json, os, shutil, subprocess, sys, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cairn = os.environ.get("CAIRN_BIN", os.path.join(root, ".build/release/cairn"))
bench = os.environ.get("CAIRN_BENCH_BIN", os.path.join(root, ".build/debug/cairn-bench"))
n = int(os.environ.get("HISTORY_N", "100"))
operators = int(os.environ.get("HISTORY_OPERATORS", "100"))
subtasks = int(os.environ.get("HISTORY_SUBTASKS", "128"))
work = os.path.join(root, "Benchmarks/work/history")
trailer = os.path.join(root, "Fixtures/flink/2.3/rocksdb-incremental/ed57ef9367947a2619891a87077f6ec7/chk-5/_metadata")


def build_series():
    job = os.path.join(work, f"flink-{operators}x{subtasks}-{n}")
    if not os.path.exists(os.path.join(job, f"chk-{n}", "_metadata")):
        one = os.path.join(work, f"one-{operators}x{subtasks}")
        os.makedirs(one, exist_ok=True)
        subprocess.run([bench, "flink-metadata", one, "--operators", str(operators), "--subtasks", str(subtasks), "--trailer-from", trailer], check=True)
        for k in range(1, n + 1):
            os.makedirs(os.path.join(job, f"chk-{k}"), exist_ok=True)
            shutil.copyfile(os.path.join(one, "_metadata"), os.path.join(job, f"chk-{k}", "_metadata"))
    native = os.path.join(work, f"native-small-{n}")
    if not os.path.exists(os.path.join(native, f"chk-{n}.cairn")):
        subprocess.run([cairn, "generate", native, "--preset", "small", "--checkpoints", str(n), "--leak", "--change-rate", "0.05"],
                       check=True, stdout=subprocess.DEVNULL)
    return job, native


def timed(args, json_out=True):
    """Wall seconds, CPU seconds (user + sys), peak RSS in MB, and the JSON document (or the table)."""
    start = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", cairn] + args + (["--json"] if json_out else []), capture_output=True, text=True)
    wall = time.monotonic() - start
    if r.returncode != 0:
        sys.exit(f"cairn {' '.join(args)} failed: {r.stderr}")
    user, sys_, rss = r.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(sys_), int(rss) / 1024, json.loads(r.stdout) if json_out else r.stdout


def subset(job, count):
    """A job directory of the first `count` checkpoints (symlinks)."""
    d = job + f"-first{count}"
    if not os.path.isdir(d):
        os.makedirs(d)
        for k in range(1, count + 1):
            os.symlink(os.path.join(job, f"chk-{k}"), os.path.join(d, f"chk-{k}"))
    return d


def main():
    os.makedirs(work, exist_ok=True)
    job, native = build_series()
    meta_mb = os.path.getsize(os.path.join(job, "chk-1", "_metadata")) / 1e6
    rows = []
    for label, source, extra in [
        (f"Flink, {n} × {meta_mb:.1f} MB `_metadata` ({operators} operators × {subtasks} subtasks)", job, []),
        (f"Flink, first {n // 4} of them", subset(job, n // 4), []),
        (f"native `small`, {n} checkpoints", native, []),
        (f"native `small`, {n} checkpoints, `--deep`", native, ["--deep"]),
    ]:
        for parallel in ([1, 4] if not extra else [4]):
            wall, cpu, rss, doc = timed(["history", source, "--parallel", str(parallel)] + extra)
            read = sum(c["bytesRead"] for c in doc["checkpoints"])
            table_rss = timed(["history", source, "--parallel", str(parallel)] + extra, json_out=False)[2]
            rows.append((label, parallel, len(doc["checkpoints"]), wall, cpu, read / 1e6, read / 1e6 / wall, rss, table_rss))
            print(rows[-1], flush=True)
    out = ["# `cairn history` benchmark", "",
           f"`python3 Benchmarks/history_bench.py`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores (shared), `{os.path.relpath(cairn, root)}`.", "",
           "| series | --parallel | checkpoints | wall s | CPU s | MB read | MB/s read | peak RSS MB, `--json` / table |", "|---|---|---|---|---|---|---|---|"]
    for label, parallel, count, wall, cpu, mb, mbps, rss, table_rss in rows:
        out.append(f"| {label} | {parallel} | {count} | {wall:.2f} | {cpu:.2f} | {mb:.1f} | {mbps:.0f} | {rss:.0f} / {table_rss:.0f} |")
    with open(os.path.join(root, "Benchmarks/history-results.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))


main()
