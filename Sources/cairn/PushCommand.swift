import ArgumentParser
import CairnStore
import CairnTools

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Store a snapshot in a store, chunked and deduplicated.",
        discussion: """
            SOURCE is a .cairn file, a Flink checkpoint or savepoint (every file its _metadata references is stored, including shared/ files outside chk-N), or any directory. STORE is a local directory or s3://bucket/prefix; a new store is made on first push. Only chunks the store does not have are uploaded. A push can be killed at any moment: nothing is visible until its manifest is committed, and running it again reuses what was uploaded.

            Examples:
              cairn push demo/chk-3.cairn ./store
              cairn push /flink/checkpoints/7f3a…/chk-42 s3://my-bucket/cairn --json
            """)

    @Argument(help: "A .cairn file, a Flink checkpoint or savepoint, or a directory.")
    var source: String

    @Argument(help: "A local directory or s3://bucket/prefix.")
    var store: String

    @Flag(name: .customLong("force-read"), help: "Read every file, even those the previous snapshot of the same job or directory holds unchanged.")
    var forceRead = false

    @OptionGroup var options: StoreOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let pushSource = try PushSourceBuilder.build(source)
        let snapshotStore = try await StoreOpener.open(store, create: true, s3: options.s3)
        let bar = ProgressBar(verb: "push")
        let pusher = Pusher(store: snapshotStore, options: .init(forceRead: forceRead, lockWait: options.lockWait, progress: bar.callback))
        let report: PushReport
        do {
            report = try await pusher.push(pushSource)
        } catch {
            bar.finish()
            await snapshotStore.objects.close()
            throw error
        }
        bar.finish()
        await snapshotStore.objects.close()
        Terminal.out(json ? report.json.rendered() : report.text(style: Terminal.style))
    }
}
