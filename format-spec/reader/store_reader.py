#!/usr/bin/env python3
"""Independent reader for the Cairn store layout, version 1, written from format-spec/STORE.md alone
(with SPEC.md §1 for varints/strings and §3 for CRC32C). Standard library plus PyPI `zstandard`.

  store_reader.py check VECTORS_DIR            # VECTORS_DIR holds store/, expected/<id>/..., bad/<name>/
  store_reader.py extract STORE_DIR SNAPSHOT_ID DEST
  store_reader.py selftest
"""
import hashlib, io, json, os, re, stat, sys
import zstandard

MAX_CHUNK = 64 * 1024 * 1024
HEX64, HEX32 = re.compile(r"[0-9a-f]{64}\Z"), re.compile(r"[0-9a-f]{32}\Z")
ENTRY, TRAILER = 49, 20

class StoreError(Exception):
    def __init__(self, key, offset, msg):
        super().__init__(f"{key}@{offset}: {msg}" if offset is not None else f"{key}: {msg}")

def need(cond, key, offset, msg):
    if not cond:
        raise StoreError(key, offset, msg)

def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 64

# ---- primitives (SPEC.md §1, §3) ----
def _crc_entry(c):
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c
_CRC = [_crc_entry(i) for i in range(256)]

def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

def read_varint(buf, pos, end, key):
    value, start = 0, pos
    for i in range(10):
        need(pos < end, key, start, "truncated varint")
        b = buf[pos]; pos += 1
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            need(i == 0 or b != 0, key, start, "varint not in minimal form")
            need(value < 1 << 64, key, start, "varint overflows 64 bits")
            return value, pos
    raise StoreError(key, start, "varint longer than 10 bytes")

def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def string(s):
    b = s.encode("utf-8")
    return varint(len(b)) + b

def u(buf, pos, n):
    return int.from_bytes(buf[pos:pos + n], "big")

def decode_chunk(key, off, stored, raw_len, codec, chunk_id):
    """Decodes a chunk's stored bytes (output bounded by raw_len); checks length and SHA-256."""
    need(codec in (0, 1), key, off, f"unknown codec {codec}")
    raw = stored
    if codec == 1:
        try:
            size = zstandard.get_frame_parameters(stored).content_size
            need(size in (zstandard.CONTENTSIZE_UNKNOWN, raw_len), key, off, f"zstd content size {size} != raw length {raw_len}")
            r = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(stored), read_across_frames=False)
            parts, total = [], 0
            while total <= raw_len:
                p = r.read(raw_len + 1 - total)
                if not p:
                    break
                parts.append(p); total += len(p)
            raw = b"".join(parts)
            if len(raw) == raw_len:  # output is bounded now; check the stored bytes are one frame, nothing after
                d = zstandard.ZstdDecompressor().decompressobj()
                d.decompress(stored)
                need(d.eof and not d.unused_data, key, off, "stored bytes are not exactly one zstd frame")
        except zstandard.ZstdError as e:
            raise StoreError(key, off, f"zstd decompression failed: {e}")
    need(len(raw) == raw_len, key, off, f"chunk decodes to {len(raw)}{'+' if len(raw) > raw_len else ''} bytes, not {raw_len}")
    got = hashlib.sha256(raw).digest()
    need(got == chunk_id, key, off, f"chunk {chunk_id.hex()} fails its SHA-256 (got {got.hex()})")
    return raw

# ---- objects ----
def load_json(key, data):
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise StoreError(key, 0, f"not JSON: {e}")
    need(isinstance(obj, dict), key, 0, "not a JSON object")
    return obj

def parse_config(key, data):
    c = load_json(key, data)
    for f in ("format", "version", "id", "chunkMinSize", "chunkAverageSize", "chunkMaxSize", "chunkerSeed",
              "packTargetSize", "zstdLevel", "createdAt"):
        need(f in c, key, None, f"missing field {f!r}")
    need(c["format"] == "cairn-store", key, None, f"format is {c['format']!r}, not 'cairn-store'")
    need(c["version"] == 1 and is_uint(c["version"]), key, None, f"unsupported store version {c['version']!r}")
    need(isinstance(c["id"], str) and HEX32.match(c["id"]), key, None, "id is not 32 lowercase hex digits")
    need(isinstance(c["chunkerSeed"], str) and re.fullmatch(r"[0-9a-f]{1,16}", c["chunkerSeed"]), key, None,
         "chunkerSeed is not the hex of a 64-bit value")
    for f in ("chunkMinSize", "chunkAverageSize", "chunkMaxSize", "packTargetSize", "zstdLevel"):
        need(is_uint(c[f]), key, None, f"{f} is not a non-negative integer")
    need(c["zstdLevel"] <= 22, key, None, f"zstdLevel {c['zstdLevel']} outside 0...22")
    need((1 << 20) <= c["packTargetSize"] <= (1 << 30), key, None, "packTargetSize outside 1 MiB...1 GiB")
    return c

