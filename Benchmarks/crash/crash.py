#!/usr/bin/env python3
"""Crash consistency: kill -9 the writers of Cairn at seeded random points and check nothing is lost or half-written.

For each command (push, push-s3, prune, rewrite-native, rewrite-flink, generate, backup-watch) the harness prepares
its inputs once,
measures one normal run, then for every run i draws a kill delay uniformly over [0, normal run time] from
random.Random("SEED:COMMAND:i"), starts the command on a fresh copy of its inputs, sends SIGKILL after that
delay and, once the process is dead, checks the invariants:

  push            `check --read-data` exits 0; every snapshot listed before is listed and pulls byte-identical;
                  a snapshot the killed push committed pulls byte-identical; re-running the push finishes and its
                  snapshot pulls byte-identical.
  prune           the same, and the snapshots prune keeps are all listed and intact; snapshots prune removes are
                  either gone or still intact; re-running prune finishes and leaves exactly the kept ones.
  rewrite-native  DEST is absent or byte-identical to a normal run's output (which `validate --deep` accepts);
                  re-running finishes with a valid DEST.
  rewrite-flink   DEST is absent or a directory that `validate` accepts, equal file for file to a normal run's;
                  re-running finishes (or, when DEST is already whole, refuses to overwrite it and leaves it as is).
  push-s3         push's checks against a SeaweedFS started on 127.0.0.1 (scripts/s3-test-server.py), a fresh key
                  prefix per run holding the earlier snapshot.
  generate        every chk-N.cairn present is byte-identical to a normal run's (which `validate --deep` accepts);
                  re-running finishes and writes them all.
  backup-watch    `backup JOB STORE --watch` of a Flink job with three checkpoints: `check --read-data` exits 0; every
                  stored checkpoint pulls byte-identical to the job's files; re-running (with --watch, stopped by
                  SIGTERM after its first round) exits 0 and leaves all three stored and whole.

Temporary files a kill leaves behind (names with .tmp- or .cairn-tmp- / .cairn-rewrite- / .cairn-stage-) are counted
as litter right after the kill; they must be gone after the next successful run (the writers claim their temporary
files with flock, and push, prune, rewrite and generate remove the unclaimed ones they find): litter still there
after the re-run is a violation.

Usage: crash.py [--cairn PATH] [--runs N] [--seed S] [--commands push,prune,...] [--work DIR] [--json FILE]
       crash.py --only push:17       (repeat one run: the same seed and the same delay)
Exit status: 0 when no invariant was violated, 1 otherwise.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMANDS = ["push", "push-s3", "prune", "rewrite-native", "rewrite-flink", "generate", "backup-watch"]
TEMP_MARKERS = (".tmp-", ".cairn-tmp-", ".cairn-rewrite-", ".cairn-stage-")


class Violation(Exception):
    pass


class Cairn:
    def __init__(self, binary):
        self.binary = binary
        self.env = None  # the environment of every run (S3 credentials once a server is up)

    def run(self, args, check=False):
        p = subprocess.run([self.binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        if check and p.returncode != 0:
            raise RuntimeError(f"cairn {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
        return p

    def snapshots(self, store):
        p = self.run(["snapshots", store, "--json"])
        if p.returncode != 0:
            raise Violation(f"snapshots exited {p.returncode}: {p.stderr.strip()}")
        return [s["id"] for s in json.loads(p.stdout)]


def tree(d):
    """Every regular file below d (temporary files left aside) by relative path → sha256."""
    out = {}
    for base, dirs, files in os.walk(d):
        dirs[:] = [x for x in dirs if not any(m in x for m in TEMP_MARKERS)]
        for f in files:
            if any(m in f for m in TEMP_MARKERS):
                continue
            p = os.path.join(base, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def no_litter(d, when):
    n = litter(d)
    if n:
        names = [x for _, dirs, files in os.walk(d) for x in dirs + files if any(m in x for m in TEMP_MARKERS)]
        raise Violation(f"{when}: {n} temporary file(s) left behind: {names[:3]}")


def litter(d):
    n = 0
    for base, dirs, files in os.walk(d):
        n += sum(1 for x in dirs + files if any(m in x for m in TEMP_MARKERS))
    return n


def sha(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def write_random(path, size, rng):
    with open(path, "wb") as fh:
        fh.write(rng.randbytes(size))


class Scenario:
    """One command: `prepare` once, then per run `fresh` inputs, the `argv` to kill, and `verify` after the kill."""

    def __init__(self, cairn, work, scale):
        self.cairn, self.work, self.scale = cairn, work, scale


class Push(Scenario):
    def prepare(self):
        rng = random.Random("push-data")
        base = os.path.join(self.work, "push-base")
        self.v1, self.v2 = os.path.join(base, "v1"), os.path.join(base, "v2")
        os.makedirs(self.v1)
        for i in range(4):
            write_random(os.path.join(self.v1, f"part-{i}"), self.scale, rng)
        shutil.copytree(self.v1, self.v2)
        write_random(os.path.join(self.v2, "part-1"), self.scale, rng)  # changed
        write_random(os.path.join(self.v2, "part-4"), self.scale, rng)  # new
        self.src = os.path.join(base, "src")
        shutil.copytree(self.v1, self.src)
        self.store = os.path.join(base, "store")
        self.cairn.run(["push", self.src, self.store], check=True)
        self.before = self.cairn.snapshots(self.store)
        shutil.rmtree(self.src)
        shutil.copytree(self.v2, self.src)
        self.trees = {"v1": tree(self.v1), "v2": tree(self.v2)}

    def fresh(self, run):
        store = os.path.join(run, "store")
        shutil.copytree(self.store, store)
        return {"store": store, "run": run}

    def argv(self, ctx):
        return ["push", self.src, ctx["store"]]

    def pull_equals(self, ctx, snapshot, expected, what):
        out = os.path.join(ctx["run"], "pull-" + snapshot[:12] + "-" + str(time.monotonic_ns()))
        p = self.cairn.run(["pull", ctx["store"], snapshot, out])
        if p.returncode != 0:
            raise Violation(f"{what}: pull {snapshot[:12]} exited {p.returncode}: {p.stderr.strip()}")
        if tree(out) != self.trees[expected]:
            raise Violation(f"{what}: snapshot {snapshot[:12]} does not pull byte-identical to {expected}")
        shutil.rmtree(out)

    def check(self, ctx, when):
        p = self.cairn.run(["check", ctx["store"], "--read-data"])
        if p.returncode != 0:
            raise Violation(f"{when}: check --read-data exited {p.returncode}: {(p.stdout + p.stderr).strip()[-400:]}")

    def verify(self, ctx):
        self.check(ctx, "after the kill")
        now = self.cairn.snapshots(ctx["store"])
        for s in self.before:
            if s not in now:
                raise Violation(f"snapshot {s[:12]} listed before the kill is gone")
            self.pull_equals(ctx, s, "v1", "after the kill")
        for s in now:
            if s not in self.before:
                self.pull_equals(ctx, s, "v2", "snapshot committed by the killed push")
        # Re-run: finishes, and its snapshot is whole.
        p = self.cairn.run(self.argv(ctx))
        if p.returncode != 0:
            return False
        self.check(ctx, "after the re-run")
        self.pull_equals(ctx, "latest", "v2", "after the re-run")
        self.no_store_litter(ctx)
        return True

    def no_store_litter(self, ctx):
        no_litter(ctx["store"], "after the re-run")


class Prune(Push):
    KEEP = 2

    def prepare(self):
        rng = random.Random("prune-data")
        base = os.path.join(self.work, "prune-base")
        self.src = os.path.join(base, "src")
        self.store = os.path.join(base, "store")
        self.trees, self.version_of = {}, {}
        os.makedirs(self.src)
        for i in range(4):
            write_random(os.path.join(self.src, f"part-{i}"), self.scale, rng)
        for v in range(1, 5):
            # Each version changes two parts, so every older snapshot holds packs only it references.
            write_random(os.path.join(self.src, f"part-{v % 4}"), self.scale, rng)
            write_random(os.path.join(self.src, f"extra-{v}"), self.scale // 2, rng)
            self.cairn.run(["push", self.src, self.store], check=True)
            snaps = self.cairn.snapshots(self.store)
            self.version_of[snaps[-1]] = f"v{v}"
            self.trees[f"v{v}"] = tree(self.src)
        self.before = self.cairn.snapshots(self.store)
        self.kept = self.before[-self.KEEP:]

    def argv(self, ctx):
        return ["prune", ctx["store"], "--keep-last", str(self.KEEP), "--grace", "0"]

    def verify(self, ctx):
        self.check(ctx, "after the kill")
        now = self.cairn.snapshots(ctx["store"])
        for s in self.kept:
            if s not in now:
                raise Violation(f"snapshot {s[:12]} that prune keeps is gone")
        for s in now:
            if s not in self.before:
                raise Violation(f"unknown snapshot {s[:12]} appeared")
            self.pull_equals(ctx, s, self.version_of[s], "after the kill")
        p = self.cairn.run(self.argv(ctx))
        if p.returncode != 0:
            return False
        self.check(ctx, "after the re-run")
        if self.cairn.snapshots(ctx["store"]) != self.kept:
            raise Violation("after the re-run the snapshots are not exactly the kept ones")
        for s in self.kept:
            self.pull_equals(ctx, s, self.version_of[s], "after the re-run")
        self.no_store_litter(ctx)
        return True


class RewriteNative(Scenario):
    def prepare(self):
        base = os.path.join(self.work, "rewrite-native-base")
        os.makedirs(base)
        self.src = os.path.join(base, "src.cairn")
        self.cairn.run(["generate", self.src, "--preset", "small", "--checkpoints", "1", "--seed", "3"], check=True)
        ref = os.path.join(base, "ref.cairn")
        self.cairn.run(self.argv({"dest": ref}), check=True)
        self.cairn.run(["validate", ref, "--deep"], check=True)
        self.ref = sha(ref)

    def fresh(self, run):
        return {"dest": os.path.join(run, "out.cairn"), "run": run}

    def argv(self, ctx):
        return ["rewrite", self.src, ctx["dest"], "--drop-operator", "rules-enricher", "--rename-uid", "user-totals=user-totals-v2"]

    def verify(self, ctx):
        names = [n for n in os.listdir(ctx["run"]) if not any(m in n for m in TEMP_MARKERS)]
        if names not in ([], ["out.cairn"]):
            raise Violation(f"unexpected files beside DEST: {names}")
        if names and sha(ctx["dest"]) != self.ref:
            v = self.cairn.run(["validate", ctx["dest"], "--deep"])
            raise Violation(f"DEST present but not the complete output (validate --deep exited {v.returncode})")
        p = self.cairn.run(self.argv(ctx))
        if p.returncode != 0:
            return False
        if self.cairn.run(["validate", ctx["dest"], "--deep"]).returncode != 0 or sha(ctx["dest"]) != self.ref:
            raise Violation("after the re-run DEST is not the complete output")
        no_litter(ctx["run"], "after the re-run")
        return True


class RewriteFlink(Scenario):
    def prepare(self):
        d = os.path.join(ROOT, "Fixtures/flink/2.3/hashmap")
        self.src = os.path.join(d, next(n for n in sorted(os.listdir(d)) if n.startswith("savepoint-")))
        base = os.path.join(self.work, "rewrite-flink-base")
        os.makedirs(base)
        ref = os.path.join(base, "ref")
        self.cairn.run(self.argv({"dest": ref}), check=True)
        self.cairn.run(["validate", ref], check=True)
        self.ref = tree(ref)

    def fresh(self, run):
        return {"dest": os.path.join(run, "out"), "run": run}

    def argv(self, ctx):
        return ["rewrite", self.src, ctx["dest"], "--drop-operator", "union-sink", "--rename-uid", "throttle=throttle-v2"]

    def verify(self, ctx):
        names = [n for n in os.listdir(ctx["run"]) if not any(m in n for m in TEMP_MARKERS)]
        if names not in ([], ["out"]):
            raise Violation(f"unexpected files beside DEST: {names}")
        present = bool(names)
        if present:
            if tree(ctx["dest"]) != self.ref:
                raise Violation("DEST present but not equal, file for file, to a normal run's output")
            v = self.cairn.run(["validate", ctx["dest"]])
            if v.returncode != 0:
                raise Violation(f"DEST present but validate exited {v.returncode}")
        p = self.cairn.run(self.argv(ctx))
        if present:
            # DEST is already whole: the re-run must refuse to overwrite it (exit 2) and leave it unchanged.
            if p.returncode not in (0, 2) or (p.returncode == 2 and "exists" not in p.stderr):
                return False
        elif p.returncode != 0:
            return False
        if tree(ctx["dest"]) != self.ref or self.cairn.run(["validate", ctx["dest"]]).returncode != 0:
            raise Violation("after the re-run DEST is not the complete output")
        no_litter(ctx["run"], "after the re-run")
        return True


class Generate(Scenario):
    CHECKPOINTS = 3

    def prepare(self):
        base = os.path.join(self.work, "generate-base")
        os.makedirs(base)
        ref = os.path.join(base, "ref")
        self.cairn.run(self.argv({"dest": ref}), check=True)
        self.ref = {}
        for n in sorted(os.listdir(ref)):
            self.cairn.run(["validate", os.path.join(ref, n), "--deep"], check=True)
            self.ref[n] = sha(os.path.join(ref, n))
        if sorted(self.ref) != [f"chk-{c}.cairn" for c in range(1, self.CHECKPOINTS + 1)]:
            raise RuntimeError(f"generate wrote {sorted(self.ref)}")

    def fresh(self, run):
        return {"dest": os.path.join(run, "out"), "run": run}

    def argv(self, ctx):
        return ["generate", ctx["dest"], "--preset", "small", "--checkpoints", str(self.CHECKPOINTS), "--seed", "5"]

    def verify(self, ctx):
        if os.path.isdir(ctx["dest"]):
            for n in os.listdir(ctx["dest"]):
                if any(m in n for m in TEMP_MARKERS):
                    continue
                if n not in self.ref:
                    raise Violation(f"unexpected file {n} in DEST")
                if sha(os.path.join(ctx["dest"], n)) != self.ref[n]:
                    v = self.cairn.run(["validate", os.path.join(ctx["dest"], n), "--deep"])
                    raise Violation(f"{n} present but not complete (validate --deep exited {v.returncode})")
        p = self.cairn.run(self.argv(ctx))
        if p.returncode != 0:
            return False
        got = {n: sha(os.path.join(ctx["dest"], n)) for n in os.listdir(ctx["dest"]) if not any(m in n for m in TEMP_MARKERS)}
        if got != self.ref:
            raise Violation("after the re-run the outputs are not the complete ones")
        no_litter(ctx["run"], "after the re-run")
        return True


class S3Server:
    """SeaweedFS on 127.0.0.1 through scripts/s3-test-server.py, as the tests start it; stopped by closing its stdin."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts/s3-test-server.py"), "weed"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("scripts/s3-test-server.py weed did not start (run scripts/install-deps.sh)")
        self.info = json.loads(line)

    def environment(self):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": self.info["accessKeyId"], "AWS_SECRET_ACCESS_KEY": self.info["secretAccessKey"],
                    "AWS_REGION": self.info["region"], "AWS_ENDPOINT_URL": self.info["endpoint"]})
        return env

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


