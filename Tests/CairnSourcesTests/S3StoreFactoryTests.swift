#if canImport(CairnS3)
import CairnS3
@testable import CairnSources
import Testing

/// How an S3 SOURCE or STORE is reached: the command line's --region and --endpoint win over AWS_* variables, and
/// Flink's s3a:// and s3p:// open the same bucket as s3://. No request is made.
@Suite("S3 options reach the client")
struct S3StoreFactoryTests {
    @Test("--region wins over AWS_REGION; s3a:// and s3p:// are s3://")
    func regionAndSchemes() async throws {
        for url in ["s3a://bkt/ckpts", "s3p://bkt/ckpts", "s3://bkt/ckpts"] {
            let environment = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-west-1", "HOME": "/nonexistent"]
            let store = try S3StoreFactory.open(url: url, options: S3Options(endpoint: "http://127.0.0.1:9", region: "eu-west-3"), environment: environment)
            let s3 = try #require(store as? S3ObjectStore)
            #expect(s3.configuration.region == "eu-west-3")
            #expect(s3.s3Location == S3Location(bucket: "bkt", prefix: "ckpts/"))
            await store.close()
        }
        let unset = try S3StoreFactory.open(url: "s3://bkt", options: S3Options(endpoint: "http://127.0.0.1:9"),
                                            environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-west-1", "HOME": "/nonexistent"])
        #expect((unset as? S3ObjectStore)?.configuration.region == "us-west-1")
        await unset.close()
    }
}
#endif
