import ArgumentParser
import CairnStore
import CairnSources
import CairnTools

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Store a snapshot in a store, chunked and deduplicated.",
        discussion: """
            SOURCE is a .cairn file, a Flink checkpoint or savepoint (every file its _metadata references is stored, including shared/ files outside chk-N), any directory, or a live Flink checkpoint in S3 (s3://, s3a://, s3p://: a chk-N, its _metadata or a job directory; objects the previous snapshot of the job holds with the same path, size and modification time are not read again). STORE is a local directory or s3://bucket/prefix; a new store is made on first push. Only chunks the store does not have are uploaded. A push can be killed at any moment: nothing is visible until its manifest is committed, and running it again reuses what was uploaded.

            Examples:
              cairn push demo/chk-3.cairn ./store
              cairn push /flink/checkpoints/7f3a…/chk-42 s3://my-bucket/cairn --json
              cairn push s3://flink-bucket/checkpoints/7f3a… ./store   # the job's latest checkpoint, read from S3
            """)

    @Argument(help: "A .cairn file, a Flink checkpoint or savepoint (local or s3://), or a directory.")
    var source: String

    @Argument(help: "A local directory or s3://bucket/prefix.")
    var store: String

    @Flag(name: .customLong("force-read"), help: "Read every file, even those the previous snapshot of the same job or directory holds unchanged.")
    var forceRead = false

    @OptionGroup var options: StoreOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let bar = ProgressBar(verb: "push")
        defer { bar.finish() }
        let options = Pusher.Options(forceRead: forceRead, lockWait: self.options.lockWait, progress: bar.callback)
        let (store, s3) = (self.store, self.options.s3)
        // A live checkpoint in S3 is listed first, then read by ranged GETs while it is pushed.
        let report = try await PushSourceOpener.withPushSource(source, s3: s3) { pushSource in
            try await StoreLocation(store).withStore(create: true, s3: s3) { store in
                try await Pusher(store: store, options: options).push(pushSource)
            }
        }
        bar.finish()
        Terminal.out(json ? report.json.rendered() : report.text(style: Terminal.style))
    }
}
