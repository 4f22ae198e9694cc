#!/usr/bin/env python3
"""Store soak against a hostile S3 (issue 14, item 2): nothing a push reported as stored is ever lost.

    Benchmarks/soak/soak.py --cairn .build/release/cairn [--seconds 600] [--seed 1] [--short]

Starts SeaweedFS (scripts/s3-test-server.py weed) and scripts/fault-proxy.py in front of it, which fails a share of
the requests in every way it knows (500, 503 SlowDown and ServiceUnavailable, connections dropped or reset before
and in the middle of a body, bodies cut short with a matching Content-Length, latency spikes, requests stalled for
seconds, and creates answered 412 after they were written). Through the proxy, for --seconds:
  - 3 pushers, each pushing its own series of `cairn generate` checkpoints (own seed and change rate) in a loop,
    recording the sha256 of every file it pushed and the snapshot id and `created` flag push reported;
  - a pruner: `prune --keep-last 3 --grace GRACE`, again and again;
  - a puller: pulls one of the newest 3 snapshots of a series and compares it with what was pushed;
  - a checker: `check --read-data`.
Every --checkpoint seconds, and at the end, the workers pause and the soak verifies, straight against SeaweedFS
(no faults): after one more prune, every snapshot a push reported as created is either listed and pulls
byte-identical, or was legitimately forgotten (not among the newest 3 created of its series); `check --read-data`
is clean; no pack that no index names is older than the grace period (plus the time since that prune started),
by SeaweedFS's own clock. Any other outcome counts as data lost.

At the end every captured stdout, stderr and --json output (cairn's, the proxy's) is searched for the S3 secret
key, which must appear 0 times. The report goes to Benchmarks/soak-results.md (or --report) and a JSON summary to
stdout; the exit status is 1 when anything was lost, a check failed or the secret leaked.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "format-spec", "reader"))
import store_reader  # noqa: E402  (the independent reader: parses index objects for the orphan check)

ALL_FAULTS = "500,503,unavailable,drop,reset,reset-body,truncate,latency,stall,race412"
SERIES = 3
KEEP_LAST = 3


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Helper:
    """A script of scripts/ that prints one JSON line when ready and runs until its stdin closes."""

    def __init__(self, script, *args, log=None):
        self.log = log
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", script), *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(log, "wb") if log else subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"scripts/{script} did not start" + (f"; see {log}" if log else ""))
        self.info = json.loads(line)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode("utf-8", "replace"))

    def stop(self):
        """Closes stdin, waits for the script to clean up; returns what it printed after its first line."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        return "".join(self.lines)


