/// A parsed `http(s)://host[:port]` endpoint. Kept apart from Foundation's URL so the `Host` header we sign is
/// exactly the one that goes on the wire (the port only when it is not the scheme's default).
struct S3Endpoint: Sendable, Equatable, CustomStringConvertible {
    var secure: Bool
    /// A name, an IPv4 address, or an IPv6 address in brackets.
    var host: String
    var port: Int?

    init(secure: Bool, host: String, port: Int?) {
        self.secure = secure
        self.host = host
        self.port = port
    }

    /// Accepts `http://host`, `https://host:port`, with or without a trailing `/`; nothing after the authority.
    init?(_ text: String) {
        let secure: Bool
        var rest: Substring
        if text.lowercased().hasPrefix("https://") {
            secure = true
            rest = text.dropFirst(8)
        } else if text.lowercased().hasPrefix("http://") {
            secure = false
            rest = text.dropFirst(7)
        } else {
            return nil
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), !rest.contains("?"), !rest.contains("#") else { return nil }
        var host = rest
        var port: Int?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[...close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
        self.init(secure: secure, host: host.lowercased(), port: port == (secure ? 443 : 80) ? nil : port)
    }

    var scheme: String { secure ? "https" : "http" }

    /// `host[:port]`, as the Host header and the signature want it.
    var authority: String { port.map { "\(host):\($0)" } ?? host }

    var description: String { "\(scheme)://\(authority)" }

    /// The same server with `bucket.` in front of the host name.
    func prefixingHost(with bucket: String) -> S3Endpoint {
        S3Endpoint(secure: secure, host: bucket + "." + host, port: port)
    }
}
