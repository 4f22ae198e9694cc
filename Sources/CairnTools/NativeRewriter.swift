import CairnCore
import CairnFormat

/// Rewrites a native snapshot by a `RewritePlan` into a new file, validated before it is moved into place; the
/// input is never modified. (Being written for issue 5.)
public enum NativeRewriter {
    public static func rewrite(source: String, to destination: String, plan: RewritePlan) throws -> RewriteReport {
        throw UsageError("rewriting native snapshots is not implemented yet")
    }
}
