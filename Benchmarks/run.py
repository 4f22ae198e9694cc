#!/usr/bin/env python3
"""Side-by-side measurements for Cairn's native format; writes Benchmarks/results.md.

Every number comes from one run on this machine. Throughputs are MB/s (10^6 bytes) of *raw* (decoded) state
bytes, so they compare directly with `zstd -b1` and `lz4 -b1` run on the very same raw bytes.
"""
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "Benchmarks", "work")
CAIRN = os.path.join(ROOT, ".build", "release", "cairn")
BENCH = os.path.join(ROOT, ".build", "release", "cairn-bench")
LARGE_PRESET = os.environ.get("CAIRN_BENCH_LARGE", "large")
WRITER_PRESET = os.environ.get("CAIRN_BENCH_WRITER", "medium")


def timed(cmd):
    """Runs cmd under /usr/bin/time -v; returns (seconds, max RSS bytes, stdout)."""
    start = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) * 1024
    return elapsed, rss, p.stdout


def cli_bench(tool, path):
    """`zstd -b1` / `lz4 -b1`: in-memory single-thread compress and decompress MB/s on the file."""
    p = subprocess.run([tool, "-b1", "-i3", path], capture_output=True, text=True)
    text = (p.stdout + p.stderr).replace("\r", "\n")
    speeds = re.findall(r"([\d.]+) MB/s", text)
    ratio = re.findall(r"\(x?\s*([\d.]+)\)", text)
    if len(speeds) < 2:
        sys.exit(f"cannot parse {tool} -b1 output:\n{text[-1000:]}")
    return float(speeds[-2]), float(speeds[-1]), (float(ratio[-1]) if ratio else None)


def flink_home():
    """A Flink 2.3 distribution: $CAIRN_FLINK_HOME, /tmp/flink-2.3.0 or the one the restore proofs use."""
    for d in (os.environ.get("CAIRN_FLINK_HOME"), "/tmp/flink-2.3.0", os.path.join(ROOT, ".build/flink/flink-2.3.0")):
        if d and os.path.isdir(os.path.join(d, "lib")):
            return d
    return None


def flink_inspect(rows):
    """`cairn inspect` / `inspect --json` / `validate` of a 1,000-operator x 256-subtask `_metadata` written by
    Flink's OWN serializer (Benchmarks/flink-metadata/MetadataGenerator.java, every referenced file created, sparse),
    against Flink's own reader on the same file in the same run: `Checkpoints.loadCheckpointMetadata` timed inside
    the JVM (MetadataLoader, best of 3), and the fixtures' Oracle process (load + print every handle) when compiled."""
    flink = flink_home()
    if not flink:
        print("skipping the Flink comparison: no Flink 2.3 distribution (Fixtures/flink/fetch-flink.sh)")
        return
    classes = os.path.join(WORK, "flink-metadata-classes")
    os.makedirs(classes, exist_ok=True)
    sources = [os.path.join(ROOT, "Benchmarks/flink-metadata", n) for n in ("MetadataGenerator.java", "MetadataLoader.java")]
    subprocess.run(["javac", "-nowarn", "-d", classes, "-cp", f"{flink}/lib/*"] + sources, check=True)
    cp = f"{flink}/lib/*:{classes}"
    big = os.path.join(WORK, "flink-1000x256")
    if not os.path.exists(os.path.join(big, "_metadata")):
        subprocess.run(["java", "-Xmx4g", "-cp", cp, "MetadataGenerator", big, "1000", "256", "--files"], check=True)
    size = os.path.getsize(os.path.join(big, "_metadata"))
    jvm_wall = timed(["java", "-Xmx4g", "-cp", cp, "MetadataLoader", big, "3"])
    jvm = json.loads(jvm_wall[2].strip().splitlines()[-1])
    oracle = os.environ.get("CAIRN_ORACLE_CLASSES", "/tmp/cairn-build/2.3.0/oracle")
    oracle_run = None
    if os.path.isdir(oracle):
        oracle_run = timed(["sh", "-c", f'java -Xmx4g --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED -cp "{flink}/lib/*:{oracle}" Oracle "{big}" > /dev/null'])[:2]
    text = timed(["sh", "-c", f'"{CAIRN}" inspect "{big}" > /dev/null'])
    js = timed(["sh", "-c", f'"{CAIRN}" inspect "{big}" --json > /dev/null'])
    page = os.path.join(WORK, "flink-1000x256.html")
    html = timed([CAIRN, "inspect", big, "--json", "--html", page])
    val = timed([CAIRN, "validate", big, "--json"])
    valid = json.loads(val[2])["valid"]
    rows["flink"] = dict(size=size, jvmParse=jvm["parseSeconds"], jvmProcess=jvm_wall[:2], oracle=oracle_run,
                         text=text[:2], json=js[:2], validate=val[:2], valid=valid, html=html[:2], page=os.path.getsize(page), jsonBytes=len(html[2]), subtasks=jvm["subtasks"])


