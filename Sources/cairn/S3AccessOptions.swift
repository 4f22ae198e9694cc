import ArgumentParser
import CairnSources

/// How to reach S3, for every command that takes an `s3://` SOURCE or STORE; the rest comes from the AWS_*
/// variables and ~/.aws files.
struct S3AccessOptions: ParsableArguments {
    @Option(help: "S3 endpoint URL for S3-compatible servers (beats AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and ~/.aws/config).")
    var endpoint: String?

    @Option(help: "AWS profile in ~/.aws/credentials and ~/.aws/config (beats AWS_PROFILE).")
    var profile: String?

    @Option(help: "AWS region of the bucket (beats AWS_REGION / AWS_DEFAULT_REGION and the profile's region).")
    var region: String?

    var s3: S3Options { S3Options(endpoint: endpoint, profile: profile, region: region) }
}
