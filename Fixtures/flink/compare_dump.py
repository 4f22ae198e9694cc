#!/usr/bin/env python3
"""Compares two JSON Lines state dumps (docs/flink-values.md), e.g. the Java dumper's against `cairn dump --state`.

Usage: compare_dump.py A.jsonl B.jsonl [--max-report N] [--rel-tol X] [--opaque-b]

Normalization: the `operator` field is dropped (the Java dumper writes hex ids, Cairn uid/name); integers are compared
exactly, floating-point numbers numerically (relative tolerance 1e-6 by default, so a float32 printed as 1.1 by Java and
as 1.100000023841858 elsewhere compares equal; an integer and a float compare as numbers); arrays of
{"key", "value"} objects (MapSerializer / RowData MAP values, whose entry order is backend-dependent) are sorted by the
rendered key; lines are matched by (state, keyGroup, key, namespace, userKey), and lines with the same identity
(e.g. several timers of one key) are paired after sorting their values.

With --opaque-b, a value that B prints as opaque (`{"$opaque", "$bytes"}`: Cairn shows a value holding a Kryo field
whole, undecoded) where A decodes it is counted as "opaque" instead of a difference; without it, it differs.

Prints a summary per state (lines in A / B, only in A, only in B, value differences), then up to N examples of each
kind with the path of the first difference. Exit status 0 when the dumps are equal, 1 when they differ, 2 on bad input.
"""
import collections
import json
import math
import sys


def is_map_entries(v):
    return isinstance(v, list) and v and all(isinstance(e, dict) and set(e) == {"key", "value"} for e in v)


def canon(v):
    """Canonical text of a normalized value (floats rounded to 9 significant digits, only for ordering)."""
    return json.dumps(norm(v, for_sort=True), sort_keys=True, separators=(",", ":"))


def norm(v, for_sort=False):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if for_sort:
            if v == int(v) and abs(v) < 2**53:
                return int(v)
            return float("%.9g" % v)
        return v
    if isinstance(v, dict):
        return {k: norm(x, for_sort) for k, x in v.items()}
    if isinstance(v, list):
        items = [norm(x, for_sort) for x in v]
        if is_map_entries(v):
            items.sort(key=lambda e: json.dumps(norm(e["key"], True), sort_keys=True))
        return items
    return v


OPAQUE_B = {"allowed": False, "count": 0}


def is_opaque(v):
    return isinstance(v, dict) and set(v) == {"$opaque", "$bytes"}


