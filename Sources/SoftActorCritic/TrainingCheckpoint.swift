import SACEnvironments
import Foundation
import SACNeuralNetworks

/// The checkpoint of a run: configurations, agent, replay buffer, trainer state and (for environments
/// that support it) the environment's own state, so a resumed run continues bit for bit.
///
/// File `checkpoint.sacc` in the run directory, with one older generation kept as `checkpoint.prev.sacc`.
/// Layout: a ``ChecksummedFile`` with magic `"SACK"`, version 2 (version 1 held one environment copy), and the body (little-endian, via
/// ``BinaryWriter``): the agent and trainer configurations as JSON strings, the sizes, the agent, the
/// replay buffer, the trainer state, and the environment snapshot (flag, UInt64 count + words).
/// Written atomically.
enum TrainingCheckpoint {
    static let magic: [UInt8] = Array("SACK".utf8)
    static let formatVersion: UInt32 = 2
    static let fileName = "checkpoint.sacc"
    static let previousFileName = "checkpoint.prev.sacc"

    static func encode(agent: SACAgent, trainer: TrainerConfiguration, buffer: ReplayBuffer, state: TrainerState,
                       elapsedSeconds: Double, environmentSnapshot: [UInt64]?) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let agentJSON = String(decoding: (try? encoder.encode(agent.configuration)) ?? Data(), as: UTF8.self)
        let trainerJSON = String(decoding: (try? encoder.encode(trainer)) ?? Data(), as: UTF8.self)
        let transitionBytes = buffer.capacityBytes / buffer.capacity
        return ChecksummedFile.encode(magic: magic, version: formatVersion, reservingCapacity: buffer.count * transitionBytes + (1 << 20)) { writer in
            writer.write(string: agentJSON)
            writer.write(string: trainerJSON)
            writer.write(UInt64(agent.observationCount))
            writer.write(UInt64(agent.actionCount))
            agent.write(to: &writer)
            buffer.write(to: &writer)
            state.write(to: &writer, elapsedSeconds: elapsedSeconds)
            let snapshot = environmentSnapshot ?? []
            writer.write(UInt8(environmentSnapshot == nil ? 0 : 1))
            writer.write(UInt64(snapshot.count))
            for word in snapshot { writer.write(word) }
        }
    }

    /// What a checkpoint holds before it is applied to a new agent and buffer.
    struct Contents {
        var agentConfiguration: SACConfiguration
        var trainerConfiguration: TrainerConfiguration
        var observationCount: Int
        var actionCount: Int
        /// Reader positioned at the agent section.
        var reader: BinaryReader
    }

    /// Checks magic, version and checksum and decodes the configurations.
    static func open(_ bytes: [UInt8]) throws(BinaryFormatError) -> Contents {
        var reader = try ChecksummedFile.decode(bytes, magic: magic, kind: "SAC checkpoint", version: formatVersion)
        let decoder = JSONDecoder()
        guard let agent = try? decoder.decode(SACConfiguration.self, from: Data(try reader.readString().utf8)),
              let trainer = try? decoder.decode(TrainerConfiguration.self, from: Data(try reader.readString().utf8)) else {
            throw .invalidField(name: "configuration", detail: "unreadable configuration JSON")
        }
        let o = Int(try reader.read(UInt64.self)), a = Int(try reader.read(UInt64.self))
        return Contents(agentConfiguration: agent, trainerConfiguration: trainer, observationCount: o, actionCount: a, reader: reader)
    }

    /// Reads `checkpoint.sacc` of `directory`, falling back to the previous generation when the latest is
    /// unreadable. Throws ``SACError/invalidCheckpoint(path:reason:)`` naming what is wrong with each.
    static func load(directory: String) throws(SACError) -> (contents: Contents, path: String, warning: String?) {
        let latest = directory + "/" + fileName, previous = directory + "/" + previousFileName
        var problems: [String] = []
        for path in [latest, previous] {
            guard FileManager.default.fileExists(atPath: path) else { problems.append("\(path) does not exist"); continue }
            guard let data = FileManager.default.contents(atPath: path) else { problems.append("\(path) cannot be read"); continue }
            do {
                let contents = try open([UInt8](data))
                let warning = path == previous ? "the latest checkpoint is unusable (\(problems.joined(separator: "; "))); resuming from the previous one" : nil
                return (contents, path, warning)
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        throw .invalidCheckpoint(path: latest, reason: problems.joined(separator: "; "))
    }
}
