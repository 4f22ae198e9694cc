import Foundation

extension AWSCredentials {
    /// `text` with the secret key and the session token replaced by `***`: a server or proxy may echo what it
    /// received in an error, and nothing Cairn prints may carry a secret.
    public func redacting(_ text: String) -> String {
        var out = text
        for secret in [secretAccessKey, sessionToken ?? ""] where secret.count >= 4 {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        return out
    }
}
