import CairnCore

/// Decodes the Snappy framing format that Flink's snapshot compression writes (xerial `SnappyFramedOutputStream`):
/// a stream identifier, then chunks of compressed or uncompressed data, each at most 64 KiB decoded.
///
/// It decodes on demand, so a reader can stop at the end of a key group without decoding the rest of the file, and
/// it never produces more than 64 KiB per chunk whatever the input claims.
public struct SnappyFrameDecoder {
    static let identifier: [UInt8] = [0xFF, 0x06, 0x00, 0x00, 0x73, 0x4E, 0x61, 0x50, 0x70, 0x59]
    public static let maxChunk = 65_536

    private let input: [UInt8]
    private var position: Int
    /// Decoded bytes not yet consumed.
    private var buffer: [UInt8] = []
    private var bufferPosition = 0

    /// Starts at `offset`, which must hold a stream identifier.
    public init(_ input: [UInt8], at offset: Int) throws(DecodeError) {
        guard offset >= 0, offset + 10 <= input.count, Array(input[offset..<(offset + 10)]) == Self.identifier else {
            throw DecodeError(.badMagic, "no Snappy stream identifier", at: offset)
        }
        self.input = input
        self.position = offset + 10
    }

    /// Reads exactly `n` decoded bytes.
    public mutating func read(_ n: Int) throws(DecodeError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(n, Self.maxChunk))
        while out.count < n {
            if bufferPosition == buffer.count { try nextChunk() }
            let take = min(n - out.count, buffer.count - bufferPosition)
            out += buffer[bufferPosition..<(bufferPosition + take)]
            bufferPosition += take
        }
        return out
    }

    /// Every decoded byte not read yet, to the end of the input; more than `limit` bytes is an error.
    public mutating func readToEnd(limit: Int = 1 << 30) throws(DecodeError) -> [UInt8] {
        var out = Array(buffer[bufferPosition...])
        bufferPosition = buffer.count
        while try nextChunk(endAllowed: true) {
            guard out.count + buffer.count <= limit else {
                throw DecodeError(.lengthOutOfBounds, "Snappy stream decodes to more than \(limit) bytes", at: position)
            }
            out += buffer
            bufferPosition = buffer.count
        }
        return out
    }

    /// Skips `n` decoded bytes.
    public mutating func skip(_ n: Int) throws(DecodeError) {
        var left = n
        while left > 0 {
            if bufferPosition == buffer.count { try nextChunk() }
            let take = min(left, buffer.count - bufferPosition)
            bufferPosition += take
            left -= take
        }
    }

    /// Decodes the next data chunk into `buffer`; false at the end of the input when `endAllowed`.
    @discardableResult
    private mutating func nextChunk(endAllowed: Bool = false) throws(DecodeError) -> Bool {
        while true {
            if endAllowed && position == input.count { return false }
            guard position + 4 <= input.count else { throw DecodeError(.truncated, "Snappy stream ends inside a chunk header", at: position) }
            let type = input[position]
            let length = Int(input[position + 1]) | Int(input[position + 2]) << 8 | Int(input[position + 3]) << 16
            let start = position + 4
            guard start + length <= input.count else {
                throw DecodeError(.lengthOutOfBounds, "Snappy chunk of \(length) bytes runs past the end", at: position)
            }
            position = start + length
            switch type {
            case 0x00:
                guard length >= 4 else { throw DecodeError(.invalidValue, "compressed Snappy chunk too short", at: start - 4) }
                buffer = try Self.decompress(input, (start + 4)..<(start + length))
                bufferPosition = 0
                return true
            case 0x01:
                guard length >= 4, length - 4 <= Self.maxChunk else { throw DecodeError(.invalidValue, "uncompressed Snappy chunk of bad length", at: start - 4) }
                buffer = Array(input[(start + 4)..<(start + length)])
                bufferPosition = 0
                if buffer.isEmpty { continue }
                return true
            case 0xFF:
                continue  // a repeated stream identifier
            case 0x02...0x7F:
                throw DecodeError(.unknownTag, "reserved unskippable Snappy chunk type 0x\(String(type, radix: 16))", at: start - 4)
            default:
                continue  // skippable padding
            }
        }
    }

    /// Splits bytes holding Snappy-framed streams written one after another (a compressed heap key group: one
    /// stream per state) at their stream identifiers, walking the chunk headers. `bytes[from...]` must start with
    /// an identifier and end with a whole chunk.
    public static func streams(_ bytes: [UInt8], from: Int) throws(DecodeError) -> [Range<Int>] {
        var starts: [Int] = []
        var p = from
        while p < bytes.count {
            guard p + 4 <= bytes.count else { throw DecodeError(.truncated, "Snappy stream ends inside a chunk header", at: p) }
            let type = bytes[p]
            let length = Int(bytes[p + 1]) | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3]) << 16
            if type == 0xFF {
                guard p + 10 <= bytes.count, Array(bytes[p..<(p + 10)]) == identifier else {
                    throw DecodeError(.badMagic, "Snappy stream identifier chunk is not 'sNaPpY'", at: p)
                }
                starts.append(p)
            } else if starts.isEmpty {
                throw DecodeError(.badMagic, "no Snappy stream identifier", at: p)
            }
            guard p + 4 + length <= bytes.count else {
                throw DecodeError(.lengthOutOfBounds, "Snappy chunk of \(length) bytes runs past the end", at: p)
            }
            p += 4 + length
        }
        return starts.enumerated().map { i, s in s..<(i + 1 < starts.count ? starts[i + 1] : bytes.count) }
    }

    /// Decodes one raw Snappy block (at most 64 KiB as framing allows).
    public static func decompress(_ input: [UInt8], _ range: Range<Int>) throws(DecodeError) -> [UInt8] {
        try Snappy.decompress(input, range, maxLength: maxChunk)
    }
}
