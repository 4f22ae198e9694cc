#!/usr/bin/env python3
"""Incremental native snapshots (format spec §13): what a checkpoint costs to upload as a delta, side by side with
the same checkpoint written in full; writes Benchmarks/incremental-results.md.

    python3 Benchmarks/incremental_bench.py      # CAIRN_BIN, default .build/debug/cairn (byte counts only, no timing)

One run, on this machine, on the same generated job:
  1. `cairn generate DIR --incremental` (chk-1 full, then deltas) and `cairn generate DIR` (every checkpoint full),
     same preset, seed and change rate, unaligned (in-flight buffers) and aligned;
  2. pushes each series in order into its own local store with `cairn push --json`;
  3. per checkpoint c >= 2 compares the delta's upload (the bytes the push added to the store: its new packs,
     index and manifest) with the full checkpoint's file size, and with the full series' own upload of c;
  4. proves every delta equal to its full checkpoint: `rewrite --compact` of the chain gives the full file's bytes.

Environment: CAIRN_BIN, CAIRN_INCR_PRESET (default demo), CAIRN_INCR_CHECKPOINTS (default 6),
CAIRN_INCR_CHANGE_RATE (default 0.03, `generate`'s default), CAIRN_INCR_SEED (default 1).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAIRN = os.path.abspath(os.environ.get("CAIRN_BIN", os.path.join(ROOT, ".build", "debug", "cairn")))
PRESET = os.environ.get("CAIRN_INCR_PRESET", "demo")
CHECKPOINTS = int(os.environ.get("CAIRN_INCR_CHECKPOINTS", "6"))
RATE = os.environ.get("CAIRN_INCR_CHANGE_RATE", "0.03")
SEED = os.environ.get("CAIRN_INCR_SEED", "1")
RESULTS_MD = os.path.join(ROOT, "Benchmarks", "incremental-results.md")


def run(*args):
    r = subprocess.run([CAIRN, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"cairn {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def tree_size(path):
    total = 0
    for d, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total


def series(work, name, incremental, aligned):
    d = os.path.join(work, name)
    args = ["generate", d, "--preset", PRESET, "--checkpoints", str(CHECKPOINTS), "--seed", SEED,
            "--change-rate", RATE, "--json"]
    if incremental:
        args.append("--incremental")
    if aligned:
        args.append("--aligned")
    written = json.loads(run(*args))
    store = os.path.join(work, name + "-store")
    pushes = []
    for w in written:
        before = tree_size(store) if os.path.exists(store) else 0
        p = json.loads(run("push", w["path"], store, "--json"))
        pushes.append({"file": w["fileSize"], "entries": w["entries"], "base": w["base"],
                       "newBytes": p["newBytes"], "storedBytes": p["storedBytes"],
                       "uploaded": p["uploaded"]["bytes"], "storeGrowth": tree_size(store) - before})
    return d, pushes


def breakdown(path):
    """The delta's own bytes (checkpointedSize) per operator, and the chain's stateSize."""
    doc = json.loads(run("inspect", path, "--json"))
    ops = sorted(doc["operators"], key=lambda o: -o["checkpointedSize"])
    return doc["totals"], [(o["uid"] or o["name"], o["checkpointedSize"], o["stateSize"]) for o in ops]


def mib(n):
    return f"{n / 1048576:,.2f}"


def main():
    if not os.path.exists(CAIRN):
        sys.exit(f"{CAIRN} not found: build cairn first (swift build), or set CAIRN_BIN")
    started = time.time()
    work = tempfile.mkdtemp(prefix="cairn-incr-")
    try:
        results = {}
        for mode, aligned in (("unaligned", False), ("aligned", True)):
            full_dir, full = series(work, f"full-{mode}", False, aligned)
            delta_dir, delta = series(work, f"delta-{mode}", True, aligned)
            compact = os.path.join(work, f"compact-{mode}.cairn")
            last = f"chk-{CHECKPOINTS}.cairn"
            run("rewrite", os.path.join(delta_dir, last), compact, "--compact")
            with open(compact, "rb") as a, open(os.path.join(full_dir, last), "rb") as b:
                identical = a.read() == b.read()
            totals, ops = breakdown(os.path.join(delta_dir, last))
            results[mode] = {"full": full, "delta": delta, "compactedIdentical": identical, "totals": totals, "operators": ops}
        write(results, time.time() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write(results, seconds):
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# Incremental native snapshots: upload of a delta against the full checkpoint",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC by `python3 Benchmarks/incremental_bench.py` in one run "
        f"({seconds:.0f} s), checkout {head}, `{os.path.relpath(CAIRN, ROOT)}`. Byte counts only (no timing): preset `{PRESET}`, "
        f"{CHECKPOINTS} checkpoints, seed {SEED}, `--change-rate {RATE}` (`generate`'s default: 3 % of the keys change per "
        "checkpoint, a quarter of that share expires and as many appear).",
        "",
        "Two series of the same job, side by side: every checkpoint written in full (`cairn generate`), and chk-1 in full "
        "then each checkpoint as a delta on the one before (`cairn generate --incremental`, format spec §13). Each series "
        "is pushed in order into its own local store (`cairn push --json`).",
        "",
        "- **full size**: the full checkpoint's file; **delta file**: the delta's file;",
        "- **delta upload**: what pushing the delta added to its store (the push's `uploaded.bytes`: new packs, index, "
        "manifest); **full upload**: the same for the full checkpoint into the full series' store (content-defined "
        "chunks of the previous full checkpoint are reused there);",
        "- **ratio**: delta upload ÷ full size, the issue's target being ≤ 10 %.",
        "",
    ]
    for mode, r in results.items():
        lines += [f"## {mode} checkpoints" + (" (in-flight buffers in every checkpoint)" if mode == "unaligned" else " (no in-flight buffers)"), "",
                  "| checkpoint | full size MiB | delta file MiB | delta upload MiB | ratio | full upload MiB (dedup against chk-1…) | keyed entries written, full / delta |",
                  "|---|---|---|---|---|---|---|"]
        ratios = []
        for c in range(1, len(r["full"])):
            f, d = r["full"][c], r["delta"][c]
            ratio = d["uploaded"] / f["file"]
            ratios.append(ratio)
            lines.append(f"| {c + 1} | {mib(f['file'])} | {mib(d['file'])} | {mib(d['uploaded'])} | {ratio * 100:.1f} % | "
                         f"{mib(f['uploaded'])} ({f['uploaded'] / f['file'] * 100:.0f} %) | {f['entries']:,} / {d['entries']:,} |")
        met = sum(1 for x in ratios if x <= 0.10)
        verdict = "met" if met == len(ratios) else f"not met: {met} of {len(ratios)} checkpoints within, highest {max(ratios) * 100:.2f} %"
        lines += ["", f"Delta upload ÷ full size: {min(ratios) * 100:.1f}–{max(ratios) * 100:.1f} % "
                      f"(target ≤ 10 %: **{verdict}**). "
                      f"`rewrite --compact` of chk-{CHECKPOINTS}'s chain gives the full chk-{CHECKPOINTS} byte for byte: "
                      f"**{'yes' if r['compactedIdentical'] else 'NO'}**.", "",
                  f"Where the last delta's bytes are (`inspect --json`: `checkpointedSize` = this delta, `stateSize` = with "
                  f"the keyed state of its bases; totals {mib(r['totals']['checkpointedSize'])} / {mib(r['totals']['stateSize'])} MiB):", "",
                  "| operator | checkpointedSize MiB | stateSize MiB |", "|---|---|---|"]
        lines += [f"| {name} | {mib(cs)} | {mib(ss)} |" for name, cs, ss in r["operators"]]
        lines.append("")
    lines += [
        "## Reading the numbers",
        "",
        "A delta holds the changed keys of the aggregation (3 % changed, plus the expired keys' tombstones and the new "
        "keys), but also everything a checkpoint rewrites whatever the change rate: the one-minute windows move on at "
        "every checkpoint (the generator writes such a key group whole after a reset mark, format spec §13.2, when that is "
        "cheaper than its new windows plus tombstones for the closed ones), the in-flight "
        "buffers of unaligned checkpoints are new data, and operator state, splits and the index are written whole in "
        "every delta (format spec §13: only keyed state is incremental). The full series' own upload shows why deltas "
        "matter at this rate: with 3 % of the keys changed nearly every content-defined block of the aggregation "
        "changes, so a full checkpoint uploads most of its size again.",
        "",
    ]
    with open(RESULTS_MD, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {RESULTS_MD}")
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