class Soak:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        self.logs = os.path.join(self.work, "logs")
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.ops = {}            # command -> {"ok": n, "failed": n}
        self.failures = {}       # command -> {exit status: n}
        self.retries = {}        # command -> retries reported in --json requests
        self.records = []        # pushes that succeeded: dicts (series, n, id, created, sha, at)
        self.removed = set()     # ids some prune reported removing
        self.problems = []       # data lost, failed checks: strings
        self.checkpoints = []    # summaries of each verification
        self.log_number = 0
        self.stop = threading.Event()
        self.paused = threading.Event()
        self.idle = threading.Condition()
        self.busy = 0

    # ---- running cairn -------------------------------------------------------------------------------------------

    def cairn(self, name, argv, direct=False, timeout=900):
        """Runs cairn, keeps its stdout and stderr in logs/, counts the outcome. Returns (status, stdout, stderr)."""
        env = dict(os.environ)
        env.update(self.direct_env if direct else self.proxy_env)
        with self.lock:
            self.log_number += 1
            base = os.path.join(self.logs, f"{self.log_number:06d}-{name}{'-direct' if direct else ''}")
        try:
            p = subprocess.run([self.args.cairn, *argv], env=env, capture_output=True, timeout=timeout)
            status, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            status, out, err = -1, e.stdout or b"", (e.stderr or b"") + b"\n[soak: timed out]"
        with open(base + ".out", "wb") as f:
            f.write(out)
        with open(base + ".err", "wb") as f:
            f.write(err)
        key = name + (" (verify)" if direct else "")
        with self.lock:
            counts = self.ops.setdefault(key, {"ok": 0, "failed": 0})
            counts["ok" if status == 0 else "failed"] += 1
            if status != 0:
                by = self.failures.setdefault(key, {})
                by[str(status)] = by.get(str(status), 0) + 1
            if status == 0 and b'"requests"' in out:
                try:
                    r = json.loads(out).get("requests", {}).get("retries")
                    if isinstance(r, int):
                        self.retries[key] = self.retries.get(key, 0) + r
                except ValueError:
                    pass
        return status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    # ---- pausing for checkpoints ---------------------------------------------------------------------------------

    def begin(self):
        """Waits while a checkpoint runs; then marks one operation in flight. False once the soak is over."""
        with self.idle:
            while self.paused.is_set() and not self.stop.is_set():
                self.idle.wait(0.5)
            if self.stop.is_set():
                return False
            self.busy += 1
            return True

    def end(self):
        with self.idle:
            self.busy -= 1
            self.idle.notify_all()

    def pause(self):
        with self.idle:
            self.paused.set()
            while self.busy:
                self.idle.wait(0.5)

    def resume(self):
        with self.idle:
            self.paused.clear()
            self.idle.notify_all()

    # ---- workers -------------------------------------------------------------------------------------------------

    def pusher(self, series):
        n = 0
        files = self.series_files[series]
        while self.begin():
            try:
                path = files[n % len(files)]
                n += 1
                status, out, err = self.cairn("push", ["push", path, self.store, "--json"])
                if status == 0:
                    report = json.loads(out)
                    with self.lock:
                        self.records.append({"series": series, "file": path, "id": report["snapshot"],
                                             "created": report["created"], "sha": self.sha[path], "at": time.time()})
            finally:
                self.end()
            # Shared locks of back-to-back pushes would overlap for ever and starve prune of its exclusive lock.
            self.stop.wait(self.rng.uniform(0.5, 3))

    def pruner(self):
        while self.begin():
            try:
                status, out, _ = self.cairn("prune", ["prune", self.store, "--keep-last", str(KEEP_LAST), "--grace",
                                                      f"{self.args.grace}s", "--lock-wait", "60", "--json"])
                if status == 0:
                    with self.lock:
                        self.removed.update(json.loads(out)["removed"])
            finally:
                self.end()
            self.stop.wait(self.rng.uniform(1, 4))

    def newest_created(self, series):
        with self.lock:
            created = [r for r in self.records if r["series"] == series and r["created"]]
        return created[-KEEP_LAST:]

    def puller(self):
        dest = os.path.join(self.work, "pull-loop")
        while self.begin():
            try:
                choices = self.newest_created(self.rng.randrange(SERIES))
                if not choices:
                    self.stop.wait(0.5)
                    continue
                record = self.rng.choice(choices)
                shutil.rmtree(dest, ignore_errors=True)
                status, _, err = self.cairn("pull", ["pull", self.store, record["id"], dest, "--json"])
                if status == 0:
                    got = os.path.join(dest, os.path.basename(record["file"]))
                    if not os.path.exists(got) or sha256_file(got) != record["sha"]:
                        self.problem(f"pull {record['id'][:12]} through the proxy gave bytes other than were pushed")
                elif status == 1:
                    # Exit 1 is a finding about the store (a missing or damaged chunk), never a transport failure.
                    self.problem(f"pull {record['id'][:12]} through the proxy found the store damaged: {err.strip()[-400:]}")
            finally:
                self.end()
            self.stop.wait(self.rng.uniform(0.5, 2))

    def checker(self):
        while self.begin():
            try:
                status, out, err = self.cairn("check", ["check", self.store, "--read-data", "--json"])
                if status == 1:
                    self.problem(f"check --read-data through the proxy found problems: {out.strip()[-600:]} {err.strip()[-300:]}")
            finally:
                self.end()
            self.stop.wait(self.rng.uniform(2, 6))

    def problem(self, text):
        with self.lock:
            self.problems.append(f"{datetime.now(timezone.utc).strftime('%H:%M:%S')} {text}")
        print("PROBLEM:", text, file=sys.stderr, flush=True)

    # ---- verification --------------------------------------------------------------------------------------------

    def s3(self, method, key="", query="", body=b""):
        """A signed request straight to SeaweedFS (no proxy), with the reader's own minimal SigV4."""
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        import urllib.request
        info = self.server.info
        url = f"{info['endpoint']}/{info['bucket']}/{urllib.parse.quote(key)}" + (f"?{query}" if query else "")
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
        botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(info["accessKeyId"], info["secretAccessKey"]),
                                  "s3", info["region"]).add_auth(req)
        r = urllib.request.Request(url, data=body if method == "PUT" else None, method=method, headers=dict(req.headers))
        with urllib.request.urlopen(r, timeout=120) as resp:
            return resp.read(), dict(resp.headers)

    def list_objects(self, prefix):
        import xml.etree.ElementTree as ET
        out, token = [], None
        while True:
            q = {"list-type": "2", "prefix": prefix}
            if token:
                q["continuation-token"] = token
            body, _ = self.s3("GET", "", urllib.parse.urlencode(sorted(q.items()), quote_via=urllib.parse.quote))
            root = ET.fromstring(body)
            ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            for c in root.findall(f"{ns}Contents"):
                modified = datetime.fromisoformat(c.find(f"{ns}LastModified").text.replace("Z", "+00:00")).timestamp()
                out.append((c.find(f"{ns}Key").text, modified))
            if root.findtext(f"{ns}IsTruncated") != "true":
                return out
            token = root.findtext(f"{ns}NextContinuationToken")

    def store_now(self):
        """SeaweedFS's clock: the LastModified it gives an object written now."""
        self.s3("PUT", "soak-clock/now", body=b"now")
        return dict(self.list_objects("soak-clock/"))["soak-clock/now"]

    def verify(self, label):
        started = time.time()
        print(f"[{label}] verifying", file=sys.stderr, flush=True)
        summary = {"label": label, "at": round(started - self.t0, 1)}
        prune_start = self.store_now()
        status, out, err = self.cairn("prune", ["prune", self.store, "--keep-last", str(KEEP_LAST), "--grace",
                                                f"{self.args.grace}s", "--lock-wait", "120", "--json"], direct=True)
        if status == 0:
            with self.lock:
                self.removed.update(json.loads(out)["removed"])
        else:
            self.problem(f"[{label}] prune straight against SeaweedFS failed ({status}): {err.strip()[-400:]}")
        status, out, err = self.cairn("snapshots", ["snapshots", self.store, "--json"], direct=True)
        if status != 0:
            self.problem(f"[{label}] snapshots failed ({status}): {err.strip()[-400:]}")
            return
        listed = {s["id"] for s in json.loads(out)}
        with self.lock:
            records = list(self.records)
        created = [r for r in records if r["created"]]
        must_exist = set()
        for series in range(SERIES):
            for r in [r for r in created if r["series"] == series][-KEEP_LAST:]:
                must_exist.add(r["id"])
        lost = sorted(must_exist - listed)
        for i in lost:
            self.problem(f"[{label}] snapshot {i[:12]} is among the newest {KEEP_LAST} created of its series but is not listed: LOST")
        pulled = identical = 0
        dest = os.path.join(self.work, "pull-verify")
        seen = set()
        for r in reversed(created):
            if r["id"] not in listed or r["id"] in seen:
                continue
            seen.add(r["id"])
            shutil.rmtree(dest, ignore_errors=True)
            status, _, err = self.cairn("pull", ["pull", self.store, r["id"], dest, "--json"], direct=True)
            pulled += 1
            got = os.path.join(dest, os.path.basename(r["file"]))
            if status == 0 and os.path.exists(got) and sha256_file(got) == r["sha"]:
                identical += 1
            else:
                self.problem(f"[{label}] snapshot {r['id'][:12]} is listed but does not pull byte-identical "
                             f"(exit {status}): {err.strip()[-400:]}: LOST")
        status, out, err = self.cairn("check", ["check", self.store, "--read-data", "--json"], direct=True)
        check_clean = status == 0
        if not check_clean:
            self.problem(f"[{label}] check --read-data straight against SeaweedFS: exit {status}: {out.strip()[-600:]} {err.strip()[-300:]}")
        # Orphans: packs that no index names, by SeaweedFS's clock.
        prefix = self.prefix + "/"
        indexed = set()
        for key, _ in self.list_objects(prefix + "index/"):
            body, _ = self.s3("GET", key)
            indexed.update(store_reader.parse_index(key[len(prefix):], body).keys())
        now = self.store_now()
        allowed = self.args.grace + (now - prune_start) + 2
        orphans = [(k, now - m) for k, m in self.list_objects(prefix + "packs/") if k.rsplit("/", 1)[-1] not in indexed]
        old = [(k, a) for k, a in orphans if a > allowed]
        for k, a in old:
            self.problem(f"[{label}] orphan pack {k.rsplit('/', 1)[-1][:12]} is {a:.0f} s old, older than the grace period allows ({allowed:.0f} s)")
        summary.update({"listed": len(listed), "createdSoFar": len(created), "mustExist": len(must_exist), "lost": len(lost),
                        "pulled": pulled, "identical": identical, "checkClean": check_clean, "orphans": len(orphans),
                        "orphansTooOld": len(old), "seconds": round(time.time() - started, 1)})
        self.checkpoints.append(summary)
        print(f"[{label}] {json.dumps(summary)}", file=sys.stderr, flush=True)

    # ---- the run -------------------------------------------------------------------------------------------------

    def prepare(self):
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.logs)
        self.series_files, self.sha = [], {}
        for s in range(SERIES):
            d = os.path.join(self.work, f"series-{s}")
            status, _, err = self.cairn("generate", ["generate", d, "--preset", self.args.preset, "--checkpoints",
                                                     str(self.args.checkpoints), "--seed", str(self.args.seed * 100 + s),
                                                     "--change-rate", f"{0.02 + 0.04 * s:.2f}"], direct=True)
            if status != 0:
                raise SystemExit(f"cairn generate failed: {err}")
            files = sorted((os.path.join(d, f) for f in os.listdir(d) if f.endswith(".cairn")),
                           key=lambda p: int(os.path.basename(p)[4:-6]))
            self.series_files.append(files)
            for f in files:
                self.sha[f] = sha256_file(f)

    def run(self):
        a = self.args
        os.makedirs(self.work, exist_ok=True)
        self.direct_env = {}
        self.proxy_env = {}
        self.server = Helper("s3-test-server.py", "weed", log=os.path.join(self.work, "weed-launcher.log"))
        info = self.server.info
        self.proxy = None
        try:
            self.proxy = Helper("fault-proxy.py", info["endpoint"], "--fail-rate", str(a.fail_rate), "--seed", str(a.seed),
                                "--faults", a.faults, "--latency-max", str(a.latency_max), "--stall-seconds", str(a.stall_seconds),
                                log=os.path.join(self.work, "proxy.err"))
            base = {"AWS_ACCESS_KEY_ID": info["accessKeyId"], "AWS_SECRET_ACCESS_KEY": info["secretAccessKey"],
                    "AWS_REGION": info["region"]}
            self.direct_env = dict(base, AWS_ENDPOINT_URL=info["endpoint"])
            self.proxy_env = dict(base, AWS_ENDPOINT_URL=self.proxy.info["endpoint"])
            self.prefix = f"soak-{a.seed}"
            self.store = f"s3://{info['bucket']}/{self.prefix}"
            self.prepare()
            self.t0 = time.time()
            workers = [threading.Thread(target=self.pusher, args=(s,), daemon=True) for s in range(SERIES)]
            workers += [threading.Thread(target=f, daemon=True) for f in (self.pruner, self.puller, self.checker)]
            for w in workers:
                w.start()
            next_checkpoint = self.t0 + a.checkpoint
            end = self.t0 + a.seconds
            number = 0
            while time.time() < end:
                time.sleep(max(0.0, min(1.0, end - time.time())))
                if time.time() >= next_checkpoint and time.time() < end - a.checkpoint / 3:
                    number += 1
                    self.pause()
                    self.verify(f"checkpoint {number}")
                    self.resume()
                    next_checkpoint = time.time() + a.checkpoint
            self.pause()
            self.stop.set()
            self.resume()
            for w in workers:
                w.join(timeout=900)
            self.elapsed = time.time() - self.t0
            self.verify("end")
        finally:
            proxy_out = self.proxy.stop() if self.proxy else ""
            self.server.stop()
        with open(os.path.join(self.logs, "proxy.out"), "w") as f:
            f.write(proxy_out)
        self.proxy_report = {}
        for line in proxy_out.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if "requests" in obj:
                self.proxy_report = obj
        return self.report(info["secretAccessKey"])

    def report(self, secret):
        needle = secret.encode()
        scanned = hits = 0
        hit_files = []
        for dirpath, _, names in os.walk(self.work):
            for n in names:
                if not (n.endswith((".out", ".err", ".log")) or n == "proxy.err"):
                    continue
                scanned += 1
                with open(os.path.join(dirpath, n), "rb") as f:
                    c = f.read().count(needle)
                if c:
                    hits += c
                    hit_files.append(os.path.relpath(os.path.join(dirpath, n), self.work))
        if hits:
            self.problem(f"the S3 secret key appears {hits} times in captured output: {hit_files[:5]}")
        created = [r for r in self.records if r["created"]]
        lost = sum(c["lost"] + (c["pulled"] - c["identical"]) for c in self.checkpoints)
        faults = self.proxy_report.get("faults", {})
        summary = {
            "seconds": round(self.elapsed, 1), "seed": self.args.seed, "failRate": self.args.fail_rate,
            "graceSeconds": self.args.grace, "operations": self.ops, "failuresByExitStatus": self.failures,
            "retriesReported": self.retries, "pushesSucceeded": len(self.records), "snapshotsCreated": len(created),
            "distinctSnapshotsCreated": len({r["id"] for r in created}), "removedByPrune": len(self.removed),
            "proxy": self.proxy_report, "faultsInjected": sum(faults.values()), "checkpoints": self.checkpoints,
            "dataLost": lost, "secretLeaks": hits, "filesScannedForSecret": scanned, "problems": self.problems,
        }
        return summary


