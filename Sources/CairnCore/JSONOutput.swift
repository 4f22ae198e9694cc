/// What a JSON document is written to, one token at a time: a `JSONStreamWriter` (bytes, streamed) or a
/// `JSONTreeBuilder` (a `JSONValue`). A report written against this has one description of its shape for both.
public protocol JSONOutput: AnyObject {
    func beginObject()
    func endObject()
    func beginArray()
    func endArray()
    func key(_ name: String)
    func string(_ s: String)
    func int(_ i: Int)
    func int(_ i: Int64)
    func double(_ d: Double)
    func bool(_ b: Bool)
    func null()
    /// A subtree already built as a value.
    func value(_ v: JSONValue)
}

extension JSONOutput {
    /// A string, or null when absent.
    public func optional(_ s: String?) { if let s { string(s) } else { null() } }
    /// An integer, or null when absent.
    public func optional(_ i: Int64?) { if let i { int(i) } else { null() } }
    /// An unsigned count: as `JSONValue.number(UInt64)` renders it.
    public func int(_ u: UInt64) { if u <= UInt64(Int64.max) { int(Int64(u)) } else { value(.number(u)) } }
}

/// Collects the tokens of a `JSONOutput` into a `JSONValue`, for callers that want the document as a value.
public final class JSONTreeBuilder: JSONOutput {
    /// Open containers: the members so far and, for objects, the pending key.
    private var stack: [(isObject: Bool, items: [(String, JSONValue)])] = []
    private var pendingKey: [String?] = []
    private var root: JSONValue?

    public init() {}

    /// The document, once every container is closed.
    public var result: JSONValue { root ?? .null }

    public func beginObject() { stack.append((true, [])); pendingKey.append(nil) }
    public func beginArray() { stack.append((false, [])); pendingKey.append(nil) }

    public func endObject() {
        guard let top = stack.popLast() else { return }
        pendingKey.removeLast()
        add(.object(top.items))
    }

    public func endArray() {
        guard let top = stack.popLast() else { return }
        pendingKey.removeLast()
        add(.array(top.items.map(\.1)))
    }

    public func key(_ name: String) { if !pendingKey.isEmpty { pendingKey[pendingKey.count - 1] = name } }
    public func string(_ s: String) { add(.string(s)) }
    public func int(_ i: Int) { add(.int(Int64(i))) }
    public func int(_ i: Int64) { add(.int(i)) }
    public func double(_ d: Double) { add(.double(d)) }
    public func bool(_ b: Bool) { add(.bool(b)) }
    public func null() { add(.null) }
    public func value(_ v: JSONValue) { add(v) }

    private func add(_ v: JSONValue) {
        guard !stack.isEmpty else { root = v; return }
        let k = pendingKey[pendingKey.count - 1] ?? ""
        pendingKey[pendingKey.count - 1] = nil
        stack[stack.count - 1].items.append((k, v))
    }
}
