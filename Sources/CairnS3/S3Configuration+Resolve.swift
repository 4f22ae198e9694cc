import CairnCore
import CairnStore
import Foundation

extension S3Configuration {
    /// Builds a configuration the way the AWS CLI would, so users configure Cairn like their other S3 tools.
    ///
    /// - Profile: `profile`, else `AWS_PROFILE`, else `default`.
    /// - Credentials: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), else the profile in the
    ///   credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), else the profile in the config
    ///   file (`AWS_CONFIG_FILE`, default `~/.aws/config`). An explicit `profile` skips the variables, as `--profile`
    ///   does for the AWS CLI.
    /// - Region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`; with a custom endpoint `us-east-1`.
    /// - Endpoint: `endpointOverride` (the `--endpoint` flag), `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the
    ///   profile's `endpoint_url`; none of the last three when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
    ///
    /// Throws `.configuration` naming every place it looked when credentials or the region are missing.
    public static func resolve(
        environment env: [String: String],
        homeDirectory: String,
        endpointOverride: String? = nil,
        profile explicitProfile: String? = nil
    ) throws(ObjectStoreError) -> S3Configuration {
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let home = homeDirectory.hasSuffix("/") && homeDirectory.count > 1 ? String(homeDirectory.dropLast()) : homeDirectory
        func expand(_ path: String) -> String { path.hasPrefix("~/") ? home + path.dropFirst(1) : path }

        let explicit = nonEmpty(explicitProfile)
        let profileName = explicit ?? value("AWS_PROFILE") ?? "default"
        let credentialsFile = AWSSharedFile(path: expand(value("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials"), kind: .credentials)
        let configFile = AWSSharedFile(path: expand(value("AWS_CONFIG_FILE") ?? "~/.aws/config"), kind: .config)
        let fromCredentials = credentialsFile.profile(profileName)
        let fromConfig = configFile.profile(profileName)
        func setting(_ key: String) -> String? { nonEmpty(fromCredentials?[key]) ?? nonEmpty(fromConfig?[key]) }
        let place = "s3"

        if profileName != "default", fromCredentials == nil, fromConfig == nil {
            throw ObjectStoreError(
                .configuration, place: place,
                message: "AWS profile '\(profileName)' is in neither \(credentialsFile.path) nor \(configFile.path)",
                hint: "add a [\(profileName)] section to the credentials file, or choose another profile")
        }

        // Credentials.
        let credentials: AWSCredentials
        let envKey = explicit == nil ? value("AWS_ACCESS_KEY_ID") : nil
        let envSecret = explicit == nil ? value("AWS_SECRET_ACCESS_KEY") : nil
        if let envKey, let envSecret {
            credentials = AWSCredentials(accessKeyId: envKey, secretAccessKey: envSecret, sessionToken: value("AWS_SESSION_TOKEN"))
        } else if (envKey == nil) != (envSecret == nil) {
            let missing = envKey == nil ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"
            let present = envKey == nil ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"
            throw ObjectStoreError(
                .configuration, place: place, message: "\(present) is set but \(missing) is not",
                hint: "set both, or unset both to use the profile '\(profileName)'")
        } else if let key = setting("aws_access_key_id"), let secret = setting("aws_secret_access_key") {
            credentials = AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: setting("aws_session_token"))
        } else {
            var looked: [String] = []
            if explicit == nil { looked.append("the variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") }
            looked.append(describe(credentialsFile, section: "[\(profileName)]"))
            looked.append(describe(configFile, section: profileName == "default" ? "[default]" : "[profile \(profileName)]"))
            var hint = "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add aws_access_key_id and aws_secret_access_key to the profile"
            if setting("role_arn") != nil || setting("sso_session") != nil || setting("sso_start_url") != nil
                || setting("credential_process") != nil
            {
                hint = "the profile gets its keys from a role, SSO or a process, which Cairn cannot do yet; " + hint
            }
            throw ObjectStoreError(
                .configuration, place: place,
                message: "no S3 credentials found; looked at " + looked.joined(separator: ", "), hint: hint)
        }

        // Endpoint.
        let ignoreConfigured = value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() == "true"
        var endpoint = nonEmpty(endpointOverride)
        if endpoint == nil && !ignoreConfigured {
            endpoint = value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL") ?? setting("endpoint_url")
        }
        if let e = endpoint {
            if ObjectStoreURL.hasUserInfo(e) {
                throw ObjectStoreError(
                    .configuration, place: ObjectStoreURL.redacted(e), message: "credentials in the endpoint URL are refused (they would show in process lists and logs)",
                    hint: "write the endpoint as http(s)://host[:port] and give the keys with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --profile")
            }
            guard let parsed = S3Endpoint(e) else {
                throw ObjectStoreError(
                    .configuration, place: ObjectStoreURL.redacted(e), message: "not an http:// or https:// URL with a host",
                    hint: "write the endpoint like http://127.0.0.1:8333")
            }
            endpoint = parsed.description
        }

        // Region.
        let region: String
        if let r = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? setting("region") {
            region = r
        } else if endpoint != nil {
            region = "us-east-1"
        } else {
            throw ObjectStoreError(
                .configuration, place: place,
                message: "no AWS region: AWS_REGION, AWS_DEFAULT_REGION and the profile '\(profileName)' in \(configFile.path) set none",
                hint: "export AWS_REGION (for example AWS_REGION=eu-west-1), or give --endpoint for an S3-compatible server")
        }
        return S3Configuration(endpoint: endpoint, region: region, credentials: credentials)
    }

    private static func describe(_ file: AWSSharedFile, section: String) -> String {
        guard file.profiles != nil else { return "\(file.path) (no such file)" }
        return "\(section) in \(file.path)"
    }
}

private func nonEmpty(_ s: String?) -> String? {
    guard let s = s?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
    return s
}