def markdown(s, args):
    ops = s["operations"]
    lines = [
        "# Store soak against a hostile S3",
        "",
        f"`Benchmarks/soak/soak.py` (`make soak`), {datetime.now(timezone.utc).strftime('%Y-%m-%d')}: "
        f"{s['seconds']:.0f} s, seed {s['seed']}, fault rate {s['failRate']} per request, grace {s['graceSeconds']} s, "
        f"preset `{args.preset}` × {args.checkpoints} checkpoints per series, cairn `{os.path.relpath(args.cairn, ROOT) if args.cairn.startswith(ROOT) else args.cairn}`.",
        "SeaweedFS behind scripts/fault-proxy.py; 3 pushers, a pruner, a puller and a checker running at once "
        "through the proxy; checkpoints verified straight against SeaweedFS. 2 shared cores.",
        "",
        "| Result | Value |",
        "|---|---:|",
        f"| Data lost | **{s['dataLost']}** |",
        f"| Secret key in captured output ({s['filesScannedForSecret']} files) | **{s['secretLeaks']}** |",
        f"| Problems | {len(s['problems'])} |",
        f"| Faults injected | {s['faultsInjected']} of {s['proxy'].get('requests', 0)} requests |",
        f"| Retries (from `--json` requests.retries) | {sum(s['retriesReported'].values())} |",
        f"| Successful pushes / snapshots created (distinct) | {s['pushesSucceeded']} / {s['snapshotsCreated']} ({s['distinctSnapshotsCreated']}) |",
        f"| Snapshots forgotten by prune | {s['removedByPrune']} |",
        "",
        "## Operations",
        "",
        "| Command | Succeeded | Failed (by exit status) | Retries reported |",
        "|---|---:|---:|---:|",
    ]
    for name in sorted(ops):
        fails = ", ".join(f"{k}: {v}" for k, v in sorted(s["failuresByExitStatus"].get(name, {}).items())) or "0"
        lines.append(f"| {name} | {ops[name]['ok']} | {ops[name]['failed']} ({fails}) | {s['retriesReported'].get(name, 0)} |")
    lines += ["", "## Faults injected", "", "| Kind | Count |", "|---|---:|"]
    for k, v in sorted(s["proxy"].get("faults", {}).items()):
        lines.append(f"| {k} | {v} |")
    lines += ["", "Requests by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(s["proxy"].get("kinds", {}).items())), ""]
    lines += ["## Checkpoints", "", "| Checkpoint | At (s) | Listed | Must exist | Lost | Pulled | Identical | check --read-data | Orphan packs | Older than grace |",
              "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for c in s["checkpoints"]:
        lines.append(f"| {c['label']} | {c['at']} | {c['listed']} | {c['mustExist']} | {c['lost']} | {c['pulled']} | {c['identical']} | "
                     f"{'clean' if c['checkClean'] else 'PROBLEMS'} | {c['orphans']} | {c['orphansTooOld']} |")
    lines += ["", "## Problems", ""]
    lines += [f"- {p}" for p in s["problems"]] or ["None."]
    lines += ["", "Failed operations are expected under faults (a command gives up after its retries, or a prune finds the "
              "store locked); what must never happen is a reported snapshot that is gone or different, a store that "
              "`check --read-data` finds damaged, an old orphan, or the secret in any output.", ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cairn", default=os.path.join(ROOT, ".build", "release", "cairn"))
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--checkpoint", type=float, default=150, help="seconds between verifications during the run")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--fail-rate", type=float, default=0.05)
    p.add_argument("--faults", default=ALL_FAULTS)
    p.add_argument("--latency-max", type=float, default=2.0)
    p.add_argument("--stall-seconds", type=float, default=8.0)
    p.add_argument("--grace", type=int, default=20, help="prune --grace, seconds")
    p.add_argument("--preset", default="small")
    p.add_argument("--checkpoints", type=int, default=12, help="checkpoints generated per series (pushed in a loop)")
    p.add_argument("--work", default=os.path.join(ROOT, "Benchmarks", "work", "soak"))
    p.add_argument("--report", default=os.path.join(ROOT, "Benchmarks", "soak-results.md"))
    p.add_argument("--short", action="store_true", help="CI-size smoke: 60 s, one checkpoint, tiny preset; no report file")
    a = p.parse_args()
    if a.short:
        a.seconds, a.checkpoint, a.preset, a.checkpoints = min(a.seconds, 60), 30, "tiny", 6
    a.cairn = os.path.abspath(a.cairn)
    if not os.access(a.cairn, os.X_OK):
        raise SystemExit(f"{a.cairn} is not an executable; build it first (swift build -c release --product cairn)")
    soak = Soak(a)
    summary = soak.run()
    print(json.dumps(summary, indent=1))
    if not a.short:
        with open(a.report, "w") as f:
            f.write(markdown(summary, a))
    bad = summary["dataLost"] or summary["secretLeaks"] or summary["problems"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
