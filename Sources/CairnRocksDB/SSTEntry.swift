/// One entry of an SST data block: an internal key (user key, sequence number, type) and its value.
///
/// `userKey` and `value` are slices of buffers the iterator reuses: copy them (`Array(entry.value)`) to keep them
/// past the next call. Their indices do not start at 0.
public struct SSTEntry: Sendable {
    public var userKey: ArraySlice<UInt8>
    public var sequence: UInt64
    public var type: SSTValueType
    public var value: ArraySlice<UInt8>

    public init(userKey: ArraySlice<UInt8>, sequence: UInt64, type: SSTValueType, value: ArraySlice<UInt8>) {
        self.userKey = userKey
        self.sequence = sequence
        self.type = type
        self.value = value
    }
}
