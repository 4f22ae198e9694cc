#!/usr/bin/env python3
"""Independent reference reader for the Cairn snapshot format 1.1 (full snapshots and deltas, SPEC §13).

Written from format-spec/SPEC.md only.  Standard library plus the PyPI packages
`lz4` and `zstandard`.

    python3 cairn_reader.py decode FILE.cairn    canonical decoded JSON on stdout (a delta is merged with
                                                 its chain, read from the same directory)
    python3 cairn_reader.py check VECTORS_DIR    decode every vector, compare with expectations
    python3 cairn_reader.py selftest             CRC32C and murmur3 against SPEC §3

Format errors are reported as `error: <code>: <message>` (codes of SPEC §11), exit status 1.

Choices where the spec does not name the error code (kept consistent throughout):
  These follow the table of SPEC §11.
  truncated          a fixed-width field, varint or item runs past the end of its
                     enclosing structure (file, section body, block content, value)
  lengthOutOfBounds  an explicit byte length (bytes/string length, section length, index
                     bounds, block extent, rawLength limit) or a count larger than the bytes
                     left exceeds what exists
  invalidVarint      overlong (non-canonical) varint, or one that overflows 64 bits
  unknownTag         unknown index section tag without the high bit; unknown schema tag
  unknownKind        unknown block kind / codec / state-descriptor kind / split positionType
  unknownFlags       header flags other than DELTA; keyed-entry flag bits 5-7 set, bits 3-4 outside a delta
  (missing base)     a delta's base that is missing or differs from the recorded identity is
                     invalidValue, naming both files
  outOfOrder         any "strictly ascending" rule, including duplicates; section order
  invalidValue       every other MUST (enum values, bool, ranges, counts, references,
                     header/table mismatch, block kind of a unit, key group of a key, ...)
  trailingBytes      a structure with a known extent is not consumed exactly
"""

import glob
import json
import math
import os
import struct
import sys

import lz4.block
import zstandard

HEADER_MAGIC = b"CAIRNSNP"
FOOTER_MAGIC = b"CAIRNEND"
HEADER_SIZE = 16
FOOTER_SIZE = 32
BLOCK_HEADER_SIZE = 16
MAX_DATA_RAW = 64 * 1024 * 1024
MAX_INDEX_RAW = 1024 * 1024 * 1024
MAX_SCHEMA_DEPTH = 64

KEYED_ENTRIES, OPERATOR_ELEMENTS, BROADCAST_ENTRIES = 0x01, 0x02, 0x03
IN_FLIGHT_BUFFERS, COORDINATOR_STATE, OPAQUE_STATE, INDEX = 0x04, 0x05, 0x06, 0x7F
DATA_KINDS = {KEYED_ENTRIES, OPERATOR_ELEMENTS, BROADCAST_ENTRIES, IN_FLIGHT_BUFFERS,
              COORDINATOR_STATE, OPAQUE_STATE}
KIND_NAMES = {1: "KEYED_ENTRIES", 2: "OPERATOR_ELEMENTS", 3: "BROADCAST_ENTRIES",
              4: "IN_FLIGHT_BUFFERS", 5: "COORDINATOR_STATE", 6: "OPAQUE_STATE", 0x7F: "INDEX"}
CODECS = {0: "none", 1: "lz4", 2: "zstd"}
STATE_KINDS = ["value", "list", "map", "reducing", "aggregating", "timers",
               "operator-list", "operator-union", "broadcast"]
KEYED_STATE_KINDS = range(0, 6)
TTL_UPDATE = ["on-create-and-write", "on-read-and-write"]
TTL_VISIBILITY = ["never-return-expired", "return-expired-if-not-cleaned-up"]
PRIMITIVES = {0x01: "boolean", 0x02: "int32", 0x03: "int64", 0x04: "float32",
              0x05: "float64", 0x06: "string", 0x07: "bytes"}
ROLE_NAMES = ["managed-operator-state", "raw-operator-state", "managed-keyed-state", "raw-keyed-state",
              "input-channels", "output-subpartitions"]
SECTION_NAMES = {1: "METADATA", 2: "SERIALIZERS", 3: "BLOCKS", 4: "OPERATORS", 5: "BASE"}
DELTA_FLAG = 0x1
MAX_CHAIN_DEPTH = 1024


def is_extension_kind(kind):
    """Block kinds 0x40-0x7E are optional extensions that a 1.0 reader skips (SPEC §4)."""
    return 0x40 <= kind <= 0x7E


# ---------------------------------------------------------------------------------------------
# Checksums and hashes (SPEC §3)
# ---------------------------------------------------------------------------------------------

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC32C (Castagnoli), reflected, init/final XOR 0xFFFFFFFF.  `crc` continues a previous
    result, so crc32c(b, crc32c(a)) == crc32c(a + b)."""
    c = crc ^ 0xFFFFFFFF
    table = _CRC32C_TABLE
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def murmur3_32(data, seed=0):
    """MurmurHash3_x86_32; 4-byte blocks and the tail read little-endian."""
    M = 0xFFFFFFFF
    c1, c2 = 0xCC9E2D51, 0x1B873593

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & M

    h = seed & M
    n = len(data)
    nblocks = n // 4
    for i in range(nblocks):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = rotl((k * c1) & M, 15)
        h ^= (k * c2) & M
        h = (rotl(h, 13) * 5 + 0xE6546B64) & M
    tail = data[4 * nblocks:]
    k = 0
    if len(tail) >= 3:
        k ^= tail[2] << 16
    if len(tail) >= 2:
        k ^= tail[1] << 8
    if len(tail) >= 1:
        k ^= tail[0]
        k = rotl((k * c1) & M, 15)
        h ^= (k * c2) & M
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M
    h ^= h >> 16
    return h


def key_group_range(index, parallelism, max_parallelism):
    """Flink's computeKeyGroupRangeForOperatorIndex (SPEC §3.1): returns (start, count)."""
    start = (index * max_parallelism + parallelism - 1) // parallelism
    end = ((index + 1) * max_parallelism - 1) // parallelism
    return start, end - start + 1


# ---------------------------------------------------------------------------------------------
# Errors and the byte cursor (SPEC §1)
# ---------------------------------------------------------------------------------------------

class CairnError(Exception):
    """A format error: `code` is one of SPEC §11; `context` collects the enclosing places
    (innermost first) as the error propagates outward."""

    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.context = []

    def within(self, where):
        self.context.append(where)
        return self

    def __str__(self):
        ctx = ", ".join(reversed(self.context))
        return f"{self.code}: {self.message}" + (f" [{ctx}]" if ctx else "")


def fail(code, message):
    raise CairnError(code, message)


