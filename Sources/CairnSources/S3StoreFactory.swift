import CairnCore
import CairnStore
import Foundation

#if S3
import CairnS3
#endif

/// The bridge to CairnS3: credentials, region and endpoint come from the AWS_* variables and ~/.aws files;
/// `--endpoint`, `--profile` and `--region` win over both.
enum S3StoreFactory {
    static func open(url: String, options: S3Options, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any ObjectStore {
        #if S3
        var environment = environment
        if let region = options.region { environment["AWS_REGION"] = region }
        // Flink's s3a:// and s3p:// name the same buckets as s3://.
        let s3URL = ObjectStoreURL.s3Scheme(url).map { "s3://" + url.dropFirst($0.count + 3) } ?? url
        return try S3ObjectStore.open(url: s3URL, environment: environment, endpointOverride: options.endpoint, profile: options.profile)
        #else
        throw UsageError("\(url): this cairn was built without S3 support (the lean build of `make demo`); build it with `make install` or `swift build -c release`")
        #endif
    }
}
