/// An operator named on the command line: by uid, by operator id (32 hex digits) or by name.
public struct OperatorReference: Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public init(_ text: String) { self.text = text }
    public func matches(_ info: OperatorInfo) -> Bool {
        info.uid == text || info.id.hex == text.lowercased() || info.name == text
    }
    public var description: String { text }
}
