import CairnCore
import CairnStore

#if S3
import CairnS3
#endif

/// The bridge to CairnS3: credentials, region and endpoint come from the AWS_* variables and ~/.aws files,
/// `--endpoint` and `--profile` win over both.
enum S3StoreFactory {
    static func open(url: String, options: S3Options) throws -> any ObjectStore {
        #if S3
        try S3ObjectStore.open(url: url, endpointOverride: options.endpoint, profile: options.profile)
        #else
        throw UsageError("\(url): this cairn was built without S3 support (the lean build of `make demo`); build it with `make install` or `swift build -c release`")
        #endif
    }
}