def first_difference(a, b, rel_tol, path="value"):
    """None when equal, else a description of the first difference."""
    if OPAQUE_B["allowed"] and is_opaque(b) and not is_opaque(a):
        OPAQUE_B["count"] += 1
        return None
    if isinstance(a, bool) or isinstance(b, bool):
        return None if a is b or (type(a) is type(b) and a == b) else "%s: %s != %s" % (path, j(a), j(b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return None if a == b else "%s: %d != %d" % (path, a, b)
        if math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=1e-12):
            return None
        return "%s: %r != %r" % (path, a, b)
    if type(a) is not type(b):
        return "%s: %s != %s" % (path, j(a), j(b))
    if isinstance(a, dict):
        if set(a) != set(b):
            return "%s: fields %s != %s" % (path, sorted(a), sorted(b))
        for k in a:
            d = first_difference(a[k], b[k], rel_tol, "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d elements != %d elements (%s vs %s)" % (path, len(a), len(b), short(a), short(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, rel_tol, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %s != %s" % (path, j(a), j(b))


def j(v):
    return short(json.dumps(v))


def short(v, n=160):
    s = v if isinstance(v, str) else json.dumps(v)
    return s if len(s) <= n else s[: n - 3] + "..."


def load(path):
    groups = collections.defaultdict(list)
    per_state = collections.Counter()
    with open(path) as f:
        for no, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                d = json.loads(line)
            except ValueError as e:
                print("%s:%d: not JSON: %s" % (path, no, e), file=sys.stderr)
                sys.exit(2)
            d.pop("operator", None)
            d = norm(d)
            # operator-state lines (the Java dumper's --operator-state) are told apart by kind/mode/subtask/index
            extra = tuple(d.get(f) for f in ("kind", "mode", "subtask", "index")) if "kind" in d else None
            ident = (d.get("state"), d.get("keyGroup"), canon(d.get("key")), canon(d.get("namespace")),
                     canon(d.get("userKey")) if "userKey" in d else None,
                     canon(d.get("keyBytes")) if "keyBytes" in d else None, extra)
            val = d.get("value", d.get("valueBytes"))
            groups[ident].append(val)
            per_state[d.get("state")] += 1
    for k in groups:
        groups[k].sort(key=canon)
    return groups, per_state


def main(argv):
    args = [a for a in argv[1:]]
    max_report, rel_tol = 10, 1e-6
    files = []
    i = 0
    while i < len(args):
        if args[i] == "--max-report":
            max_report = int(args[i + 1]); i += 2
        elif args[i] == "--opaque-b":
            OPAQUE_B["allowed"] = True; i += 1
        elif args[i] == "--rel-tol":
            rel_tol = float(args[i + 1]); i += 2
        else:
            files.append(args[i]); i += 1
    if len(files) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    a, sa = load(files[0])
    b, sb = load(files[1])
    only_a = collections.defaultdict(list)
    only_b = collections.defaultdict(list)
    diffs = collections.defaultdict(list)
    for ident in set(a) | set(b):
        va, vb = a.get(ident, []), b.get(ident, [])
        state = ident[0]
        for x, y in zip(va, vb):
            d = first_difference(x, y, rel_tol)
            if d:
                diffs[state].append((ident, d))
        for x in va[len(vb):]:
            only_a[state].append((ident, x))
        for y in vb[len(va):]:
            only_b[state].append((ident, y))
    states = sorted(set(sa) | set(sb), key=lambda s: (s is None, str(s)))
    equal = not (only_a or only_b or diffs)
    print("%-44s %8s %8s %8s %8s %8s" % ("state", "A", "B", "onlyA", "onlyB", "differ"))
    for s in states:
        print("%-44s %8d %8d %8d %8d %8d" % (short(str(s), 44), sa[s], sb[s], len(only_a[s]), len(only_b[s]), len(diffs[s])))
    print("%-44s %8d %8d %8d %8d %8d" % ("TOTAL", sum(sa.values()), sum(sb.values()),
                                         sum(map(len, only_a.values())), sum(map(len, only_b.values())),
                                         sum(map(len, diffs.values()))))

    def ident_text(ident):
        state, kg, key, ns, uk, kb, extra = ident
        t = "state=%s keyGroup=%s key=%s namespace=%s" % (state, kg, key, ns)
        if extra is not None:
            t = "kind/mode/subtask/index=%s " % (extra,) + t
        if uk is not None:
            t += " userKey=%s" % uk
        if kb is not None:
            t += " keyBytes=%s" % kb
        return short(t, 240)

    for title, coll, fmt in (("only in A (%s)" % files[0], only_a, lambda e: "value=" + j(e[1])),
                             ("only in B (%s)" % files[1], only_b, lambda e: "value=" + j(e[1])),
                             ("different values", diffs, lambda e: e[1])):
        shown = 0
        for s in states:
            for e in sorted(coll[s], key=lambda e: str(e[0])):
                if shown == 0:
                    print("\n" + title + ":")
                if shown >= max_report:
                    break
                print("  " + ident_text(e[0]) + "\n      " + fmt(e))
                shown += 1
    if OPAQUE_B["allowed"]:
        print("\nopaque in B, not compared: %d" % OPAQUE_B["count"])
    print("\nEQUAL" if equal else "\nDIFFERENT")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