class PushS3(Push):
    """push to S3: each run gets a fresh key prefix holding the earlier snapshot (pushed there first)."""

    server = None

    def prepare(self):
        if PushS3.server is None:
            PushS3.server = S3Server()
        self.cairn.env = PushS3.server.environment()
        self.bucket = PushS3.server.info["bucket"]
        rng = random.Random("push-data")
        base = os.path.join(self.work, "push-base")
        self.v1, self.v2 = os.path.join(base, "v1"), os.path.join(base, "v2")
        os.makedirs(self.v1)
        for i in range(4):
            write_random(os.path.join(self.v1, f"part-{i}"), self.scale, rng)
        shutil.copytree(self.v1, self.v2)
        write_random(os.path.join(self.v2, "part-1"), self.scale, rng)
        write_random(os.path.join(self.v2, "part-4"), self.scale, rng)
        self.src = os.path.join(base, "src")
        self.trees = {"v1": tree(self.v1), "v2": tree(self.v2)}
        self.runs = 0

    def fresh(self, run):
        self.runs += 1
        store = f"s3://{self.bucket}/crash-{os.getpid()}-{self.runs}-{random.randrange(1 << 30)}"
        if os.path.exists(self.src):
            shutil.rmtree(self.src)
        shutil.copytree(self.v1, self.src)
        self.cairn.run(["push", self.src, store], check=True)
        self.before = self.cairn.snapshots(store)
        shutil.rmtree(self.src)
        shutil.copytree(self.v2, self.src)
        return {"store": store, "run": run}

    def no_store_litter(self, ctx):
        pass  # an object store holds no temporary objects (uploads are single PUTs; packs stay below the multipart size)