def flink_dump(rows):
    """`dump --state` of every state, two ways side by side in one process (`cairn-bench flink-dump`): a JSONValue
    tree per entry (the writer before issue 15) and JSON written straight from the decoded values (now); on the
    typed RocksDB fixture (every value type Cairn decodes) and on the synthesized canonical savepoint."""
    import glob
    typed = sorted(glob.glob(os.path.join(ROOT, "Fixtures/flink/2.3/typed-rocksdb/savepoint-*")))[0]
    states = subprocess.run([CAIRN, "inspect", typed, "--by", "state", "--deep", "--json"], capture_output=True, text=True, check=True)
    # Names in parentheses are Cairn's labels for bytes it could not attribute to a state, not states to dump.
    names = sorted({f"{s['operatorId']}/{s['name']}" for s in json.loads(states.stdout)["states"] if not s["name"].startswith("(")})
    out = {}
    for label, d, which in (("typed", typed, names), ("canonical", os.path.join(WORK, "flink-canonical-400mb"), ["count", "profile"])):
        p = subprocess.run([BENCH, "flink-dump", d] + which, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"cairn-bench flink-dump {d} failed:\n{p.stderr[-2000:]}")
        out[label] = json.loads(p.stdout)
    rows["flinkDumpWays"] = out


def flink_deep(rows):
    """`inspect --deep` of a synthesized 400 MB canonical savepoint: the key-group scan's throughput."""
    import glob
    trailer = sorted(glob.glob(os.path.join(ROOT, "Fixtures/flink/2.3/hashmap/*/chk-*/_metadata")))[0]
    d = os.path.join(WORK, "flink-canonical-400mb")
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(d, "_metadata")):
        subprocess.run([BENCH, "flink-canonical", d, "--mb", "400", "--trailer-from", trailer], check=True)
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    secs, rss, _ = timed([CAIRN, "inspect", d, "--by", "state", "--deep"])
    rows["flinkDeep"] = dict(size=size, seconds=secs, rss=rss)
    # dump --state of both states: every entry decoded with the recorded serializers and printed as JSON Lines.
    total, peak = 0.0, 0
    for state in ("count", "profile"):
        secs, rss, _ = timed(["sh", "-c", f'"{CAIRN}" dump "{d}" --state {state} > /dev/null'])
        total, peak = total + secs, max(peak, rss)
    rows["flinkDump"] = dict(size=size, seconds=total, rss=peak)


def flink_only():
    """`CAIRN_BENCH_ONLY=flink`: just the `_metadata` comparison, into Benchmarks/flink-metadata-results.md."""
    rows = {}
    flink_inspect(rows)
    if "flink" not in rows:
        return
    f = rows["flink"]
    mb = lambda n: n / 1e6
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores; one run, release build, side by side with the JVM.",
        "",
        "| measurement | Cairn | Flink's reader on the same file | Cairn vs the JVM's parse alone |",
        "|---|---|---|---|",
    ] + flink_lines(f, mb)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(ROOT, "Benchmarks", "flink-metadata-results.md"), "w") as out:
        out.write(text)
    with open(os.path.join(WORK, "flink-metadata-results.json"), "w") as out:
        json.dump(rows, out, indent=2)
    print(text)


