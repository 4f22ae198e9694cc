/// Writes a JSON document piece by piece into a `ByteSink`, so a large `--json` answer never exists as a whole
/// `JSONValue` tree. The bytes are identical to `JSONValue.rendered(indent:)` of the same document: same layout,
/// same number forms, same escaping (it uses the same encoder functions).
///
/// Calls must describe a well-formed document (`key` before every value inside an object, balanced begin/end);
/// the writer checks that only in debug builds. Output is buffered; the first sink error stops further writes
/// and is thrown by `finish()`.
public final class JSONStreamWriter: JSONOutput {
    private let sink: any ByteSink
    private let indent: Int
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 16
    private var failure: IOError?
    /// Per open container: whether it is an object, and how many members it has so far.
    private var stack: [(isObject: Bool, count: Int)] = []
    /// A key was just written; the next value follows it on the same line.
    private var afterKey = false

    /// `indent` > 0 pretty-prints like `JSONValue.rendered(indent:)`; 0 writes one line.
    public init(sink: any ByteSink, indent: Int = 2) {
        self.sink = sink
        self.indent = indent
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    public func beginObject() { open(0x7B, isObject: true) }
    public func endObject() { close(0x7D) }
    public func beginArray() { open(0x5B, isObject: false) }
    public func endArray() { close(0x5D) }

    /// The name of the next member of the innermost object.
    public func key(_ name: String) {
        assert(stack.last?.isObject == true && !afterKey, "JSONStreamWriter: key outside an object")
        separate()
        JSONValue.quote(name, into: &buffer)
        buffer.append(0x3A)
        if indent > 0 { buffer.append(0x20) }
        afterKey = true
    }

    public func string(_ s: String) { scalar { JSONValue.quote(s, into: &buffer) } }
    public func int(_ i: Int) { scalar { JSONValue.decimal(Int64(i), into: &buffer) } }
    public func int(_ i: Int64) { scalar { JSONValue.decimal(i, into: &buffer) } }
    public func double(_ d: Double) { scalar { JSONValue.double(d, into: &buffer) } }
    public func bool(_ b: Bool) { scalar { buffer += b ? Self.trueBytes : Self.falseBytes } }
    public func null() { scalar { buffer += Self.nullBytes } }

    /// A small subtree built as a `JSONValue`, written at the current depth.
    public func value(_ v: JSONValue) {
        let level = stack.count
        scalar { v.write(into: &buffer, indent: indent, level: level) }
    }

    /// Writes what is buffered to the sink (without committing it); throws the first write error.
    public func finish() throws(IOError) {
        assert(stack.isEmpty, "JSONStreamWriter: finished with open containers")
        flush()
        if let failure { throw failure }
    }

    // MARK: Layout

    private func open(_ bracket: UInt8, isObject: Bool) {
        separate()
        afterKey = false
        buffer.append(bracket)
        stack.append((isObject, 0))
    }

    private func close(_ bracket: UInt8) {
        assert(!afterKey, "JSONStreamWriter: a key without a value")
        guard let top = stack.popLast() else { return }
        if top.count > 0, indent > 0 {
            buffer.append(0x0A)
            JSONValue.pad(&buffer, indent * stack.count)
        }
        buffer.append(bracket)
        flushIfFull()
    }

    private func scalar(_ write: () -> Void) {
        separate()
        afterKey = false
        write()
        flushIfFull()
    }

    /// Before a member: a comma after the previous one and, pretty-printed, a new line at the member's depth.
    /// A value right after its key needs neither.
    private func separate() {
        if afterKey { return }
        guard !stack.isEmpty else { return }
        if stack[stack.count - 1].count > 0 { buffer.append(0x2C) }
        stack[stack.count - 1].count += 1
        if indent > 0 {
            buffer.append(0x0A)
            JSONValue.pad(&buffer, indent * stack.count)
        }
    }

    private func flushIfFull() {
        if buffer.count >= flushThreshold { flush() }
    }

    private func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard failure == nil, !buffer.isEmpty else { return }
        do throws(IOError) {
            try sink.write(buffer)
        } catch {
            failure = error
        }
    }

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
}