class Cursor:
    """Reads primitives from data[pos:end].  `where` names the byte space for messages
    ("file", "index", "block 3 content"); offsets in messages are relative to it."""

    def __init__(self, data, pos=0, end=None, where="file"):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        self.where = where

    def at(self, pos=None):
        return f"{self.where} offset {self.pos if pos is None else pos}"

    def error(self, code, message, pos=None):
        return CairnError(code, f"{message} at {self.at(pos)}")

    def remaining(self):
        return self.end - self.pos

    def at_end(self):
        return self.pos >= self.end

    def take(self, n, what):
        if n > self.end - self.pos:
            raise self.error("truncated", f"{what}: needs {n} bytes, {self.remaining()} remain")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def sub(self, n, what):
        """A cursor over the next n bytes (an enclosed structure); advances past them."""
        if n > self.remaining():
            raise self.error("lengthOutOfBounds",
                             f"{what}: length {n} exceeds the {self.remaining()} bytes that remain")
        c = Cursor(self.data, self.pos, self.pos + n, self.where)
        self.pos += n
        return c

    def expect_end(self, what):
        if self.pos != self.end:
            raise self.error("trailingBytes", f"{self.end - self.pos} unconsumed bytes after {what}")

    def u8(self, what):
        return self.take(1, what)[0]

    def u16(self, what):
        return int.from_bytes(self.take(2, what), "big")

    def u32(self, what):
        return int.from_bytes(self.take(4, what), "big")

    def u64(self, what):
        return int.from_bytes(self.take(8, what), "big")

    def i64(self, what):
        return int.from_bytes(self.take(8, what), "big", signed=True)

    def varint(self, what):
        start = self.pos
        result = 0
        for i in range(10):
            if self.pos >= self.end:
                raise self.error("truncated", f"{what}: varint runs past the end", start)
            b = self.data[self.pos]
            self.pos += 1
            if i == 9 and b > 1:  # 10th byte may only carry bit 63 and must be the last
                raise self.error("invalidVarint", f"{what}: varint overflows 64 bits", start)
            result |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                if b == 0 and i > 0:
                    raise self.error("invalidVarint", f"{what}: varint not in shortest form", start)
                return result
        raise AssertionError("unreachable")

    def count(self, what):
        """A count of items that each take at least one byte (SPEC §1): more than remain is
        `lengthOutOfBounds`, checked before any item is read."""
        start = self.pos
        n = self.varint(what)
        if n > self.remaining():
            raise self.error("lengthOutOfBounds", f"{what} {n} exceeds the {self.remaining()} bytes left", start)
        return n

    def svarint(self, what):
        u = self.varint(what)
        return (u >> 1) ^ -(u & 1)

    def bytes_(self, what):
        start = self.pos
        n = self.varint(f"{what} length")
        if n > self.remaining():
            raise self.error("lengthOutOfBounds",
                             f"{what}: length {n} exceeds the {self.remaining()} bytes that remain", start)
        return self.take(n, what)

    def string(self, what):
        start = self.pos
        raw = self.bytes_(what)
        try:
            return raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            raise self.error("invalidUTF8", f"{what}: invalid UTF-8 ({e.reason})", start) from None

    def bool_(self, what):
        start = self.pos
        b = self.u8(what)
        if b > 1:
            raise self.error("invalidValue", f"{what}: bool must be 0 or 1, got {b}", start)
        return b == 1

    def enum(self, what, limit, code="invalidValue"):
        """A u8 that must be < limit."""
        start = self.pos
        b = self.u8(what)
        if b >= limit:
            raise self.error(code, f"{what}: unknown value {b}", start)
        return b


def ascending(prev, cur):
    """Strict ascending order for byte strings (Python compares bytes as unsigned, prefix first)
    and for tuples of ints."""
    return prev is None or prev < cur


def utf8(s):
    return s.encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Block frames and codecs (SPEC §2.3)
# ---------------------------------------------------------------------------------------------

def zstd_frame_size(b):
    """Compressed size of the Zstandard frame at the start of b (RFC 8878 §3.1.1), found by
    walking the block headers without decoding; raises ValueError if b does not hold one."""
    if len(b) < 5 or b[:4] != b"\x28\xb5\x2f\xfd":
        raise ValueError("not a Zstandard frame (bad magic)")
    fhd = b[4]
    single_segment = (fhd >> 5) & 1
    pos = (5 + (0 if single_segment else 1) + (0, 1, 2, 4)[fhd & 3]
           + (single_segment, 2, 4, 8)[fhd >> 6])
    while True:
        if pos + 3 > len(b):
            raise ValueError("frame ends inside a block header")
        bh = int.from_bytes(b[pos:pos + 3], "little")
        pos += 3
        btype = (bh >> 1) & 3
        if btype == 3:
            raise ValueError("reserved block type")
        pos += 1 if btype == 1 else bh >> 3  # an RLE block stores one byte
        if bh & 1:  # last block
            break
    pos += 4 if fhd & 4 else 0  # content checksum
    if pos > len(b):
        raise ValueError("frame ends early")
    return pos


def decompress(stored, codec, raw_length, what):
    """Decode a block payload with output bounded by raw_length; any other output length than
    exactly raw_length is `decompressionFailed`."""
    if codec == 0:
        out = stored
    elif codec == 1:
        # An LZ4 sequence yields at most 255 output bytes per input byte; refuse impossible
        # ratios before lz4 allocates raw_length bytes for a tiny input.
        if raw_length > 255 * len(stored) + 16:
            fail("decompressionFailed", f"{what}: {len(stored)} LZ4 bytes cannot decode to {raw_length}")
        try:
            # LZ4_decompress_safe with capacity raw_length: never writes more than that.
            out = lz4.block.decompress(stored, uncompressed_size=raw_length)
        except Exception as e:  # lz4.block.LZ4BlockError
            fail("decompressionFailed", f"{what}: LZ4 block does not decode: {e}")
    else:
        # zstandard's decompress() trusts the frame's content size and ignores max_output_size
        # when a size is declared, and ignores bytes after the frame; so check that `stored` is
        # exactly one frame, check the declared size, and read at most raw_length + 1 bytes.
        try:
            size = zstd_frame_size(stored)
            declared = zstandard.get_frame_parameters(stored).content_size
        except (ValueError, zstandard.ZstdError) as e:
            fail("decompressionFailed", f"{what}: {e}")
        if size != len(stored):
            fail("decompressionFailed", f"{what}: {len(stored) - size} bytes follow the Zstandard frame")
        if declared != zstandard.CONTENTSIZE_UNKNOWN and declared != raw_length:
            fail("decompressionFailed",
                 f"{what}: Zstandard frame content size {declared} != rawLength {raw_length}")
        chunks, got = [], 0
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(stored, read_across_frames=False)
            while got <= raw_length:
                chunk = reader.read(raw_length + 1 - got)
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
        except zstandard.ZstdError as e:
            fail("decompressionFailed", f"{what}: Zstandard frame does not decode: {e}")
        out = b"".join(chunks)
    if len(out) != raw_length:
        got = "more than" if len(out) > raw_length else f"{len(out)} bytes, not"
        fail("decompressionFailed", f"{what}: decodes to {got} rawLength {raw_length} bytes")
    return out


def read_frame_header(data, offset):
    kind, codec, reserved, raw, stored, crc = struct.unpack_from(">BBHIII", data, offset)
    return {"kind": kind, "codec": codec, "reserved": reserved,
            "rawLength": raw, "storedLength": stored, "crc": crc}


def check_frame_crc(data, offset, stored_length, crc, what):
    actual = crc32c(data[offset + BLOCK_HEADER_SIZE:offset + BLOCK_HEADER_SIZE + stored_length],
                    crc32c(data[offset:offset + 12]))
    if actual != crc:
        fail("checksumMismatch",
             f"{what} at file offset {offset}: CRC32C is {actual:08x}, header says {crc:08x}")


