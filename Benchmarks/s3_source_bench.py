#!/usr/bin/env python3
"""Reading a Flink checkpoint in place in S3 against reading the same checkpoint from the local disk.

    python3 Benchmarks/s3_source_bench.py      # needs a built cairn (CAIRN_BIN, default .build/release/cairn)

One run, on this machine: starts SeaweedFS on 127.0.0.1 (scripts/s3-test-server.py), uploads Flink fixtures with
their `_metadata` paths moved to s3:// by `cairn rewrite --relocate`, and puts scripts/fault-proxy.py (never
failing) in front of it to count requests by kind. Then, for each checkpoint, times `inspect --json`,
`validate --json`, `inspect --deep --json` and `validate --deep --json` on the local copy and on the S3 copy (best of CAIRN_S3_BENCH_RUNS,
default 3), and records the requests each S3 run made. Writes Benchmarks/s3-source-results.md and
Benchmarks/work/s3-source/results.json.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAIRN = os.environ.get("CAIRN_BIN") or next(
    (p for p in (os.path.join(ROOT, ".build/release/cairn"), os.path.join(ROOT, ".build/debug/cairn")) if os.path.exists(p)), None)
RUNS = int(os.environ.get("CAIRN_S3_BENCH_RUNS", "3"))
CHECKPOINTS = [
    ("2.3/rocksdb-incremental", "ed57ef9367947a2619891a87077f6ec7/chk-5"),
    ("2.3/typed-rocksdb", "e0d1bac8c8660265dfb11b6978bad23d/chk-3"),
    ("2.3/hashmap", "57baad28216c5452b1ff56c091c800c0/chk-6"),
    ("2.3/unaligned", "81f05668e871bdacaca35df8e6a931f9/chk-5"),
]
COMMANDS = [["inspect", "--json"], ["validate", "--json"], ["inspect", "--json", "--deep"], ["validate", "--json", "--deep"]]


def helper(script, *args):
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", script), *args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    return p, json.loads(p.stdout.readline())


def stop(p):
    p.stdin.close()
    out = p.stdout.read()
    p.wait(timeout=60)
    lines = [l for l in out.splitlines() if l.strip()]
    return json.loads(lines[-1]) if lines else {}


def run(args, env):
    best = None
    for _ in range(RUNS):
        t = time.perf_counter()
        r = subprocess.run([CAIRN, *args], env=env, capture_output=True, text=True)
        dt = time.perf_counter() - t
        if r.returncode != 0:
            raise SystemExit(f"cairn {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        best = dt if best is None else min(best, dt)
    return best


def main():
    if not CAIRN:
        raise SystemExit("no cairn binary: swift build -c release (or set CAIRN_BIN)")
    import boto3
    server, info = helper("s3-test-server.py", "weed")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=info["accessKeyId"], AWS_SECRET_ACCESS_KEY=info["secretAccessKey"],
               AWS_REGION=info["region"])
    env.pop("AWS_ENDPOINT_URL", None)
    s3 = boto3.client("s3", endpoint_url=info["endpoint"], aws_access_key_id=info["accessKeyId"],
                      aws_secret_access_key=info["secretAccessKey"], region_name=info["region"])
    rows = []
    try:
        for fixture, chk in CHECKPOINTS:
            local_root = os.path.join(ROOT, "Fixtures/flink", fixture)
            prefix = "bench/" + fixture.replace("/", "-")
            url = f"s3://{info['bucket']}/{prefix}"
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "relocated")
                r = subprocess.run([CAIRN, "rewrite", os.path.join(local_root, chk), out, "--relocate", url], capture_output=True, text=True)
                if r.returncode != 0:
                    raise SystemExit(r.stderr)
                for dirpath, _, names in os.walk(local_root):
                    for n in names:
                        path = os.path.join(dirpath, n)
                        rel = os.path.relpath(path, local_root)
                        body = open(os.path.join(out, "_metadata") if rel == chk + "/_metadata" else path, "rb").read()
                        s3.put_object(Bucket=info["bucket"], Key=prefix + "/" + rel, Body=body)
            for command in COMMANDS:
                local_s = run([command[0], os.path.join(local_root, chk), *command[1:]], env)
                proxy, pinfo = helper("fault-proxy.py", info["endpoint"], "--fail-every", "0")
                try:
                    s3_args = [command[0], url + "/" + chk, *command[1:], "--endpoint", pinfo["endpoint"]]
                    s3_s = run(s3_args, env)
                finally:
                    counts = stop(proxy)
                kinds = {k: v // RUNS for k, v in counts.get("kinds", {}).items()}
                rows.append({"checkpoint": f"{fixture} {chk.split('/')[-1]}", "command": " ".join(command),
                             "localSeconds": local_s, "s3Seconds": s3_s, "requests": kinds})
                print(rows[-1], flush=True)
    finally:
        stop(server)
    os.makedirs(os.path.join(ROOT, "Benchmarks/work/s3-source"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks/work/s3-source/results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    lines = [
        "# Reading checkpoints in place in S3 (SeaweedFS on 127.0.0.1) against the local copy",
        "",
        f"`python3 Benchmarks/s3_source_bench.py`, {time.strftime('%Y-%m-%d')}, binary `{os.path.relpath(CAIRN, ROOT)}`, best of {RUNS}. "
        "Requests per run, counted by scripts/fault-proxy.py in front of the server (LIST = GET with list-type; "
        "GET-range = ranged GET).",
        "",
        "| checkpoint | command | local | S3 | S3 ÷ local | requests per run |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        req = ", ".join(f"{k} {v}" for k, v in sorted(r["requests"].items()))
        lines.append(f"| {r['checkpoint']} | `{r['command']}` | {r['localSeconds'] * 1000:.0f} ms | {r['s3Seconds'] * 1000:.0f} ms | "
                     f"{r['s3Seconds'] / r['localSeconds']:.2f} | {req} |")
    with open(os.path.join(ROOT, "Benchmarks/s3-source-results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
