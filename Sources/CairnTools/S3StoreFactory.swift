import CairnCore
import CairnStore

/// The bridge to CairnS3, kept apart so the rest of CairnTools never imports the HTTP stack.
enum S3StoreFactory {
    static func open(url: String, options: StoreOpener.S3Options) throws -> any ObjectStore {
        throw UsageError("\(url): S3 stores are not wired in yet")
    }
}
