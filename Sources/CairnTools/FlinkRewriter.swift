import CairnCore
import CairnFlink
import CairnFormat

/// Rewrites a Flink savepoint or retained checkpoint at the metadata level into a new directory, writing
/// `_metadata` in the input's version. (Being written for issue 5.)
public enum FlinkRewriter {
    public static func rewrite(_ snapshot: FlinkSnapshot, source: String, to destination: String, plan: RewritePlan) throws -> RewriteReport {
        throw UsageError("rewriting Flink snapshots is not implemented yet")
    }
}