# ---------------------------------------------------------------------------------------------
# Schemas and typed values (SPEC §7)
# ---------------------------------------------------------------------------------------------
# A parsed schema is a tuple: ("boolean",) ... ("bytes",), ("optional", S), ("list", S),
# ("map", K, V), ("record", name, [field, ...]) with field = dict(name, aliases, type, default?).

def read_schema(cur, depth=1):
    """Depth counts schema nodes on the path from the root; the root is at depth 1."""
    start = cur.pos
    if depth > MAX_SCHEMA_DEPTH:
        raise cur.error("invalidValue", f"schema nests deeper than {MAX_SCHEMA_DEPTH}", start)
    tag = cur.u8("schema tag")
    if tag in PRIMITIVES:
        return (PRIMITIVES[tag],)
    if tag == 0x10:
        return ("optional", read_schema(cur, depth + 1))
    if tag == 0x11:
        return ("list", read_schema(cur, depth + 1))
    if tag == 0x12:
        k = read_schema(cur, depth + 1)
        return ("map", k, read_schema(cur, depth + 1))
    if tag == 0x13:
        name = cur.string("record name")
        count_at = cur.pos
        count = cur.count("record fieldCount")
        if count < 1:
            raise cur.error("invalidValue", f"record {name!r} has no fields", count_at)
        fields, names = [], set()
        for i in range(count):
            fstart = cur.pos
            fname = cur.string(f"record {name!r} field {i} name")
            if fname in names:
                raise cur.error("invalidValue", f"record {name!r}: duplicate field name {fname!r}", fstart)
            names.add(fname)
            alias_count = cur.varint(f"field {fname!r} aliasCount")
            aliases = [cur.string(f"field {fname!r} alias") for _ in range(alias_count)]
            ftype = read_schema(cur, depth + 1)
            field = {"name": fname, "aliases": aliases, "type": ftype}
            if cur.bool_(f"field {fname!r} hasDefault"):
                field["default"] = read_value(cur, ftype, f"default of field {fname!r}")
            fields.append(field)
        return ("record", name, fields)
    raise cur.error("unknownTag", f"unknown schema tag 0x{tag:02x}", start)


def schema_json(s):
    t = s[0]
    if t == "optional":
        return {"optional": schema_json(s[1])}
    if t == "list":
        return {"list": schema_json(s[1])}
    if t == "map":
        return {"map": [schema_json(s[1]), schema_json(s[2])]}
    if t == "record":
        fields = []
        for f in s[2]:
            fj = {"name": f["name"], "aliases": list(f["aliases"]), "type": schema_json(f["type"])}
            if "default" in f:
                fj["default"] = f["default"]
            fields.append(fj)
        return {"record": s[1], "fields": fields}
    return t