def flink_lines(f, mb):
    what = f"a Flink `_metadata` with 1,000 operators × 256 subtasks ({mb(f['size']):.0f} MB, written by Flink's own serializer)"
    peer = f"`Checkpoints.loadCheckpointMetadata` in the JVM, parse alone (best of 3): {f['jvmParse']:.2f} s; that JVM process: {f['jvmProcess'][0]:.1f} s, {mb(f['jvmProcess'][1]):.0f} MB peak"
    lines = [
        f"| `inspect --json` of {what} | {f['json'][0]:.2f} s, {mb(f['json'][1]):.0f} MB peak | {peer} | {f['jvmParse'] / f['json'][0]:.1f}× faster |",
        f"| `inspect` (table) of the same file | {f['text'][0]:.2f} s, {mb(f['text'][1]):.0f} MB peak | | {f['jvmParse'] / f['text'][0]:.1f}× faster |",
        f"| `validate` of the same file ({2 * f['subtasks']:,} referenced files, each checked: one listing, one `stat` per file on all cores) | {f['validate'][0]:.2f} s, {mb(f['validate'][1]):.0f} MB peak, valid: {f['valid']} | | {f['jvmParse'] / f['validate'][0]:.1f}× faster |",
    ]
    if f["oracle"]:
        o = f["oracle"]
        lines.append(f"| the same file through the fixtures' Oracle (Flink's reader, then every handle printed as JSON; one JVM process) | `inspect --json`: {f['json'][0]:.2f} s | {o[0]:.1f} s, {mb(o[1]):.0f} MB peak | {o[0] / f['json'][0]:.1f}× faster |")
    return lines


