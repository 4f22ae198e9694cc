import CairnCore
import Foundation

/// The store's `config` object: written once when the store is made, read by every command. Chunking and packing
/// parameters live here, not in code, so they can change for new stores without breaking old ones.
public struct StoreConfig: Codable, Sendable, Equatable {
    public static let key = "config"
    public static let currentVersion = 1

    /// Always "cairn-store": tells a Cairn store from any other object someone put under this name.
    public var format: String
    public var version: Int
    /// Random, so that two stores are never confused (printed by `check`).
    public var id: String
    public var chunkMinSize: Int
    public var chunkAverageSize: Int
    public var chunkMaxSize: Int
    /// Seed of FastCDC's gear table, as hex.
    public var chunkerSeed: String
    public var packTargetSize: Int
    /// zstd level for chunks; 0 stores chunks raw.
    public var zstdLevel: Int
    public var createdAt: String

    public init(parameters: FastCDC.Parameters = FastCDC.Parameters(), packTargetSize: Int = 32 << 20, zstdLevel: Int = 1, now: Date = Date()) {
        format = "cairn-store"
        version = Self.currentVersion
        id = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
        chunkMinSize = parameters.minSize
        chunkAverageSize = parameters.averageSize
        chunkMaxSize = parameters.maxSize
        chunkerSeed = String(parameters.gearSeed, radix: 16)
        self.packTargetSize = packTargetSize
        self.zstdLevel = zstdLevel
        createdAt = ISO8601DateFormatter().string(from: now)
    }

    public var chunkerParameters: FastCDC.Parameters {
        FastCDC.Parameters(minSize: chunkMinSize, averageSize: chunkAverageSize, maxSize: chunkMaxSize, gearSeed: UInt64(chunkerSeed, radix: 16) ?? 0)
    }

    /// Decodes and checks a `config` object; the error names what is wrong.
    public static func decode(_ bytes: [UInt8], place: String) throws(StoreError) -> StoreConfig {
        let config: StoreConfig
        do {
            config = try JSONDecoder().decode(StoreConfig.self, from: Data(bytes))
        } catch {
            throw StoreError(.corrupt, place: place, message: "not a Cairn store config: \(error)")
        }
        guard config.format == "cairn-store" else {
            throw StoreError(.corrupt, place: place, message: "format is \"\(config.format)\", not \"cairn-store\"")
        }
        guard config.version == currentVersion else {
            throw StoreError(.unsupported, place: place, message: "store version \(config.version); this Cairn reads version \(currentVersion)",
                             hint: "use a newer Cairn")
        }
        guard UInt64(config.chunkerSeed, radix: 16) != nil else {
            throw StoreError(.corrupt, place: place, message: "chunkerSeed \"\(config.chunkerSeed)\" is not hex")
        }
        do { _ = try FastCDC(config.chunkerParameters) } catch {
            throw StoreError(.corrupt, place: place, message: "chunking parameters: \(error)")
        }
        guard (1 << 20...1 << 30).contains(config.packTargetSize) else {
            throw StoreError(.corrupt, place: place, message: "packTargetSize \(config.packTargetSize) is outside 1 MiB…1 GiB")
        }
        guard (0...22).contains(config.zstdLevel) else {
            throw StoreError(.corrupt, place: place, message: "zstdLevel \(config.zstdLevel) is outside 0…22")
        }
        return config
    }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain strings and integers cannot fail.
        return Array((try? encoder.encode(self)) ?? Data()) + [0x0A]
    }
}
