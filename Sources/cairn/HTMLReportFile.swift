import CairnCore

/// Writes an HTML report atomically, so a report being regenerated is never seen half written.
enum HTMLReportFile {
    static func write(_ html: String, to path: String) throws {
        let sink = try AtomicFileSink(path: path)
        var bytes = Array(html.utf8)
        try bytes.withUnsafeMutableBytes { try sink.write(UnsafeRawBufferPointer($0)) }
        try sink.commit()
    }
}