class BackupWatch(Scenario):
    """backup --watch of a Flink job with three checkpoints into a fresh local store."""

    JOB = "Fixtures/flink/2.3/rocksdb-incremental/ed57ef9367947a2619891a87077f6ec7"

    def prepare(self):
        self.job = os.path.join(ROOT, self.JOB)
        self.checkpoints = sorted(n for n in os.listdir(self.job) if n.startswith("chk-"))
        base = os.path.join(self.work, "backup-base")
        os.makedirs(base)
        ref = os.path.join(base, "ref-store")
        self.cairn.run(["backup", self.job, ref, "--settle", "0"], check=True)
        self.ids = sorted(s["checkpointId"] for s in json.loads(self.cairn.run(["snapshots", ref, "--json"], check=True).stdout))
        if len(self.ids) != len(self.checkpoints):
            raise RuntimeError(f"backup stored {self.ids} of {self.checkpoints}")

    def fresh(self, run):
        return {"store": os.path.join(run, "store"), "run": run}

    def argv(self, ctx):
        return ["backup", self.job, ctx["store"], "--watch", "--interval", "1s", "--settle", "0", "--json"]

    def measured_argv(self, ctx):
        return ["backup", self.job, ctx["store"], "--settle", "0"]

    def stored(self, ctx):
        p = self.cairn.run(["snapshots", ctx["store"], "--json"])
        if p.returncode != 0:
            raise Violation(f"snapshots exited {p.returncode}: {p.stderr.strip()}")
        return {s["checkpointId"]: s["id"] for s in json.loads(p.stdout)}

    def whole(self, ctx, snapshot, when):
        out = os.path.join(ctx["run"], "pull-" + snapshot[:12] + "-" + str(time.monotonic_ns()))
        p = self.cairn.run(["pull", ctx["store"], snapshot, out])
        if p.returncode != 0:
            raise Violation(f"{when}: pull {snapshot[:12]} exited {p.returncode}: {p.stderr.strip()}")
        for rel, digest in tree(out).items():
            if sha(os.path.join(self.job, rel)) != digest:
                raise Violation(f"{when}: {rel} of snapshot {snapshot[:12]} does not pull byte-identical")
        shutil.rmtree(out)

    def verify(self, ctx):
        if os.path.exists(os.path.join(ctx["store"], "config")):
            p = self.cairn.run(["check", ctx["store"], "--read-data"])
            if p.returncode != 0:
                raise Violation(f"after the kill: check --read-data exited {p.returncode}: {(p.stdout + p.stderr).strip()[-400:]}")
            for cid, sid in self.stored(ctx).items():
                self.whole(ctx, sid, "after the kill")
        # Re-run with --watch; stop it with SIGTERM once its first round is reported.
        proc = subprocess.Popen([self.cairn.binary] + self.argv(ctx), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise Violation("the re-run did not stop after SIGTERM")
        if proc.returncode != 0 or not first:
            return False
        p = self.cairn.run(["check", ctx["store"], "--read-data"])
        if p.returncode != 0:
            raise Violation(f"after the re-run: check --read-data exited {p.returncode}: {(p.stdout + p.stderr).strip()[-400:]}")
        stored = self.stored(ctx)
        if sorted(stored) != self.ids:
            raise Violation(f"after the re-run the store holds checkpoints {sorted(stored)}, not {self.ids}")
        for sid in stored.values():
            self.whole(ctx, sid, "after the re-run")
        no_litter(ctx["store"], "after the re-run")
        return True


SCENARIOS = {"push": Push, "push-s3": PushS3, "prune": Prune, "rewrite-native": RewriteNative, "rewrite-flink": RewriteFlink,
             "generate": Generate, "backup-watch": BackupWatch}


def measure(scenario, work):
    """One normal, unkilled run on fresh inputs: how long the command takes (the best of two)."""
    best = None
    for k in range(2):
        run = os.path.join(work, f"measure-{k}")
        os.makedirs(run)
        ctx = scenario.fresh(run)
        argv = scenario.measured_argv(ctx) if hasattr(scenario, "measured_argv") else scenario.argv(ctx)
        t = time.monotonic()
        p = scenario.cairn.run(argv)
        elapsed = time.monotonic() - t
        if p.returncode != 0:
            raise RuntimeError(f"a normal run of {argv} exited {p.returncode}: {p.stderr.strip()}")
        shutil.rmtree(run)
        best = elapsed if best is None else min(best, elapsed)
    return best


def one_run(scenario, name, seed, i, normal, work):
    rng = random.Random(f"{seed}:{name}:{i}")
    delay = rng.uniform(0, normal)
    run = os.path.join(work, f"run-{i}")
    os.makedirs(run)
    ctx = scenario.fresh(run)
    proc = subprocess.Popen([scenario.cairn.binary] + scenario.argv(ctx), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=scenario.cairn.env)
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    status = proc.wait()
    result = {"run": i, "delay": round(delay, 4), "killed": killed and status == -signal.SIGKILL, "exit": status,
              "violation": None, "rerun": False}
    result["litter"] = litter(run)
    try:
        result["rerun"] = scenario.verify(ctx)
    except Violation as v:
        result["violation"] = str(v)
    if result["violation"] is None:
        shutil.rmtree(run)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cairn", default=os.environ.get("CAIRN", os.path.join(ROOT, ".build/debug/cairn")))
    ap.add_argument("--runs", type=int, default=200, help="kill points per command")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--commands", default=",".join(COMMANDS))
    ap.add_argument("--scale", type=int, default=2 << 20, help="bytes per source file of push and prune")
    ap.add_argument("--work", help="work directory (kept); a temporary one otherwise (removed)")
    ap.add_argument("--only", help="COMMAND:RUN, to repeat one run")
    ap.add_argument("--json", help="write the summary as JSON to this file")
    args = ap.parse_args()

    cairn = Cairn(os.path.abspath(args.cairn))
    if not os.access(cairn.binary, os.X_OK):
        sys.exit(f"no cairn binary at {cairn.binary}; run swift build or give --cairn")
    work = args.work or tempfile.mkdtemp(prefix="cairn-crash-")
    os.makedirs(work, exist_ok=True)
    names = [args.only.split(":")[0]] if args.only else args.commands.split(",")
    runs = [int(args.only.split(":")[1])] if args.only else range(args.runs)
    summary, failed = {"seed": args.seed, "commands": {}}, False
    try:
        for name in names:
            start = time.monotonic()
            cwork = os.path.join(work, name)
            if os.path.exists(cwork):
                shutil.rmtree(cwork)
            os.makedirs(cwork)
            scenario = SCENARIOS[name](cairn, cwork, args.scale)
            scenario.prepare()
            normal = measure(scenario, cwork)
            results = [one_run(scenario, name, args.seed, i, normal, cwork) for i in runs]
            violations = [r for r in results if r["violation"]]
            s = {"normalSeconds": round(normal, 3), "killPoints": len(results),
                 "killedMidRun": sum(r["killed"] for r in results),
                 "finishedBeforeKill": sum(not r["killed"] for r in results),
                 "violations": len(violations), "reruns": sum(r["rerun"] for r in results),
                 "litter": sum(r["litter"] for r in results), "seconds": round(time.monotonic() - start, 1),
                 "failures": [{"run": r["run"], "delay": r["delay"], "violation": r["violation"]} for r in violations]}
            summary["commands"][name] = s
            print(f"{name:15} {s['killPoints']:4} kill points ({s['killedMidRun']} mid-run, {s['finishedBeforeKill']} after the end; "
                  f"normal run {normal:.3f} s)  violations {s['violations']}  re-runs {s['reruns']}/{s['killPoints']}  "
                  f"litter {s['litter']}  {s['seconds']} s", flush=True)
            for f in s["failures"]:
                print(f"  VIOLATION {name}:{f['run']} (delay {f['delay']} s, kept in {cwork}/run-{f['run']}): {f['violation']}", flush=True)
            if violations or s["reruns"] != s["killPoints"]:
                failed = True
    finally:
        if PushS3.server is not None:
            PushS3.server.stop()
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(summary, fh, indent=2)
        if not args.work and not failed:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