def parse_index(key, data):
    """Returns {pack id hex: (pack size, [(chunk id, offset, stored, raw, codec)], offset of the record)}."""
    need(len(data) >= 14, key, 0, f"object too short ({len(data)} bytes)")
    need(data[:8] == b"CAIRNIDX", key, 0, f"bad magic {data[:8]!r}")
    need(data[8] == 1, key, 8, f"unsupported index version {data[8]}")
    end = len(data) - 4
    crc = crc32c(data[:end])
    need(crc == u(data, end, 4), key, end, f"CRC32C mismatch: stored {u(data, end, 4):#010x}, computed {crc:#010x}")
    packs = {}
    count, pos = read_varint(data, 9, end, key)
    need(count <= end - pos, key, 9, f"pack count {count} exceeds the bytes remaining")
    for _ in range(count):
        rec = pos
        need(end - pos >= 32, key, pos, "truncated pack id")
        pid = data[pos:pos + 32].hex()
        size, pos = read_varint(data, pos + 32, end, key)
        n_at = pos
        n, pos = read_varint(data, pos, end, key)
        need(n <= end - pos, key, n_at, f"entry count {n} exceeds the bytes remaining")
        need(TRAILER + ENTRY * n <= size, key, n_at, f"pack {pid}: {n} entries do not fit in size {size}")
        table = size - TRAILER - ENTRY * n
        entries = []
        for _ in range(n):
            e_at = pos
            need(end - pos >= 32, key, pos, "truncated chunk id")
            cid = data[pos:pos + 32]
            off, pos = read_varint(data, pos + 32, end, key)
            stored, pos = read_varint(data, pos, end, key)
            raw, pos = read_varint(data, pos, end, key)
            need(pos < end, key, pos, "truncated codec")
            codec = data[pos]; pos += 1
            need(codec in (0, 1), key, pos - 1, f"unknown codec {codec}")
            need(stored <= MAX_CHUNK and raw <= MAX_CHUNK, key, e_at, "chunk length above 64 MiB")
            need(codec or stored == raw, key, e_at, "raw chunk with stored length != raw length")
            need(off + stored <= table, key, e_at, f"entry [{off}, {off + stored}) past the chunk area of pack {pid} ({table})")
            entries.append((cid, off, stored, raw, codec))
        need(pid not in packs, key, rec, f"pack {pid} listed twice")
        packs[pid] = (size, entries, rec)
    need(pos == end, key, pos, f"{end - pos} bytes left over before the CRC")
    got = hashlib.sha256(data).hexdigest()
    need(got == key.split("/")[-1], key, 0, f"SHA-256 of the object is {got}, not its name")
    return packs

def parse_pack(key, data):
    """Checks the trailer, table and every chunk; returns [(chunk id, offset, stored, raw, codec)]."""
    size = len(data)
    need(size >= TRAILER, key, 0, f"pack too short ({size} bytes)")
    t = size - TRAILER
    need(data[t + 12:] == b"CAIRNPCK", key, t + 12, f"bad magic {data[t + 12:]!r}")
    n, crc, version, flags = u(data, t, 4), u(data, t + 4, 4), u(data, t + 8, 2), u(data, t + 10, 2)
    need(version == 1, key, t + 8, f"unsupported pack version {version}")
    need(flags == 0, key, t + 10, f"unknown flags {flags:#06x}")
    need(TRAILER + ENTRY * n <= size, key, t, f"entry count {n} does not fit in {size} bytes")
    table = size - TRAILER - ENTRY * n
    got = crc32c(data[table:t])
    need(got == crc, key, table, f"table CRC32C mismatch: stored {crc:#010x}, computed {got:#010x}")
    got = hashlib.sha256(data[table:]).hexdigest()
    need(got == key.split("/")[-1], key, table, f"SHA-256 of the tail is {got}, not the pack id")
    entries, expect = [], 0
    for i in range(n):
        e = table + ENTRY * i
        cid, off, stored, raw, codec = data[e:e + 32], u(data, e + 32, 8), u(data, e + 40, 4), u(data, e + 44, 4), data[e + 48]
        need(codec in (0, 1), key, e + 48, f"entry {i}: unknown codec {codec}")
        need(stored <= MAX_CHUNK and raw <= MAX_CHUNK, key, e + 40, f"entry {i}: length above 64 MiB")
        need(codec or stored == raw, key, e + 40, f"entry {i}: raw chunk with stored {stored} != raw {raw}")
        need(off == expect, key, e + 32, f"entry {i}: offset {off}, expected {expect} (chunks not contiguous)")
        expect += stored
        need(expect <= table, key, e + 40, f"entry {i}: chunk runs past the table at {table}")
        entries.append((cid, off, stored, raw, codec))
    need(expect == table, key, table, f"chunks end at {expect}, the table starts at {table}")
    for cid, off, stored, raw, codec in entries:
        decode_chunk(key, off, data[off:off + stored], raw, codec, cid)
    return entries