def main():
    if os.environ.get("CAIRN_BENCH_ONLY") == "flink":
        return flink_only()
    os.makedirs(WORK, exist_ok=True)
    for binary in (CAIRN, BENCH):
        if not os.path.exists(binary):
            sys.exit(f"{binary} is missing; run `make bench` (it builds in release mode first)")
    rows = {}

    # 1. Writing the large preset: wall time and peak memory.
    large = os.path.join(WORK, f"{LARGE_PRESET}.cairn")
    secs, rss, out = timed([CAIRN, "generate", large, "--preset", LARGE_PRESET, "--json"])
    gen = json.loads(out)[0]
    rows["generate"] = dict(seconds=secs, rss=rss, file=gen["fileSize"], raw=gen["rawBytes"], entries=gen["entries"])

    # 2. inspect of the large snapshot: time and bytes read (footer + index only).
    secs, rss, out = timed([CAIRN, "inspect", large, "--json"])
    doc = json.loads(out)
    rows["inspect"] = dict(seconds=secs, rss=rss, bytesRead=doc["bytesRead"], stateSize=doc["totals"]["stateSize"])

    # 3. validate --deep: every block read, checked, decompressed and decoded.
    secs, rss, out = timed([CAIRN, "validate", large, "--deep", "--json"])
    rows["validate"] = dict(seconds=secs, rss=rss, valid=json.loads(out)["valid"])

    # 4. The writer alone on in-memory entries, and the CLI tools on the same raw bytes.
    source = os.path.join(WORK, f"{WRITER_PRESET}-source.cairn")
    if not os.path.exists(source):
        timed([CAIRN, "generate", source, "--preset", WRITER_PRESET])
    raw = os.path.join(WORK, f"{WRITER_PRESET}-keyed.raw")
    for codec in ("zstd:1", "lz4"):
        secs, rss, out = timed([BENCH, "writer", source, raw, "--compression", codec])
        rows[f"writer {codec}"] = json.loads(out)
    rows["zstd -b1"] = cli_bench("zstd", raw)
    rows["lz4 -b1"] = cli_bench("lz4", raw)

    flink_inspect(rows)
    flink_deep(rows)
    flink_dump(rows)
    mb = lambda n: n / 1e6
    gib = lambda n: n / 2**30
    g, i, v = rows["generate"], rows["inspect"], rows["validate"]
    wz, wl = rows["writer zstd:1"], rows["writer lz4"]
    zc, zd, zr = rows["zstd -b1"]
    lc, ld, lr = rows["lz4 -b1"]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores; one run, release build. MB/s = 10^6 bytes of raw state per second.",
        "",
        "| measurement | Cairn | peer on the same bytes | ratio |",
        "|---|---|---|---|",
        f"| writer, zstd level 1, in memory (`cairn-bench writer`, {WRITER_PRESET}: {mb(wz['rawBytes']):.0f} MB raw) | {wz['rawMBps']:.0f} MB/s | `zstd -b1` compress {zc:.0f} MB/s | {wz['rawMBps'] / zc:.2f} |",
        f"| writer, LZ4, in memory | {wl['rawMBps']:.0f} MB/s | `lz4 -b1` compress {lc:.0f} MB/s | {wl['rawMBps'] / lc:.2f} |",
        f"| `validate --deep` of `{LARGE_PRESET}` ({gib(g['file']):.2f} GiB file, {gib(g['raw']):.2f} GiB raw): read, CRC32C, zstd decode, decode and check every entry | {mb(g['raw']) / v['seconds']:.0f} MB/s | `zstd -b1` decompress {zd:.0f} MB/s | {mb(g['raw']) / v['seconds'] / zd:.2f} |",
        f"| `generate --preset {LARGE_PRESET}` (synthesize + write {g['entries']:,} entries to disk) | {mb(g['raw']) / g['seconds']:.0f} MB/s, {g['seconds']:.1f} s | | |",
        f"| peak memory writing `{LARGE_PRESET}` | {mb(g['rss']):.0f} MB for a {gib(g['file']):.2f} GiB file | | |",
        f"| `inspect` of `{LARGE_PRESET}` | {i['seconds'] * 1000:.0f} ms, {i['bytesRead']:,} bytes read ({100 * i['bytesRead'] / g['file']:.4f} % of the file), {mb(i['rss']):.0f} MB peak | | |",
        f"| compression ratio on the keyed bytes | zstd:1 {wz['rawBytes'] / wz['storedBytes']:.2f}, LZ4 {wl['rawBytes'] / wl['storedBytes']:.2f} | `zstd -1` {zr}, `lz4 -1` {lr} | |",
    ]
    if "flink" in rows:
        lines += flink_lines(rows["flink"], mb)
        f = rows["flink"]
        lines.append(f"| `inspect --json --html` of the same `_metadata`: the page aggregates (top 20 operators, others, subtask percentiles and bins) | {f['html'][0]:.1f} s, {mb(f['html'][1]):.0f} MB peak; page {mb(f['page']):.2f} MB | `inspect --json` alone: {f['json'][0]:.1f} s, {mb(f['jsonBytes']):.0f} MB of JSON | page = {100 * f['page'] / f['jsonBytes']:.1f} % of the JSON |")
    fd = rows["flinkDeep"]
    lines.append(f"| `inspect --deep` of a canonical Flink savepoint ({mb(fd['size']):.0f} MB, key-group scan per state) | {mb(fd['size']) / fd['seconds']:.0f} MB/s, {mb(fd['rss']):.0f} MB peak | | |")
    fdump = rows["flinkDump"]
    lines.append(f"| `dump --state` of every state of the same savepoint (decoded, JSON Lines to /dev/null) | {mb(fdump['size']) / fdump['seconds']:.0f} MB/s, {mb(fdump['rss']):.0f} MB peak | State Processor API: not in PyPI's apache-flink-libraries, not measured | |")
    for label, what in (("typed", "the typed RocksDB savepoint fixture (every value type)"), ("canonical", "the synthesized canonical savepoint")):
        w = rows["flinkDumpWays"][label]
        lines.append(f"| `dump --state` writer, {what}, {mb(w['inputBytes']):.1f} MB in, {mb(w['outputBytes']):.1f} MB of JSON Lines (`cairn-bench flink-dump`, in process; per CPU-second, wall in brackets) | JSON written from the values: {w['directMBpsCPU']:.0f} MB/s ({w['directMBps']:.0f}) | a `JSONValue` tree per entry (before): {w['treeMBpsCPU']:.0f} MB/s ({w['treeMBps']:.0f}) | {w['directMBpsCPU'] / w['treeMBpsCPU']:.2f}× |")
    lines += [
        "",
        f"CRC32C hardware path: {wz['crc32cHardware']}. Raw JSON of this run: `Benchmarks/work/results.json`.",
    ]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(ROOT, "Benchmarks", "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(rows, f, indent=2)
    print(text)
    if os.environ.get("CAIRN_BENCH_STORE") == "1":
        # Cairn's store against restic 0.14 (Benchmarks/store_bench.py, ~25 min): opt-in.
        env = dict(os.environ)
        env.setdefault("CAIRN_BIN", CAIRN)
        subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "store_bench.py")], check=True, env=env)


if __name__ == "__main__":
    main()
