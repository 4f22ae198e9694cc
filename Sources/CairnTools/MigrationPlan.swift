import CairnCore
import CairnFormat

/// A `--migrate PLAN.yaml` file: per state, schema version from → to with rename, default and widening rules.
/// (Being written for issue 5; NativeRewriter applies it.)
public struct MigrationPlan: Sendable {
    public init() {}

    public static func load(path: String) throws -> MigrationPlan {
        throw UsageError("\(path): --migrate is not implemented yet")
    }
}
