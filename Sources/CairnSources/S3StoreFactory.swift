import CairnCore
import CairnS3
import CairnStore

/// The bridge to CairnS3: credentials, region and endpoint come from the AWS_* variables and ~/.aws files,
/// `--endpoint` and `--profile` win over both.
enum S3StoreFactory {
    static func open(url: String, options: S3Options) throws -> any ObjectStore {
        try S3ObjectStore.open(url: url, endpointOverride: options.endpoint, profile: options.profile)
    }
}
