import FuzzEntryPoints

/// libFuzzer entry: `FuzzEntryPoints.planYAML` (Tests/CairnToolsTests/FuzzEntryPoints.swift) on every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.planYAML(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