def json_offset(data, s):
    """Byte offset of the JSON string s in an object (either spelling of '/'), for error messages."""
    for enc in (json.dumps(s), json.dumps(s).replace("/", "\\/")):
        i = data.find(enc.encode("utf-8"))
        if i >= 0:
            return i
    return None

def check_path(key, data, p, files, dirs):
    at = json_offset(data, p) if isinstance(p, str) else None
    segs = p.split("/") if isinstance(p, str) else [""]
    control = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in p) if isinstance(p, str) else False
    need(not control and not any(s in ("", ".", "..") or "\\" in s for s in segs), key, at, f"unsafe file path {p!r}")
    need(p not in files and p not in dirs, key, at, f"path {p!r} appears twice or is also a directory")
    for i in range(1, len(segs)):
        d = "/".join(segs[:i])
        need(d not in files, key, at, f"path {p!r} lies under the file {d!r}")
        dirs.add(d)
    files.add(p)

def content_id(m):
    h = hashlib.sha256(string("cairn-snapshot") + string(m["kind"]) + string(m["root"]) + varint(len(m["files"])))
    for f in m["files"]:
        h.update(string(f["path"]) + varint(f["size"]) + varint(len(f["chunks"])))
        for c in f["chunks"]:
            h.update(string(c))
    series = m.get("attributes", {}).get("series")
    if series is not None:
        h.update(string("series") + string(series))
    return h.hexdigest()

def parse_manifest(key, data):
    m = load_json(key, data)
    for f in ("format", "version", "id", "kind", "source", "root", "host", "createdAt", "attributes",
              "logicalSize", "files", "stats"):
        need(f in m, key, None, f"missing field {f!r}")
    need(m["format"] == "cairn-snapshot", key, None, f"format is {m['format']!r}")
    need(m["version"] == 1 and is_uint(m["version"]), key, None, f"unsupported manifest version {m['version']!r}")
    need(m["kind"] in ("native", "flink-checkpoint", "flink-savepoint", "directory"), key, None, f"unknown kind {m['kind']!r}")
    need(isinstance(m["root"], str) and isinstance(m["files"], list), key, None, "root must be a string, files an array")
    need(isinstance(m["attributes"], dict) and all(isinstance(v, str) for v in m["attributes"].values()), key, None,
         "attributes must map strings to strings")
    files, dirs, total = set(), set(), 0
    for i, f in enumerate(m["files"]):
        need(isinstance(f, dict) and all(k in f for k in ("path", "size", "mtimeNs", "mode", "chunks")), key, None,
             f"files[{i}] lacks path/size/mtimeNs/mode/chunks")
        check_path(key, data, f["path"], files, dirs)
        need(is_uint(f["size"]), key, None, f"{f['path']}: bad size {f['size']!r}")
        need(isinstance(f["chunks"], list) and all(isinstance(c, str) and HEX64.match(c) for c in f["chunks"]),
             key, None, f"{f['path']}: chunks must be 64-hex-digit ids")
        total += f["size"]
    need(m["logicalSize"] == total, key, None, f"logicalSize {m['logicalSize']} != sum of file sizes {total}")
    try:
        cid = content_id(m)
    except UnicodeEncodeError as e:
        raise StoreError(key, None, f"a string is not valid Unicode (lone surrogate?): {e}")
    need(m["id"] == cid == key.split("/")[-1], key, json_offset(data, m["id"]),
         f"content id is {cid}; the manifest says {m['id']}, the key {key.split('/')[-1]}")
    return m

