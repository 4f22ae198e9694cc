import CairnTools

/// The fuzz target of the YAML parsers, apart from `FuzzEntryPoints` so the binary parsers' targets do not wait
/// for CairnTools and Yams to compile. Linked into Fuzz/Sources/FuzzYAMLEntryPoints.
public enum FuzzYAMLEntryPoints {
    public static let all: [String: @Sendable ([UInt8]) -> Void] = ["FuzzPlanYAML": planYAML]

    /// The YAML of job specs (`validate --against`) and migration plans, native and Flink (`rewrite --migrate`).
    public static func planYAML(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? JobSpecLoader.parse(text)
        _ = try? MigrationPlan.parse(text)
        _ = try? FlinkMigrationPlan.parse(text)
    }
}
