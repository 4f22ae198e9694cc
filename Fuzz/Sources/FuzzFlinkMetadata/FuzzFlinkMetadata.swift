import FuzzEntryPoints

/// libFuzzer entry: `FuzzEntryPoints.flinkMetadata` (Tests/CairnToolsTests/FuzzEntryPoints.swift) on every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.flinkMetadata(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