# ---- the store ----
class Store:
    def __init__(self, root):
        self.root, self.keys = root, []
        for dirpath, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel = os.path.relpath(dirpath, root)
            self.keys += [(n if rel == "." else f"{rel}/{n}").replace(os.sep, "/") for n in sorted(names) if n[0] != "."]
        self.chunks = {}     # chunk id -> [(pack key, offset, stored, raw, codec)]
        self.pack_info = {}  # pack id -> (size, entries, index key, record offset)

    def get(self, key):
        try:
            with open(os.path.join(self.root, *key.split("/")), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            raise StoreError(key, None, "object is missing")

    def prefix(self, p):
        return [k for k in self.keys if k.startswith(p)]

    def open_index(self, problems=None):
        for key in self.prefix("index/"):
            try:
                need(HEX64.match(key[6:]), key, None, "index key is not index/<64 hex>")
                packs = parse_index(key, self.get(key))
            except StoreError as e:
                if problems is None:
                    raise
                problems.append(str(e)); continue
            for pid, (size, entries, rec) in packs.items():
                self.pack_info.setdefault(pid, (size, entries, key, rec))
                for cid, *loc in entries:
                    self.chunks.setdefault(cid, []).append((f"packs/{pid[:2]}/{pid}", *loc))

    def read_chunk(self, cid_hex):
        """Any indexed copy may be read; the first that decodes and hashes right wins."""
        errors, copies = [], self.chunks.get(bytes.fromhex(cid_hex), [])
        need(copies, "index", None, f"chunk {cid_hex} is in no index object")
        for pkey, off, stored, raw, codec in copies:
            try:
                try:
                    with open(os.path.join(self.root, *pkey.split("/")), "rb") as fh:
                        fh.seek(off); data = fh.read(stored)
                except FileNotFoundError:
                    raise StoreError(pkey, None, f"pack is missing (chunk {cid_hex})")
                need(len(data) == stored, pkey, off, f"chunk {cid_hex} runs past the end of the pack")
                return decode_chunk(pkey, off, data, raw, codec, bytes.fromhex(cid_hex))
            except StoreError as e:
                errors.append(e)
        if len(errors) == 1:
            raise errors[0]
        raise StoreError(copies[0][0], None, f"no readable copy of chunk {cid_hex}: " + "; ".join(map(str, errors)))

def check_store(root, expected_dir=None):
    """Every check of the store; returns the list of problems (empty when the store is valid)."""
    problems, st = [], Store(root)

    def attempt(fn, *args):
        try:
            return fn(*args)
        except StoreError as e:
            problems.append(str(e))

    attempt(lambda: parse_config("config", st.get("config")))
    st.open_index(problems)
    for key in st.prefix("packs/"):
        def one_pack(key=key):
            parts = key.split("/")
            need(len(parts) == 3 and HEX64.match(parts[2]) and parts[1] == parts[2][:2], key, None,
                 "pack key is not packs/<h2>/<64 hex>")
            data = st.get(key)
            entries = parse_pack(key, data)
            if parts[2] in st.pack_info:
                size, ientries, ikey, rec = st.pack_info[parts[2]]
                need(size == len(data) and ientries == entries, ikey, rec, f"entry for pack {parts[2]} disagrees with its table")
        attempt(one_pack)
    for pid, (_, _, ikey, rec) in st.pack_info.items():
        if f"packs/{pid[:2]}/{pid}" not in st.keys:
            problems.append(f"{ikey}@{rec}: names pack {pid}, but packs/{pid[:2]}/{pid} is missing")
    snapshots = {}
    for key in st.prefix("snapshots/"):
        def one_manifest(key=key):
            need(HEX64.match(key[10:]), key, None, "snapshot key is not snapshots/<64 hex>")
            snapshots[key[10:]] = parse_manifest(key, st.get(key))
        attempt(one_manifest)
    for sid, m in snapshots.items():
        skey, exp = "snapshots/" + sid, expected_dir and os.path.join(expected_dir, sid)
        if exp and not os.path.isdir(exp):
            problems.append(f"{skey}: no expected/{sid} directory"); exp = None
        for f in m["files"]:
            def one_file(f=f):
                data = b"".join(st.read_chunk(c) for c in f["chunks"])
                need(len(data) == f["size"], skey, None, f"{f['path']}: chunks give {len(data)} bytes, size is {f['size']}")
                if exp:
                    path = os.path.join(exp, *f["path"].split("/"))
                    need(os.path.isfile(path), skey, None, f"{f['path']}: not in expected/")
                    with open(path, "rb") as fh:
                        need(fh.read() == data, skey, None, f"{f['path']}: differs from expected/")
            attempt(one_file)
        if exp:
            names = {f["path"] for f in m["files"]}
            on_disk = [os.path.relpath(os.path.join(dp, n), exp).replace(os.sep, "/") for dp, _, fs in os.walk(exp) for n in fs]
            problems += [f"{skey}: expected file {rel} is not in the manifest" for rel in on_disk if rel not in names]
    for sid in sorted(os.listdir(expected_dir)) if expected_dir else []:
        if sid not in snapshots:
            problems.append(f"expected/{sid}: no valid snapshot with this id")
    return problems

def cmd_check(vectors):
    need(os.path.isfile(os.path.join(vectors, "store", "config")), vectors, None, "not a vectors directory (no store/config)")
    bad = os.path.join(vectors, "bad")
    results = [("store", False, check_store(os.path.join(vectors, "store"), os.path.join(vectors, "expected")))]
    results += [(f"bad/{n}", True, check_store(os.path.join(bad, n))) for n in sorted(os.listdir(bad))]
    failed = 0
    for name, damaged, problems in results:
        if damaged and problems:
            print(f"ok {name}: {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
        elif not damaged and not problems:
            print(f"ok {name}")
        else:
            failed += 1
            print(f"FAIL {name}: " + ("\n  ".join([f"{len(problems)} problem(s):"] + problems) if problems else "no problem found"))
    print(f"{len(results) - failed} passed, {failed} failed")
    return 0 if failed == 0 else 1

def cmd_extract(store_dir, sid, dest):
    skey = "snapshots/" + sid
    need(HEX64.match(sid), skey, None, "snapshot id is not 64 lowercase hex digits")
    st = Store(store_dir)
    parse_config("config", st.get("config"))
    st.open_index()
    m = parse_manifest(skey, st.get(skey))  # validates every path before anything is written
    os.makedirs(dest, exist_ok=True)
    dest_real = os.path.realpath(dest)
    for f in m["files"]:
        segs, cur = f["path"].split("/"), dest_real
        for s in segs[:-1]:  # create parents; refuse anything under DEST that is not a real directory (symlinks)
            cur = os.path.join(cur, s)
            try:
                os.mkdir(cur)
            except FileExistsError:
                need(stat.S_ISDIR(os.lstat(cur).st_mode), skey, None, f"{f['path']}: {cur} exists and is not a directory")
        target = os.path.join(cur, segs[-1])
        need(os.path.commonpath([dest_real, os.path.realpath(cur)]) == dest_real, skey, None,
             f"{f['path']}: would be written outside {dest}")
        need(not os.path.lexists(target), skey, None, f"{f['path']}: {target} already exists")
        tmp = os.path.join(cur, f".{segs[-1]}.cairn-part")  # renamed into place only once fully verified
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for c in f["chunks"]:
                    data = st.read_chunk(c)
                    written += len(data)
                    out.write(data)
            need(written == f["size"], skey, None, f"{f['path']}: chunks give {written} bytes, size is {f['size']}")
            os.rename(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        if is_uint(f["mode"]):
            os.chmod(target, f["mode"] & 0o777)
        if isinstance(f["mtimeNs"], int):
            os.utime(target, ns=(f["mtimeNs"], f["mtimeNs"]))
        print(f"{f['path']} ({written} bytes)")
    return 0

def cmd_selftest():
    results = [("crc32c('123456789') = 0xE3069283", crc32c(b"123456789") == 0xE3069283), ("crc32c('') = 0", crc32c(b"") == 0)]
    for n, enc in [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
                   (16384, b"\x80\x80\x01"), ((1 << 64) - 1, b"\xff" * 9 + b"\x01")]:
        results.append((f"varint {n}", varint(n) == enc and read_varint(enc, 0, len(enc), "t") == (n, len(enc))))
    for bad, why in [(b"\x80\x00", "non-minimal"), (b"\xff" * 9 + b"\x02", "overflow"),
                     (b"\x80" * 10 + b"\x01", "too long"), (b"\x80", "truncated")]:
        try:
            read_varint(bad, 0, len(bad), "t"); results.append((f"varint rejects {why}", False))
        except StoreError:
            results.append((f"varint rejects {why}", True))
    results += [("string 'é/x'", string("é/x") == b"\x04\xc3\xa9/x"), ("string ''", string("") == b"\x00")]
    for name, ok in results:
        print(("ok " if ok else "FAIL ") + name)
    ok = all(r for _, r in results)
    print("selftest " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1

def main(argv):
    try:
        if len(argv) == 2 and argv[0] == "check":
            return cmd_check(argv[1])
        if len(argv) == 4 and argv[0] == "extract":
            return cmd_extract(*argv[1:])
        if len(argv) == 1 and argv[0] == "selftest":
            return cmd_selftest()
    except (StoreError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
