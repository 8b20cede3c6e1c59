import Foundation
import SACNeuralNetworks

/// A trained policy on disk: the actor network, the action bounds it was trained for, and what it was
/// trained on. Written as `policy.sacp` into every run directory and read by `sac eval`.
///
/// Layout: a `ChecksummedFile` with magic `"SACP"`, version 2, and the body: environment id and
/// variant (UInt32 length + UTF-8 each), action low and high (UInt64 count + float32 each), the actor
/// network as `MultilayerPerceptron.serialized()` (UInt64 length + bytes), then the observation and action
/// shapes (UInt64 rank + UInt64 each), all little-endian. Version 1 files (without shapes) still load,
/// with flat shapes.
public struct SavedPolicy: Equatable, Sendable {
    /// Magic bytes of a policy file.
    public static let magic: [UInt8] = Array("SACP".utf8)
    /// Format version this build writes and reads.
    public static let formatVersion: UInt32 = 2

    /// Environment the policy was trained on.
    public var environmentID: String
    /// SAC variant that trained it.
    public var variant: String
    /// The actor network.
    public var actor: SquashedGaussianActor
    /// The environment's action bounds.
    public var scaling: ActionScaling
    /// The environment's observation and action shapes (the network sees them flattened row-major), e.g.
    /// `[2, 2]` and `[]` for a 2×2 observation and a scalar action.
    public var observationShape: [Int], actionShape: [Int]

    /// A policy from its parts.
    public init(
        environmentID: String, variant: String, actor: SquashedGaussianActor, scaling: ActionScaling,
        observationShape: [Int]? = nil, actionShape: [Int]? = nil
    ) {
        self.environmentID = environmentID
        self.variant = variant
        self.actor = actor
        self.scaling = scaling
        self.observationShape = observationShape ?? [actor.observationCount]
        self.actionShape = actionShape ?? [actor.actionCount]
    }

    /// The encoded file contents.
    public func serialized() -> [UInt8] {
        ChecksummedFile.encode(magic: Self.magic, version: Self.formatVersion) { writer in
            writer.write(string: environmentID)
            writer.write(string: variant)
            writer.write(floats: scaling.low)
            writer.write(floats: scaling.high)
            let network = actor.network.serialized()
            writer.write(UInt64(network.count))
            writer.write(bytes: network)
            for shape in [observationShape, actionShape] {
                writer.write(UInt64(shape.count))
                for dimension in shape { writer.write(UInt64(dimension)) }
            }
        }
    }

    /// Decodes file contents; throws `BinaryFormatError` for anything malformed.
    public init(serialized bytes: [UInt8]) throws(BinaryFormatError) {
        var (reader, version) = try ChecksummedFile.decode(bytes, magic: Self.magic, kind: "SAC policy", versions: 1...Self.formatVersion)
        environmentID = try reader.readString()
        variant = try reader.readString()
        let low = try reader.readFloats(), high = try reader.readFloats()
        let length = try reader.read(UInt64.self)
        guard length <= UInt64(reader.remaining) else {
            throw .truncated(needed: Int(clamping: length), available: reader.remaining, at: reader.position)
        }
        let network = try MultilayerPerceptron(serialized: Array(try reader.readBytes(Int(length))))
        guard low.count == high.count, network.outputSize == 2 * low.count else {
            throw .invalidField(name: "action bounds", detail: "\(low.count) bounds for an actor with \(network.outputSize) outputs")
        }
        actor = SquashedGaussianActor(network: network)
        scaling = ActionScaling(low: low, high: high)
        observationShape = [network.inputSize]
        actionShape = [low.count]
        if version >= 2 {
            for (name, count) in [("observation shape", network.inputSize), ("action shape", low.count)] {
                let rank = try reader.read(UInt64.self)
                guard rank <= 32 else { throw .invalidField(name: name, detail: "rank \(rank)") }
                let shape = try (0..<Int(rank)).map { _ throws(BinaryFormatError) in Int(clamping: try reader.read(UInt64.self)) }
                guard shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? -1 : $0 * $1 }) == count else {
                    throw .invalidField(name: name, detail: "shape \(shape) for \(count) elements")
                }
                if name == "observation shape" { observationShape = shape } else { actionShape = shape }
            }
        }
    }

    /// Writes the policy to `path` atomically (a temporary file renamed over the target).
    public func write(to path: String) throws(SACError) {
        do {
            try Data(serialized()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
    }

    /// Reads a policy written by ``write(to:)``.
    public init(contentsOf path: String) throws(SACError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
        do { try self.init(serialized: [UInt8](data)) } catch {
            throw .invalidPolicyFile(path: path, reason: error.description)
        }
    }
}
