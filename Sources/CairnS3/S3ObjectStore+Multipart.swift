import CairnCore
import CairnStore
import Crypto

extension S3ObjectStore {
    /// Uploads `data` as a multipart upload: parts in parallel (bounded by the store's request limit), then
    /// CompleteMultipartUpload, with `If-None-Match: *` when `ifNoneMatch` so it only creates. Any failure aborts
    /// the upload, so no parts are left to be billed.
    func multipartUpload(_ key: String, data: [UInt8], ifNoneMatch: Bool) async throws(ObjectStoreError) -> CreateOutcome {
        // S3 allows 10,000 parts; grow the part size for objects too large for the configured one.
        var partSize = configuration.partSize
        while (data.count + partSize - 1) / partSize > 10_000 { partSize *= 2 }
        let ranges = stride(from: 0, to: max(data.count, 1), by: partSize).map { $0..<min($0 + partSize, data.count) }

        let created = try await transport.send(.init(kind: .put, method: "POST", key: key, query: [("uploads", "")]))
        guard created.status == 200 else { throw failure(created, key: key, operation: "CreateMultipartUpload") }
        guard let root = S3XMLElement.parse(created.body), let uploadId = root.text("UploadId"), !uploadId.isEmpty else {
            throw ObjectStoreError(.server, place: transport.place(key), message: "CreateMultipartUpload answered without an UploadId")
        }

        do throws(ObjectStoreError) {
            let etags = try await uploadParts(key, uploadId: uploadId, data: data, ranges: ranges)
            var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            for (i, tag) in etags.enumerated() {
                xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\"\(Self.xmlEscape(tag))\"</ETag></Part>"
            }
            xml += "</CompleteMultipartUpload>"
            let body = Array(xml.utf8)
            let r = try await transport.send(
                .init(
                    kind: .put, method: "POST", key: key, query: [("uploadId", uploadId)],
                    headers: ifNoneMatch ? [("if-none-match", "*"), ("content-type", "application/xml")] : [("content-type", "application/xml")],
                    body: body[...], errorMayHideIn200: true))
            if r.status == 200 { return .created }
            // An earlier attempt may have completed the upload and lost its answer: then the upload is gone
            // (NoSuchUpload) or, for a conditional one, the object exists (412) — with our ETag in both cases.
            if r.attempts > 1, r.status == 412 || r.errorCode == "NoSuchUpload",
                try await storedETag(key) == Self.multipartETag(data, ranges: ranges)
            {
                return .created
            }
            await abort(key, uploadId: uploadId)
            if r.status == 412 && ifNoneMatch { return .alreadyExists }
            throw failure(r, key: key, operation: "CompleteMultipartUpload")
        } catch {
            await abort(key, uploadId: uploadId)
            throw error
        }
    }

    private func uploadParts(
        _ key: String, uploadId: String, data: [UInt8], ranges: [Range<Int>]
    ) async throws(ObjectStoreError) -> [String] {
        let transport = self.transport
        let window = max(1, configuration.maxConcurrentRequests)
        do {
            return try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var etags = [String](repeating: "", count: ranges.count)
                var next = 0
                func startNext() {
                    let index = next
                    next += 1
                    let part = data[ranges[index]]
                    group.addTask {
                        let r = try await transport.send(
                            .init(
                                kind: .put, method: "PUT", key: key,
                                query: [("partNumber", String(index + 1)), ("uploadId", uploadId)],
                                body: part, sendContentMD5: true))
                        guard r.status == 200 else { throw self.failure(r, key: key, operation: "UploadPart \(index + 1)") }
                        guard let tag = r.header("etag") else {
                            throw ObjectStoreError(
                                .server, place: transport.place(key), message: "UploadPart \(index + 1) answered without an ETag")
                        }
                        return (index, Self.unquote(tag))
                    }
                }
                while next < min(window, ranges.count) { startNext() }
                while let (index, tag) = try await group.next() {
                    etags[index] = tag
                    if next < ranges.count { startNext() }
                }
                return etags
            }
        } catch let error as ObjectStoreError {
            throw error
        } catch {
            throw ObjectStoreError(.transport, place: transport.place(key), message: "uploading parts failed: \(error)")
        }
    }

    /// Best effort: a failed abort leaves parts that a bucket lifecycle rule removes.
    private func abort(_ key: String, uploadId: String) async {
        _ = try? await transport.send(.init(kind: .delete, method: "DELETE", key: key, query: [("uploadId", uploadId)]))
    }

    /// The ETag S3 gives a multipart object: MD5 of the parts' MD5 digests, then `-` and the part count.
    static func multipartETag(_ data: [UInt8], ranges: [Range<Int>]) -> String {
        var digests: [UInt8] = []
        for r in ranges { digests += Array(Insecure.MD5.hash(data: data[r])) }
        return md5Hex(digests[...]) + "-\(ranges.count)"
    }

    static func xmlEscape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
