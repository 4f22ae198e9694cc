#!/usr/bin/env python3
"""Rebuilds Fuzz/corpus/<target>/ from Fixtures/ and format-spec/vectors/: small, deduplicated seed files.

Run from the repository root. Seeds are capped in size (files larger than a target's cap are cut to their first
bytes), so the corpora stay well under 2 MB in all."""
import hashlib, os, pathlib, shutil, struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Fuzz" / "corpus"

def files(*globs):
    for g in globs:
        yield from sorted(p for p in ROOT.glob(g) if p.is_file())

def write(target, data, limit):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if len(list(d.iterdir())) >= limit:
        return
    name = hashlib.sha1(data).hexdigest()[:16]
    (d / name).write_bytes(data)

def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    # Flink _metadata, every version the fixtures hold (1.15 to 2.3), up to 32 KiB each, twelve of them.
    metas = list(files("Fixtures/flink/*/*/**/_metadata"))
    # Round robin over the Flink versions, so every version has seeds.
    by_version = {}
    for p in metas:
        by_version.setdefault(p.relative_to(ROOT).parts[2], []).append(p)
    metas = [p for group in zip(*by_version.values()) for p in group]
    for p in metas:
        if p.stat().st_size <= 32 * 1024:
            write("FuzzFlinkMetadata", p.read_bytes(), 12)
    # Native .cairn: the test vectors (good and bad) and the tiny generated fixtures.
    for p in files("format-spec/vectors/*.cairn", "format-spec/vectors/bad/*.cairn", "Fixtures/cairn/*.cairn"):
        if p.stat().st_size <= 48 * 1024:
            write("FuzzNativeReader", p.read_bytes(), 24)
    # SST: one per compression, checksum and format version.
    for p in files("Fixtures/rocksdb/sst/*.sst", "Fixtures/rocksdb/db/*.sst"):
        if p.stat().st_size <= 48 * 1024:
            write("FuzzSSTReader", p.read_bytes(), 24)
    for p in files("Fixtures/**/MANIFEST-*"):
        write("FuzzRocksDBManifest", p.read_bytes()[:16 * 1024], 16)
    # Serializer snapshots: the head of heap keyed state files (a keyed backend proxy, version 6, at offset 0)
    # and of operator state files.
    for p in files("Fixtures/flink/*/hashmap*/**/*", "Fixtures/flink/*/typed-hashmap/**/*"):
        if p.name in ("_metadata", "oracle.json"):
            continue
        head = p.read_bytes()[:4096]
        if len(head) >= 8 and struct.unpack(">i", head[:4])[0] in (5, 6):
            write("FuzzSerializerSnapshot", head, 32)
    # Store objects: first byte picks the parser (0 pack tail, 1 index, 2 manifest, 3 lock).
    store = ROOT / "format-spec/vectors/store/store"
    for p in sorted((store / "packs").rglob("*")):
        if p.is_file():
            b = p.read_bytes()
            count = struct.unpack(">I", b[-20:-16])[0]
            write("FuzzStoreObjects", bytes([0]) + b[-(count * 49 + 20):], 32)
    for p in sorted((store / "index").rglob("*")):
        if p.is_file():
            write("FuzzStoreObjects", bytes([1]) + p.read_bytes()[:32 * 1024], 32)
    for p in sorted((store / "snapshots").rglob("*")):
        if p.is_file():
            write("FuzzStoreObjects", bytes([2]) + p.read_bytes()[:32 * 1024], 32)
    lock = b'{"exclusive":false,"operation":"push","host":"fuzz","pid":1,"createdAt":1700000000,"refreshedAt":1700000100}'
    write("FuzzStoreObjects", bytes([3]) + lock, 32)
    # Job specs and migration plans: the documented examples.
    for p in files("docs/examples/*.yaml"):
        write("FuzzPlanYAML", p.read_bytes(), 16)

main()