def float_json(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def read_value(cur, s, what):
    """Decode one Value (§7.2) of schema s into its TYPED JSON form."""
    t = s[0]
    if t == "boolean":
        return cur.bool_(what)
    if t == "int32":
        start = cur.pos
        v = cur.svarint(what)
        if not -2 ** 31 <= v < 2 ** 31:
            raise cur.error("invalidValue", f"{what}: int32 value {v} out of range", start)
        return v
    if t == "int64":
        return cur.svarint(what)
    if t == "float32":
        return float_json(struct.unpack(">f", cur.take(4, what))[0])
    if t == "float64":
        return float_json(struct.unpack(">d", cur.take(8, what))[0])
    if t == "string":
        return cur.string(what)
    if t == "bytes":
        return cur.bytes_(what).hex()
    if t == "optional":
        return read_value(cur, s[1], what) if cur.bool_(f"{what} presence") else None
    if t == "list":
        start = cur.pos
        count = cur.count(f"{what} item count")
        return [read_value(cur, s[1], f"{what}[{i}]") for i in range(count)]
    if t == "map":
        count = cur.count(f"{what} entry count")
        pairs, prev = [], None
        for i in range(count):
            kstart = cur.pos
            k = read_value(cur, s[1], f"{what} key {i}")
            kenc = cur.data[kstart:cur.pos]
            if not ascending(prev, kenc):
                raise cur.error("outOfOrder", f"{what}: map key {i} not strictly ascending", kstart)
            prev = kenc
            pairs.append([k, read_value(cur, s[2], f"{what} value {i}")])
        return pairs
    if t == "record":
        return {f["name"]: read_value(cur, f["type"], f"{what}.{f['name']}") for f in s[2]}
    raise AssertionError(t)


# ---------------------------------------------------------------------------------------------
# The index (SPEC §6)
# ---------------------------------------------------------------------------------------------

def read_metadata(cur):
    m = {"snapshotId": cur.string("snapshotId")}
    m["kind"] = ["checkpoint", "savepoint"][cur.enum("metadata kind", 2)]
    m["engineName"] = cur.string("engineName")
    m["engineVersion"] = cur.string("engineVersion")
    m["jobId"] = cur.string("jobId")
    m["jobName"] = cur.string("jobName")
    m["createdAt"] = cur.svarint("createdAt")
    m["mode"] = ["aligned", "unaligned"][cur.enum("mode", 2)]
    count = cur.count("propertyCount")
    props, prev = {}, None
    for i in range(count):
        start = cur.pos
        key = cur.string(f"property {i} key")
        if not ascending(prev, utf8(key)):
            raise cur.error("outOfOrder", f"property key {key!r} not strictly ascending", start)
        prev = utf8(key)
        props[key] = cur.string(f"property {key!r} value")
    m["properties"] = props
    return m


def read_serializers(cur):
    count = cur.count("serializer count")
    out = []
    for i in range(count):
        try:
            name = cur.string("name")
            version = cur.varint("version")
            schema = read_schema(cur) if cur.bool_("hasSchema") else None
            config = cur.bytes_("configuration")
        except CairnError as e:
            raise e.within(f"serializer {i}")
        out.append({"name": name, "version": version, "schema": schema, "configuration": config})
    return out


def read_blocks_table(cur, index_offset):
    count = cur.count("block count")
    blocks = []
    expected = HEADER_SIZE
    for i in range(count):
        start = cur.pos
        b = {"offset": cur.varint(f"block {i} offset"), "kind": cur.u8(f"block {i} kind"),
             "codec": cur.u8(f"block {i} codec"), "rawLength": cur.varint(f"block {i} rawLength"),
             "storedLength": cur.varint(f"block {i} storedLength"), "crc": cur.u32(f"block {i} crc")}
        if b["offset"] != expected:
            raise cur.error("invalidValue", f"block {i}: offset {b['offset']}, but blocks are "
                                            f"contiguous so it must be {expected}", start)
        kind = b["kind"]
        if kind not in DATA_KINDS and not is_extension_kind(kind):
            raise cur.error("invalidValue" if kind == INDEX else "unknownKind",
                            f"block {i}: kind 0x{kind:02x} is not a data block kind", start)
        if b["codec"] not in CODECS:
            raise cur.error("unknownKind", f"block {i}: unknown codec {b['codec']}", start)
        if b["rawLength"] > MAX_DATA_RAW:
            raise cur.error("lengthOutOfBounds",
                            f"block {i}: rawLength {b['rawLength']} exceeds 64 MiB", start)
        if b["codec"] == 0 and b["storedLength"] != b["rawLength"]:
            raise cur.error("invalidValue", f"block {i}: codec none but storedLength "
                                            f"{b['storedLength']} != rawLength {b['rawLength']}", start)
        if b["storedLength"] > index_offset - (expected + BLOCK_HEADER_SIZE):
            raise cur.error("lengthOutOfBounds", f"block {i}: extends past the index at file offset "
                                                 f"{index_offset}", start)
        expected = b["offset"] + BLOCK_HEADER_SIZE + b["storedLength"]
        blocks.append(b)
    if expected != index_offset:
        raise cur.error("invalidValue", f"data blocks end at file offset {expected}, "
                                        f"the index starts at {index_offset}")
    return blocks


class OperatorsReader:
    """Decodes the OPERATORS section into a structure whose block spans are resolved later.
    Records how often each block is referenced and checks each span's block kinds."""

    def __init__(self, cur, serializers, blocks):
        self.cur = cur
        self.serializers = serializers
        self.blocks = blocks
        self.refs = [0] * len(blocks)  # bounded by the decoded table, not by a count field

    def span(self, what, kinds):
        """BlockSpan (§6.4): returns the list of block numbers."""
        cur = self.cur
        start = cur.pos
        count = cur.varint(f"{what} blockCount")
        if count == 0:
            return []
        first = cur.varint(f"{what} firstBlock")
        if first + count > len(self.blocks):
            raise cur.error("invalidValue", f"{what}: blocks {first}..<{first + count} beyond the "
                                                 f"{len(self.blocks)} blocks of the table", start)
        for n in range(first, first + count):
            if self.blocks[n]["kind"] not in kinds:
                raise cur.error("invalidValue", f"{what}: block {n} has kind 0x{self.blocks[n]['kind']:02x}, "
                                                f"expected {'/'.join(KIND_NAMES[k] for k in kinds)}", start)
            if self.refs[n]:
                raise cur.error("invalidValue", f"{what}: block {n} is referenced more than once", start)
            self.refs[n] += 1
        return list(range(first, first + count))

    def read(self):
        cur = self.cur
        count = cur.count("operator count")
        ops, prev = [], None
        for i in range(count):
            start = cur.pos
            op_id = cur.take(16, f"operator {i} id")
            try:
                if not ascending(prev, op_id):
                    raise cur.error("outOfOrder", "operator ids not strictly ascending", start)
                prev = op_id
                ops.append(self.operator(op_id))
            except CairnError as e:
                raise e.within(f"operator {op_id.hex()}")
        return ops

    def operator(self, op_id):
        cur = self.cur
        op = {"id": op_id, "uid": cur.string("uid"), "name": cur.string("name")}
        start = cur.pos
        p = op["parallelism"] = cur.varint("parallelism")
        mp = op["maxParallelism"] = cur.varint("maxParallelism")
        if p < 1:
            raise cur.error("invalidValue", "parallelism must be >= 1", start)
        if not 1 <= mp <= 32768 or mp < p:
            raise cur.error("invalidValue", f"maxParallelism {mp} must be in 1...32768 and >= "
                                            f"parallelism {p}", start)
        op["coordinator"] = self.span("coordinator", (COORDINATOR_STATE,))
        states, prev = [], None
        for i in range(cur.count("stateCount")):
            start = cur.pos
            d = self.descriptor(i)
            if not ascending(prev, utf8(d["name"])):
                raise cur.error("outOfOrder", f"state {d['name']!r}: names not strictly ascending", start)
            prev = utf8(d["name"])
            states.append(d)
        op["states"] = states
        subtasks, prev = [], None
        for i in range(cur.varint("subtaskCount")):
            start = cur.pos
            index = cur.varint("subtask index")
            try:
                if not ascending(prev, index):
                    raise cur.error("outOfOrder", "subtask indexes not strictly ascending", start)
                if index >= p:
                    raise cur.error("invalidValue", f"subtask index >= parallelism {p}", start)
                prev = index
                subtasks.append(self.subtask(op, index))
            except CairnError as e:
                raise e.within(f"subtask {index}")
        op["subtasks"] = subtasks
        return op

    def descriptor(self, i):
        cur = self.cur
        try:
            d = {"name": cur.string("name")}
        except CairnError as e:
            raise e.within(f"state descriptor {i}")
        try:
            d["kind"] = cur.enum("state kind", len(STATE_KINDS), "unknownKind")
            for field in ("keySerializer", "namespaceSerializer", "valueSerializer"):
                start = cur.pos
                v = cur.varint(field)
                if v > len(self.serializers):
                    raise cur.error("invalidValue", f"{field} id {v - 1} >= serializer count "
                                                    f"{len(self.serializers)}", start)
                d[field] = v - 1 if v else None
            d["ttl"] = None
            if cur.bool_("hasTTL"):
                start = cur.pos
                millis = cur.varint("ttlMillis")
                if millis == 0:
                    raise cur.error("invalidValue", "ttlMillis must be > 0", start)
                d["ttl"] = {"millis": millis,
                            "update": TTL_UPDATE[cur.enum("ttlUpdate", 2)],
                            "visibility": TTL_VISIBILITY[cur.enum("ttlVisibility", 2)]}
        except CairnError as e:
            raise e.within(f"state {d['name']!r}")
        return d

    def state_ref(self, op, what, keyed):
        """A stateIndex into the operator's descriptors, of the right class."""
        cur = self.cur
        start = cur.pos
        idx = cur.varint(f"{what} stateIndex")
        if idx >= len(op["states"]):
            raise cur.error("invalidValue",
                            f"{what}: stateIndex {idx} >= stateCount {len(op['states'])}", start)
        kind = op["states"][idx]["kind"]
        if (kind in KEYED_STATE_KINDS) != keyed:
            cls = "keyed" if keyed else "operator"
            raise cur.error("invalidValue", f"{what}: state {op['states'][idx]['name']!r} of kind "
                                            f"{STATE_KINDS[kind]} is not {cls} state", start)
        return idx, start

    def subtask(self, op, index):
        cur = self.cur
        st = {"index": index, "keyed": [], "operatorState": [], "channels": [], "splits": []}
        prev = None
        for _ in range(cur.varint("keyedCount")):
            idx, start = self.state_ref(op, "keyed unit", keyed=True)
            if not ascending(prev, idx):
                raise cur.error("outOfOrder", "keyed units: stateIndex not strictly ascending", start)
            prev = idx
            try:
                st["keyed"].append(self.keyed_unit(op, index, idx))
            except CairnError as e:
                raise e.within(f"state {op['states'][idx]['name']!r}")
        prev = None
        for _ in range(cur.varint("operatorStateCount")):
            idx, start = self.state_ref(op, "operator state unit", keyed=False)
            if not ascending(prev, idx):
                raise cur.error("outOfOrder",
                                "operator state units: stateIndex not strictly ascending", start)
            prev = idx
            try:
                broadcast = STATE_KINDS[op["states"][idx]["kind"]] == "broadcast"
                count = cur.varint("elementCount")
                span = self.span("operator state unit",
                                 (BROADCAST_ENTRIES,) if broadcast else (OPERATOR_ELEMENTS,))
            except CairnError as e:
                raise e.within(f"state {op['states'][idx]['name']!r}")
            st["operatorState"].append({"state": idx, "broadcast": broadcast, "count": count, "span": span})
        prev = None
        for _ in range(cur.count("channelCount")):
            start = cur.pos
            direction = cur.enum("channel direction", 2)
            key = (direction, cur.varint("gate"), cur.varint("channel"))
            if not ascending(prev, key):
                raise cur.error("outOfOrder",
                                "channel units: (direction, gate, channel) not strictly ascending", start)
            prev = key
            count = cur.varint("bufferCount")
            span = self.span(f"channel {key}", (IN_FLIGHT_BUFFERS,))
            st["channels"].append({"key": key, "count": count, "span": span})
        prev = None
        for _ in range(cur.count("splitCount")):
            start = cur.pos
            split_id = cur.string("splitId")
            if not ascending(prev, utf8(split_id)):
                raise cur.error("outOfOrder", f"split {split_id!r}: splitIds not strictly ascending", start)
            prev = utf8(split_id)
            try:
                st["splits"].append(self.split(split_id))
            except CairnError as e:
                raise e.within(f"split {split_id!r}")
        st["opaque"] = []
        prev = None
        for _ in range(cur.count("opaqueCount")):
            start = cur.pos
            role = cur.enum("opaque role", 6, "unknownKind")
            origin = cur.string("opaque origin")
            key = (role, utf8(origin))
            if prev is not None and not (prev[0] < key[0] or (prev[0] == key[0] and ascending(prev[1], key[1]))):
                raise cur.error("outOfOrder", f"opaque unit {origin!r}: (role, origin) not strictly ascending", start)
            prev = key
            kg_start = cur.varint("opaque keyGroupStart")
            kg_count = cur.varint("opaque keyGroupCount")
            if kg_start + kg_count > 32768:
                raise cur.error("invalidValue", f"opaque unit {origin!r}: key groups {kg_start}+{kg_count} beyond 32768", start)
            recorded = cur.varint("recordedSize")
            named = []
            for _ in range(cur.count("namedOffsetCount")):
                name = cur.string("named offsets name")
                mode = cur.enum("named offsets mode", 3, "invalidValue")
                offsets = [cur.varint("offset") for _ in range(cur.count("offsetCount"))]
                named.append({"name": name, "mode": mode, "offsets": offsets})
            span = self.span(f"opaque unit {origin!r}", (OPAQUE_STATE,))
            st["opaque"].append({"role": ROLE_NAMES[role], "origin": origin, "keyGroupStart": kg_start,
                                 "keyGroupCount": kg_count, "recordedSize": recorded, "namedOffsets": named,
                                 "span": span})
        return st

    def keyed_unit(self, op, subtask_index, state_index):
        cur = self.cur
        start = cur.pos
        kg_start = cur.varint("keyGroupStart")
        kg_count = cur.varint("keyGroupCount")
        want = key_group_range(subtask_index, op["parallelism"], op["maxParallelism"])
        if (kg_start, kg_count) != want:
            raise cur.error("invalidValue", f"key-group range {kg_start}+{kg_count} is not subtask "
                                            f"{subtask_index}'s range {want[0]}+{want[1]}", start)
        segments, prev = [], None
        for _ in range(cur.varint("segmentCount")):
            start = cur.pos
            kg = cur.varint("keyGroup")
            if not ascending(prev, kg):
                raise cur.error("outOfOrder", f"key group {kg}: segments not strictly ascending", start)
            if not kg_start <= kg < kg_start + kg_count:
                raise cur.error("invalidValue", f"key group {kg} outside the unit's range", start)
            prev = kg
            count_at = cur.pos
            count = cur.varint("entryCount")
            if count < 1:
                raise cur.error("invalidValue", f"key group {kg}: entryCount must be >= 1", count_at)
            span_at = cur.pos
            span = self.span(f"key group {kg}", (KEYED_ENTRIES,))
            if not span:
                raise cur.error("invalidValue", f"key group {kg}: segment must have >= 1 block", span_at)
            segments.append({"keyGroup": kg, "count": count, "span": span})
        return {"state": state_index, "keyGroupStart": kg_start, "keyGroupCount": kg_count,
                "segments": segments}

    def split(self, split_id):
        cur = self.cur
        ptype = cur.enum("positionType", 4, "unknownKind")
        if ptype == 0:
            return {"splitId": split_id, "type": "generic", "serializer": cur.string("serializer"),
                    "serializerVersion": cur.varint("serializerVersion"),
                    "position": cur.bytes_("position").hex()}
        if ptype == 1:
            return {"splitId": split_id, "type": "kafka", "topic": cur.string("topic"),
                    "partition": cur.varint("partition"), "nextOffset": cur.svarint("nextOffset")}
        if ptype == 3:
            return {"splitId": split_id, "type": "numberSequence", "next": cur.svarint("next"),
                    "last": cur.svarint("last")}
        return {"splitId": split_id, "type": "kinesis", "stream": cur.string("stream"),
                "shardId": cur.string("shardId"), "sequenceNumber": cur.string("sequenceNumber")}


def read_base(cur):
    """BASE (§13.1): where the delta's base is and what it must be."""
    at = cur.pos
    name = cur.string("base file")
    if name in ("", ".", "..") or any(c in name for c in "/\\\0"):
        raise cur.error("invalidValue", f"base file name {name!r} is not a plain file name", at)
    base = {"file": name, "snapshotId": cur.string("base snapshotId"),
            "fileSize": cur.varint("base file size"), "indexCRC": f"{cur.u32('base index CRC'):08x}"}
    at = cur.pos
    depth = cur.varint("depth")
    if not 1 <= depth <= MAX_CHAIN_DEPTH:
        raise cur.error("invalidValue", f"chain depth {depth} outside 1..{MAX_CHAIN_DEPTH}", at)
    base["depth"] = depth
    return base


def read_index(content, index_offset, delta=False):
    """Sections (§6): METADATA, SERIALIZERS, BLOCKS, OPERATORS (and BASE in a delta) in that
    order, each once; optional sections (tag >= 0x80) anywhere after METADATA are skipped."""
    last = 5 if delta else 4
    cur = Cursor(content, where="index")
    found = {}
    expected = 1
    while not cur.at_end():
        start = cur.pos
        tag = cur.u8("section tag")
        length = cur.varint("section length")
        body = cur.sub(length, f"section 0x{tag:02x} body")
        if tag & 0x80:
            if expected == 1:
                raise cur.error("outOfOrder", f"optional section 0x{tag:02x} before METADATA", start)
            continue
        if tag == 5 and not delta:
            raise cur.error("invalidValue", "BASE section in a snapshot without the DELTA flag", start)
        if tag not in SECTION_NAMES:
            raise cur.error("unknownTag", f"unknown required section tag 0x{tag:02x}", start)
        if tag != expected:
            raise cur.error("outOfOrder", f"section {SECTION_NAMES[tag]} where "
                                          f"{SECTION_NAMES.get(expected, 'no further required section')} "
                                          f"is expected", start)
        name = SECTION_NAMES[tag]
        try:
            if tag == 1:
                found["metadata"] = read_metadata(body)
            elif tag == 2:
                found["serializers"] = read_serializers(body)
            elif tag == 3:
                found["blocks"] = read_blocks_table(body, index_offset)
            elif tag == 5:
                found["base"] = read_base(body)
            else:
                reader = OperatorsReader(body, found["serializers"], found["blocks"])
                found["operators"] = reader.read()
                found["refs"] = reader.refs
            body.expect_end(f"section {name}")
        except CairnError as e:
            raise e.within(f"section {name}")
        expected += 1
    if expected <= last:
        raise cur.error("truncated", f"the index ends before section {SECTION_NAMES[expected]}")
    # Every data block is referenced exactly once (§4); extension blocks (0x40-0x7E) belong to
    # optional sections this reader does not know, so they are exempt.
    for n, b in enumerate(found["blocks"]):
        if found["refs"][n] == 0 and not is_extension_kind(b["kind"]):
            fail("invalidValue", f"block {n} (file offset {b['offset']}, kind "
                                 f"{KIND_NAMES.get(b['kind'])}) is referenced by no unit")
    return found


# ---------------------------------------------------------------------------------------------
# Opening a file (§2) and decoding the data blocks (§5)
# ---------------------------------------------------------------------------------------------

def open_file(data):
    """Header, footer and index checks in the order the reader contract lists them.
    Returns (major, minor, index_offset, decoded index content)."""
    size = len(data)
    if size < HEADER_SIZE + FOOTER_SIZE:
        fail("truncated", f"file is {size} bytes, a snapshot has at least 48")
    if data[0:8] != HEADER_MAGIC:
        fail("badMagic", "header magic is not CAIRNSNP at file offset 0")
    foot = size - FOOTER_SIZE
    if data[foot + 24:foot + 32] != FOOTER_MAGIC:
        fail("badMagic", f"footer magic is not CAIRNEND at file offset {foot + 24}")
    index_offset, index_length, f_major, f_minor, f_crc = struct.unpack_from(">QQHHI", data, foot)
    actual = crc32c(data[foot:foot + 20])
    if actual != f_crc:
        fail("checksumMismatch", f"footer CRC32C is {actual:08x}, footer says {f_crc:08x} "
                                 f"at file offset {foot + 20}")
    h_major, h_minor, flags = struct.unpack_from(">HHI", data, 8)
    if h_major != 1:
        fail("unsupportedVersion", f"header major version {h_major} at file offset 8 (this reader knows 1)")
    if f_major != 1:
        fail("unsupportedVersion", f"footer major version {f_major} at file offset {foot + 16}")
    if (f_major, f_minor) != (h_major, h_minor):
        fail("invalidValue", f"footer version {f_major}.{f_minor} at file offset {foot + 16} "
                             f"differs from header version {h_major}.{h_minor}")
    if flags & ~DELTA_FLAG:
        fail("unknownFlags", f"header flags 0x{flags:08x} at file offset 12")
    if flags & DELTA_FLAG and h_minor < 1:
        fail("invalidValue", f"header sets DELTA but says format {h_major}.{h_minor} at file offset 10")
    if index_offset < HEADER_SIZE or index_offset + index_length != foot:
        fail("lengthOutOfBounds", f"index at file offset {index_offset} with length {index_length} "
                                  f"does not end at the footer (file offset {foot})")
    if index_length < BLOCK_HEADER_SIZE:
        fail("lengthOutOfBounds", f"index length {index_length} is shorter than a block header")
    h = read_frame_header(data, index_offset)
    if h["storedLength"] != index_length - BLOCK_HEADER_SIZE:
        fail("lengthOutOfBounds", f"index block storedLength {h['storedLength']} at file offset "
                                  f"{index_offset + 8} != indexLength - 16 = {index_length - 16}")
    check_frame_crc(data, index_offset, h["storedLength"], h["crc"], "index block")
    where = f"index block at file offset {index_offset}"
    if h["kind"] != INDEX:
        fail("invalidValue", f"{where}: kind 0x{h['kind']:02x}, expected 0x7f")
    if h["codec"] not in CODECS:
        fail("unknownKind", f"{where}: unknown codec {h['codec']}")
    if h["reserved"] != 0:
        fail("invalidValue", f"{where}: reserved field is {h['reserved']}, must be 0")
    if h["rawLength"] > MAX_INDEX_RAW:
        fail("lengthOutOfBounds", f"{where}: rawLength {h['rawLength']} exceeds 1 GiB")
    if h["codec"] == 0 and h["storedLength"] != h["rawLength"]:
        fail("invalidValue", f"{where}: codec none but storedLength != rawLength")
    stored = data[index_offset + 16:index_offset + 16 + h["storedLength"]]
    content = decompress(stored, h["codec"], h["rawLength"], where)
    return h_major, h_minor, index_offset, content, bool(flags & DELTA_FLAG), h["crc"]


def load_block(data, n, entry):
    """Frame header == table entry, CRC, then decode (extension blocks are verified, not decoded)."""
    off = entry["offset"]
    where = f"block {n} at file offset {off}"
    h = read_frame_header(data, off)
    for field in ("kind", "codec", "rawLength", "storedLength", "crc"):
        if h[field] != entry[field]:
            fail("invalidValue", f"{where}: header {field} {h[field]} != index entry {entry[field]}")
    check_frame_crc(data, off, h["storedLength"], h["crc"], f"block {n}")
    if h["reserved"] != 0:
        fail("invalidValue", f"{where}: reserved field is {h['reserved']}, must be 0")
    if is_extension_kind(h["kind"]):
        return None
    stored = data[off + 16:off + 16 + h["storedLength"]]
    return decompress(stored, h["codec"], h["rawLength"], where)


class UnitContent:
    """Iterates over the content of a unit's blocks and counts items against the index.
    Items are read per block until the block is consumed; bytes left in a block after the
    unit's count is reached, or fewer items than counted, are `invalidValue` (SPEC §11)."""

    def __init__(self, contents, span, count, what):
        self.contents, self.span, self.count, self.what = contents, span, count, what
        self.seen = 0

    def __iter__(self):
        for n in self.span:
            cur = Cursor(self.contents[n], where=f"block {n} content")
            while not cur.at_end():
                if self.seen == self.count:
                    raise cur.error("invalidValue", f"{self.what}: blocks hold more than the "
                                                    f"{self.count} items the index counts")
                self.seen += 1
                yield cur
        if self.seen != self.count:
            fail("invalidValue", f"{self.what}: blocks hold {self.seen} items, index says {self.count}")


def decode_keyed_unit(unit, op, contents, serializers, delta=False):
    desc = op["states"][unit["state"]]
    schema = None
    if desc["valueSerializer"] is not None:
        schema = serializers[desc["valueSerializer"]]["schema"]
    groups = []
    for seg in unit["segments"]:
        kg = seg["keyGroup"]
        entries, prev = [], None
        for cur in UnitContent(contents, seg["span"], seg["count"], f"key group {kg}"):
            start = cur.pos
            flags = cur.u8("entry flags")
            if flags & (0xE0 if delta else 0xF8):
                raise cur.error("unknownFlags", f"entry flags 0x{flags:02x} set unknown bits", start)
            if flags & 0x10:
                if flags != 0x10 or entries:
                    raise cur.error("invalidValue", "a reset mark must be alone and first in its key group", start)
                entries.append({"reset": True})
                continue
            tombstone = bool(flags & 8)
            if tombstone and flags & 1:
                raise cur.error("invalidValue", "a tombstone carries a TTL", start)
            key = cur.bytes_("key")
            ns = cur.bytes_("namespace") if flags & 2 else None
            uk = cur.bytes_("userKey") if flags & 4 else None
            if tombstone:
                actual_kg = murmur3_32(key) % op["maxParallelism"]
                if actual_kg != kg:
                    raise cur.error("invalidValue", f"tombstone key {key.hex()} hashes to key group "
                                                    f"{actual_kg}, segment is key group {kg}", start)
                triple = (key, ns or b"", uk or b"")
                if not ascending(prev, triple):
                    raise cur.error("outOfOrder", f"tombstone (key {key.hex()}) not strictly ascending", start)
                prev = triple
                entries.append({"key": key.hex(), "namespace": None if ns is None else ns.hex(),
                                "userKey": None if uk is None else uk.hex(), "tombstone": True})
                continue
            value = cur.bytes_("value")
            value_start = cur.pos - len(value)
            ttl = cur.i64("ttl") if flags & 1 else None
            actual_kg = murmur3_32(key) % op["maxParallelism"]
            if actual_kg != kg:
                raise cur.error("invalidValue", f"key {key.hex()} hashes to key group {actual_kg}, "
                                                f"segment is key group {kg}", start)
            triple = (key, ns or b"", uk or b"")
            if not ascending(prev, triple):
                raise cur.error("outOfOrder", f"entry (key {key.hex()}) not strictly ascending by "
                                              f"(key, namespace, userKey) in key group {kg}", start)
            prev = triple
            e = {"key": key.hex(), "namespace": None if ns is None else ns.hex(),
                 "userKey": None if uk is None else uk.hex(), "value": value.hex(), "ttl": ttl}
            if schema is not None:
                # Decode the value in place so that error offsets are block content offsets.
                vcur = Cursor(cur.data, value_start, value_start + len(value), cur.where)
                e["decoded"] = read_value(vcur, schema, "value")
                vcur.expect_end("the typed value")
            entries.append(e)
        groups.append({"keyGroup": kg, "entries": entries})
    return {"state": desc["name"], "keyGroupStart": unit["keyGroupStart"],
            "keyGroupCount": unit["keyGroupCount"], "groups": groups}


def decode_operator_state(unit, op, contents):
    name = op["states"][unit["state"]]["name"]
    what = f"operator state {name!r}"
    if unit["broadcast"]:
        entries, prev = [], None
        for cur in UnitContent(contents, unit["span"], unit["count"], what):
            start = cur.pos
            key = cur.bytes_("broadcast key")
            if not ascending(prev, key):
                raise cur.error("outOfOrder",
                                f"broadcast key {key.hex() or '(empty)'} not strictly ascending", start)
            prev = key
            entries.append({"key": key.hex(), "value": cur.bytes_("broadcast value").hex()})
        return {"state": name, "entries": entries}
    elements = [cur.bytes_("element").hex()
                for cur in UnitContent(contents, unit["span"], unit["count"], what)]
    return {"state": name, "elements": elements}


def decode_channel(unit, contents):
    direction, gate, channel = unit["key"]
    buffers, prev = [], None
    what = f"channel ({'input' if direction == 0 else 'output'}, {gate}, {channel})"
    for cur in UnitContent(contents, unit["span"], unit["count"], what):
        start = cur.pos
        seq = cur.varint("sequenceNumber")
        if not ascending(prev, seq):
            raise cur.error("outOfOrder", f"{what}: sequence number {seq} not strictly ascending", start)
        prev = seq
        buffers.append({"sequence": seq, "data": cur.bytes_("buffer data").hex()})
    return {"direction": "input" if direction == 0 else "output", "gate": gate,
            "channel": channel, "buffers": buffers}


def decode_subtask(st, op, contents, serializers, delta=False):
    """The data of one subtask's units; errors name the state or channel."""
    def state_of(u):
        return f"state {op['states'][u['state']]['name']!r}"

    def channel_of(u):
        return f"channel {u['key']}"

    out = {"index": st["index"], "keyed": [], "operatorState": [], "channels": [],
           "splits": st["splits"], "opaque": []}
    for u in st["opaque"]:
        data = b"".join(contents[n] for n in u["span"])
        out["opaque"].append({k: v for k, v in u.items() if k != "span"} | {"data": data.hex()})
    for key, fn, where in (
            ("keyed", lambda u: decode_keyed_unit(u, op, contents, serializers, delta), state_of),
            ("operatorState", lambda u: decode_operator_state(u, op, contents), state_of),
            ("channels", lambda u: decode_channel(u, contents), channel_of)):
        for u in st[key]:
            try:
                out[key].append(fn(u))
            except CairnError as e:
                raise e.within(where(u))
    return out


def decode(data, open_base=None, name="snapshot", depth_seen=0):
    """Decode a whole snapshot into the canonical JSON structure; raises CairnError.
    For a delta, `open_base(file_name)` returns the base's bytes (or None if missing); the
    result then holds `base` and the chain's merged keyed state (`merged`, SPEC §13.3)."""
    major, minor, index_offset, index_content, delta, index_crc = open_file(data)
    idx = read_index(index_content, index_offset, delta)
    blocks, serializers = idx["blocks"], idx["serializers"]
    contents = [load_block(data, n, b) for n, b in enumerate(blocks)]

    operators = []
    for op in idx["operators"]:
        try:
            coordinator = None
            if op["coordinator"]:
                coordinator = b"".join(contents[n] for n in op["coordinator"]).hex()
            subtasks = []
            for st in op["subtasks"]:
                try:
                    subtasks.append(decode_subtask(st, op, contents, serializers, delta))
                except CairnError as e:
                    raise e.within(f"subtask {st['index']}")
        except CairnError as e:
            raise e.within(f"operator {op['id'].hex()}")
        operators.append({
            "id": op["id"].hex(), "uid": op["uid"], "name": op["name"],
            "parallelism": op["parallelism"], "maxParallelism": op["maxParallelism"],
            "coordinator": coordinator,
            "states": [{"name": d["name"], "kind": STATE_KINDS[d["kind"]],
                        "keySerializer": d["keySerializer"],
                        "namespaceSerializer": d["namespaceSerializer"],
                        "valueSerializer": d["valueSerializer"], "ttl": d["ttl"]}
                       for d in op["states"]],
            "subtasks": subtasks,
        })

    result = {
        "format": {"major": major, "minor": minor},
        "metadata": idx["metadata"],
        "serializers": [{"name": s["name"], "version": s["version"],
                         "schema": None if s["schema"] is None else schema_json(s["schema"]),
                         "configuration": s["configuration"].hex()} for s in serializers],
        "blocks": [{"offset": b["offset"], "kind": b["kind"], "codec": CODECS[b["codec"]],
                    "rawLength": b["rawLength"], "storedLength": b["storedLength"],
                    "crc": f"{b['crc']:08x}"} for b in blocks],
        "operators": operators,
    }
    # Kept aside for merging (not part of the JSON).
    result["_chain"] = {"indexCRC": f"{index_crc:08x}", "size": len(data),
                        "depth": idx["base"]["depth"] if delta else 0}
    if delta:
        base = idx["base"]
        result["base"] = base
        if open_base is not None:
            if depth_seen >= MAX_CHAIN_DEPTH:
                fail("invalidValue", f"{name}: chain longer than {MAX_CHAIN_DEPTH}")
            base_data = open_base(base["file"])
            if base_data is None:
                fail("invalidValue", f"{name}: its base {base['file']} (snapshot {base['snapshotId']}) "
                                     f"is missing")
            below = decode(base_data, open_base, base["file"], depth_seen + 1)
            got = below["_chain"]
            differences = []
            if below["metadata"]["snapshotId"] != base["snapshotId"]:
                differences.append(f"snapshot id {below['metadata']['snapshotId']}, expected {base['snapshotId']}")
            if got["size"] != base["fileSize"]:
                differences.append(f"{got['size']} bytes, expected {base['fileSize']}")
            if got["indexCRC"] != base["indexCRC"]:
                differences.append(f"index CRC {got['indexCRC']}, expected {base['indexCRC']}")
            if got["depth"] + 1 != base["depth"]:
                differences.append(f"chain depth {got['depth'] + 1}, expected {base['depth']}")
            if differences:
                fail("invalidValue", f"{base['file']} is not the base {name} was written on: "
                                     + "; ".join(differences))
            result["merged"] = merge_chain(result, below)
    return result


def keyed_groups(decoded):
    """(operator id, state name) -> {key group: entries}, and operator id -> maxParallelism,
    from a decoded snapshot: its merged view if it is a delta, else its own entries."""
    groups, max_par = {}, {}
    for op in decoded["operators"]:
        max_par[op["id"]] = op["maxParallelism"]
    source = decoded["merged"]["operators"] if "merged" in decoded else decoded["operators"]
    for op in source:
        for st in op["subtasks"]:
            for unit in st["keyed"]:
                per = groups.setdefault((op["id"], unit["state"]), {})
                for g in unit["groups"]:
                    per[g["keyGroup"]] = g["entries"]
    return groups, max_par


def merge_chain(delta, base):
    """SPEC §13.3: the delta's structure; per key group, base entries with the delta's applied."""
    base_groups, base_max = keyed_groups(base)

    def position(e):
        return (bytes.fromhex(e["key"]), bytes.fromhex(e["namespace"] or ""),
                bytes.fromhex(e["userKey"] or ""))

    operators = []
    for op in delta["operators"]:
        subtasks = []
        for st in op["subtasks"]:
            keyed = []
            for unit in st["keyed"]:
                key = (op["id"], unit["state"])
                below = base_groups.get(key)
                if below is not None and base_max[op["id"]] != op["maxParallelism"]:
                    fail("invalidValue", f"operator {op['id']}: max parallelism {op['maxParallelism']} "
                                         f"in the delta, {base_max[op['id']]} in its base")
                own = {g["keyGroup"]: g["entries"] for g in unit["groups"]}
                groups = []
                for kg in range(unit["keyGroupStart"], unit["keyGroupStart"] + unit["keyGroupCount"]):
                    changes = own.get(kg, [])
                    if changes and changes[0].get("reset"):
                        merged, changes = {}, changes[1:]
                    else:
                        merged = {position(e): e for e in (below or {}).get(kg, [])}
                    for e in changes:
                        if e.get("tombstone"):
                            merged.pop(position(e), None)
                        else:
                            merged[position(e)] = e
                    if merged:
                        groups.append({"keyGroup": kg, "entries": [merged[p] for p in sorted(merged)]})
                keyed.append({"state": unit["state"], "keyGroupStart": unit["keyGroupStart"],
                              "keyGroupCount": unit["keyGroupCount"], "groups": groups})
            subtasks.append({"index": st["index"], "keyed": keyed})
        operators.append({"id": op["id"], "subtasks": subtasks})
    return {"operators": operators}


def public(result):
    """The canonical JSON: without the values kept for merging."""
    return {k: v for k, v in result.items() if k != "_chain"}


def base_opener(path):
    directory = os.path.dirname(os.path.abspath(path))

    def open_base(name):
        try:
            with open(os.path.join(directory, name), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None
    return open_base


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def cmd_decode(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"cannot read {path}: {e}", file=sys.stderr)
        return 2
    try:
        result = public(decode(data, base_opener(path), os.path.basename(path)))
    except CairnError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")
    return 0


def cmd_check(vectors_dir):
    passed = failed = 0

    def report(ok, name, reason=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {reason}")

    for path in sorted(glob.glob(os.path.join(vectors_dir, "*.cairn"))):
        name = os.path.basename(path)
        expected_path = path[:-len(".cairn")] + ".json"
        try:
            with open(expected_path, encoding="utf-8") as f:
                expected = json.load(f)
            with open(path, "rb") as f:
                actual = public(decode(f.read(), base_opener(path), name))
            # Round-trip through JSON so that tuples/lists compare like the parsed expectation.
            actual = json.loads(json.dumps(actual))
            if actual == expected:
                report(True, name)
            else:
                report(False, name, f"decoded JSON differs from {os.path.basename(expected_path)}"
                                    f" ({first_difference(expected, actual)})")
        except CairnError as e:
            report(False, name, f"unexpected error: {e}")
        except Exception as e:  # missing expectation, reader bug
            report(False, name, f"{type(e).__name__}: {e}")

    for path in sorted(glob.glob(os.path.join(vectors_dir, "bad", "*.cairn"))):
        name = "bad/" + os.path.basename(path)
        try:
            with open(path[:-len(".cairn")] + ".error", encoding="utf-8") as f:
                want = f.read().strip()
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            report(False, name, str(e))
            continue
        try:
            decode(data, base_opener(path), name)
            report(False, name, f"decoded without error, expected {want}")
        except CairnError as e:
            report(e.code == want, name, f"got {e}, expected {want}")
        except Exception as e:
            report(False, name, f"{type(e).__name__}: {e}")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed + failed > 0 else 1


def first_difference(a, b, path="$"):
    """A short description of where two JSON values first differ (for FAIL lines)."""
    if type(a) is not type(b):
        return f"{path}: expected {json.dumps(a)[:60]}, got {json.dumps(b)[:60]}"
    if isinstance(a, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return f"{path}.{k}: {'missing' if k not in b else 'unexpected'}"
            if a[k] != b[k]:
                return first_difference(a[k], b[k], f"{path}.{k}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: expected {len(a)} items, got {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: expected {json.dumps(a)[:60]}, got {json.dumps(b)[:60]}"


def cmd_selftest():
    checks = [
        ("crc32c('123456789')", crc32c(b"123456789"), 0xE3069283),
        # RFC 3720 (iSCSI) B.4 test vectors
        ("crc32c(32 x 00)", crc32c(bytes(32)), 0x8A9136AA),
        ("crc32c(32 x ff)", crc32c(b"\xff" * 32), 0x62A8AB43),
        ("crc32c(00..1f)", crc32c(bytes(range(32))), 0x46DD794E),
        ("crc32c split", crc32c(b"56789", crc32c(b"1234")), 0xE3069283),
        ("murmur3('')", murmur3_32(b""), 0x00000000),
        ("murmur3('hello')", murmur3_32(b"hello"), 0x248BFA47),
        ("murmur3('The quick brown fox jumps over the lazy dog')",
         murmur3_32(b"The quick brown fox jumps over the lazy dog"), 0x2E4FF723),
    ]
    bad = 0
    for name, got, want in checks:
        ok = got == want
        bad += not ok
        print(f"{'ok' if ok else 'FAIL'} {name} = 0x{got:08X}" + ("" if ok else f", expected 0x{want:08X}"))
    print(f"{len(checks) - bad} passed, {bad} failed")
    return 0 if bad == 0 else 1


def main(argv):
    if len(argv) == 3 and argv[1] == "decode":
        return cmd_decode(argv[2])
    if len(argv) == 3 and argv[1] == "check":
        return cmd_check(argv[2])
    if len(argv) == 2 and argv[1] == "selftest":
        return cmd_selftest()
    print("usage: cairn_reader.py decode FILE.cairn | check VECTORS_DIR | selftest", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
