import SACEnvironments
import Foundation
import SACNeuralNetworks
import SACRandomness

/// The checkpoint of a run: configurations, agent, replay buffer, trainer state and (for environments
/// that support it) the environment's own state, so a resumed run continues bit for bit.
///
/// File `checkpoint.sacc` in the run directory, with one older generation kept as `checkpoint.prev.sacc`.
/// Layout: a ``ChecksummedFile`` with magic `"SACK"`, version 3 (version 1 held one environment copy;
/// version 2, still read, lacks the normalisation statistics of CrossQ's networks), and the body
/// (little-endian, via ``BinaryWriter``): the agent and trainer configurations as JSON strings, the sizes,
/// the agent, the replay buffer, the trainer state, and the environment snapshot (flag, UInt64 count + words).
/// Written atomically.
enum TrainingCheckpoint {
    static let magic: [UInt8] = Array("SACK".utf8)
    static let formatVersion: UInt32 = 3
    static let fileName = "checkpoint.sacc"
    static let previousFileName = "checkpoint.prev.sacc"

    static func encode(
        agent: SACAgent, trainer: TrainerConfiguration, buffer: ReplayBuffer, state: TrainerState,
        episodes: EpisodesInFlight, elapsedSeconds: Double, environmentSnapshot: [UInt64]?
    ) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let agentJSON = String(decoding: (try? encoder.encode(agent.configuration)) ?? Data(), as: UTF8.self)
        let trainerJSON = String(decoding: (try? encoder.encode(trainer)) ?? Data(), as: UTF8.self)
        let transitionBytes = buffer.capacityBytes / buffer.capacity
        return ChecksummedFile.encode(magic: magic, version: formatVersion, reservingCapacity: buffer.count * transitionBytes + (1 << 20)) {
            writer in
            writer.write(string: agentJSON)
            writer.write(string: trainerJSON)
            writer.write(UInt64(agent.observationCount))
            writer.write(UInt64(agent.actionCount))
            agent.write(to: &writer)
            buffer.write(to: &writer)
            state.write(to: &writer, episodes: episodes, elapsedSeconds: elapsedSeconds)
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
        /// The file's format version.
        var version: UInt32
    }

    /// Checks magic, version and checksum and decodes the configurations.
    static func open(_ bytes: [UInt8]) throws(BinaryFormatError) -> Contents {
        var (reader, version) = try ChecksummedFile.decode(bytes, magic: magic, kind: "SAC checkpoint", versions: 2...formatVersion)
        let decoder = JSONDecoder()
        guard let agent = try? decoder.decode(SACConfiguration.self, from: Data(try reader.readString().utf8)),
            let trainer = try? decoder.decode(TrainerConfiguration.self, from: Data(try reader.readString().utf8))
        else {
            throw .invalidField(name: "configuration", detail: "unreadable configuration JSON")
        }
        let o = Int(try reader.read(UInt64.self)), a = Int(try reader.read(UInt64.self))
        return Contents(
            agentConfiguration: agent, trainerConfiguration: trainer, observationCount: o, actionCount: a, reader: reader, version: version)
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
                let warning =
                    path == previous
                    ? "the latest checkpoint is unusable (\(problems.joined(separator: "; "))); resuming from the previous one" : nil
                return (contents, path, warning)
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        throw .invalidCheckpoint(path: latest, reason: problems.joined(separator: "; "))
    }

    /// A checkpoint that decodes but does not fit the run resuming it.
    enum Mismatch: Error {
        /// The checkpointed run stepped `stored` copies at once.
        case copies(stored: Int)
    }

    /// Applies `contents` to a new agent, buffer and trainer state made from its configurations, and
    /// restores `environment` from the checkpoint's snapshot when both have one. Returns whether it did; if
    /// not, the run starts new episodes.
    static func restore(
        _ contents: Contents, agent: SACAgent, buffer: ReplayBuffer, state: inout TrainerState,
        episodes: inout EpisodesInFlight, environment: any VectorEnvironment
    ) throws -> Bool {
        var reader = contents.reader
        try agent.restore(from: &reader, version: contents.version)
        try buffer.restore(from: &reader)
        try state.restore(from: &reader, episodes: &episodes)
        guard episodes.observations.count == environment.numEnvs else { throw Mismatch.copies(stored: episodes.observations.count) }
        let hasSnapshot = try reader.read(UInt8.self) != 0
        let count = Int(try reader.read(UInt64.self))
        guard count <= reader.remaining / 8 else {
            throw BinaryFormatError.truncated(needed: count * 8, available: reader.remaining, at: reader.position)
        }
        var words: [UInt64] = []
        for _ in 0..<count { words.append(try reader.read(UInt64.self)) }
        guard hasSnapshot, environment.snapshot() != nil else { return false }
        try environment.restore(from: words)
        return true
    }
}

// MARK: The sections of a checkpoint, in the order they are written

/// Saving and restoring everything an agent's future depends on: parameters of every network, optimiser
/// moments and step counts, the temperature, the generator and the update count.
extension SACAgent {
    func write(to writer: inout BinaryWriter) {
        writer.write(floats: actor.network.parameters)
        for network in critics { writer.write(floats: network.parameters) }
        writer.write(UInt32(targetCritics.count))
        for network in targetCritics { writer.write(floats: network.parameters) }
        writer.write(floats: value?.parameters ?? [])
        writer.write(floats: targetValue?.parameters ?? [])
        writer.write(floats: networks.temperatureParameter)
        for optimizer in [networks.actorOptimizer] + networks.criticOptimizers + [
            valueNetwork?.optimizer ?? Adam(parameterCount: 0), networks.temperatureOptimizer,
        ] {
            optimizer.write(to: &writer)
        }
        for word in [networks.generator.state.0, networks.generator.state.1, networks.generator.state.2, networks.generator.state.3] {
            writer.write(word)
        }
        writer.write(UInt64(updateCount))
        // Version 3: the normalisations' running statistics and step counts (empty for plain networks).
        for network in [actor.network] + critics {
            writer.write(UInt64(network.normalizationSteps))
            writer.write(floats: network.normalizationStatistics)
        }
    }

    func restore(from reader: inout BinaryReader, version: UInt32) throws(BinaryFormatError) {
        func read(into parameters: inout [Float], _ name: String) throws(BinaryFormatError) {
            let values = try reader.readFloats()
            guard values.count == parameters.count else {
                throw .invalidField(name: name, detail: "\(values.count) parameters, this agent has \(parameters.count)")
            }
            parameters = values
        }
        try read(into: &actor.network.parameters, "actor")
        for k in critics.indices { try read(into: &critics[k].parameters, "critic \(k + 1)") }
        let targets = Int(try reader.read(UInt32.self))
        guard targets == targetCritics.count else {
            throw .invalidField(name: "target critics", detail: "\(targets) stored, \(targetCritics.count) expected")
        }
        for k in targetCritics.indices { try read(into: &targetCritics[k].parameters, "target critic \(k + 1)") }
        var valueParameters = valueNetwork?.network.parameters ?? []
        try read(into: &valueParameters, "value network")
        valueNetwork?.network.parameters = valueParameters
        var targetValueParameters = valueNetwork?.target.parameters ?? []
        try read(into: &targetValueParameters, "target value network")
        valueNetwork?.target.parameters = targetValueParameters
        try read(into: &networks.temperatureParameter, "log alpha")
        try networks.actorOptimizer.restore(from: &reader)
        for k in networks.criticOptimizers.indices { try networks.criticOptimizers[k].restore(from: &reader) }
        var valueAdam = valueNetwork?.optimizer ?? Adam(parameterCount: 0)
        try valueAdam.restore(from: &reader)
        valueNetwork?.optimizer = valueAdam
        try networks.temperatureOptimizer.restore(from: &reader)
        networks.generator.state = (try reader.read(), try reader.read(), try reader.read(), try reader.read())
        updateCount = Int(try reader.read(UInt64.self))
        guard version >= 3 else { return }
        func readStatistics(into network: inout MultilayerPerceptron, _ name: String) throws(BinaryFormatError) {
            network.normalizationSteps = Int(clamping: try reader.read(UInt64.self))
            try read(into: &network.normalizationStatistics, name + " normalisation statistics")
        }
        try readStatistics(into: &actor.network, "actor")
        for k in critics.indices { try readStatistics(into: &critics[k], "critic \(k + 1)") }
    }
}

extension Adam {
    func write(to writer: inout BinaryWriter) {
        writer.write(UInt64(stepCount))
        writer.write(floats: firstMoment)
        writer.write(floats: secondMoment)
    }

    mutating func restore(from reader: inout BinaryReader) throws(BinaryFormatError) {
        let steps = try reader.read(UInt64.self)
        let m = try reader.readFloats(), v = try reader.readFloats()
        guard m.count == firstMoment.count, v.count == secondMoment.count else {
            throw .invalidField(name: "optimizer", detail: "moments for \(m.count) parameters, \(firstMoment.count) expected")
        }
        stepCount = Int(steps)
        firstMoment = m
        secondMoment = v
    }
}

extension ReplayBuffer {
    func write(to writer: inout BinaryWriter) {
        writer.write(UInt64(capacity))
        writer.write(UInt64(count))
        writer.write(UInt64(totalAdded))
        let o = observationCount, a = actionCount
        writer.write(floats: Array(UnsafeBufferPointer(start: observationStorage, count: count * o)))
        writer.write(floats: Array(UnsafeBufferPointer(start: actionStorage, count: count * a)))
        writer.write(floats: Array(UnsafeBufferPointer(start: rewardStorage, count: count)))
        writer.write(floats: Array(UnsafeBufferPointer(start: nextObservationStorage, count: count * o)))
        writer.write(floats: Array(UnsafeBufferPointer(start: terminatedStorage, count: count)))
    }

    func restore(from reader: inout BinaryReader) throws(BinaryFormatError) {
        let storedCapacity = Int(try reader.read(UInt64.self)), stored = Int(try reader.read(UInt64.self))
        let added = Int(try reader.read(UInt64.self))
        guard storedCapacity == capacity, stored <= capacity, added >= stored else {
            throw .invalidField(
                name: "replay buffer", detail: "capacity \(storedCapacity) with \(stored) stored; this buffer has capacity \(capacity)")
        }
        let o = observationCount, a = actionCount
        let fields: [(UnsafeMutablePointer<Float>, Int, String)] = [
            (observationStorage, stored * o, "observations"), (actionStorage, stored * a, "actions"), (rewardStorage, stored, "rewards"),
            (nextObservationStorage, stored * o, "next observations"), (terminatedStorage, stored, "terminated flags"),
        ]
        for (pointer, expected, name) in fields {
            let values = try reader.readFloats()
            guard values.count == expected else { throw .invalidField(name: name, detail: "\(values.count) values, \(expected) expected") }
            values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: expected) }
        }
        count = stored
        totalAdded = added
    }
}

/// The trainer's counters, episodes in flight and warm-up generator.
extension TrainerState {
    func write(to writer: inout BinaryWriter, episodes inFlight: EpisodesInFlight, elapsedSeconds: Double) {
        for value in [step, episodes, reconnects, skippedEpisodes] { writer.write(UInt64(value)) }
        writer.write(updateCredit)
        writer.write(elapsedSeconds)
        writer.write(UInt8(inFlight.needsReset ? 1 : 0))
        writer.write(UInt64(inFlight.observations.count))
        for i in 0..<inFlight.observations.count {
            writer.write(floats: Array(inFlight.observations[i]))
            writer.write(inFlight.returns[i])
            writer.write(UInt64(inFlight.lengths[i]))
        }
        writer.write(floats: [lastEpisodeReturn, lastEvaluationReturn].map { Float($0 ?? .nan) })
        for word in [warmupGenerator.state.0, warmupGenerator.state.1, warmupGenerator.state.2, warmupGenerator.state.3] {
            writer.write(word)
        }
    }

    mutating func restore(from reader: inout BinaryReader, episodes inFlight: inout EpisodesInFlight) throws(BinaryFormatError) {
        step = Int(try reader.read(UInt64.self))
        episodes = Int(try reader.read(UInt64.self))
        reconnects = Int(try reader.read(UInt64.self))
        skippedEpisodes = Int(try reader.read(UInt64.self))
        updateCredit = try reader.readDouble()
        elapsedSecondsBefore = try reader.readDouble()
        let needsReset = try reader.read(UInt8.self) != 0
        let copies = Int(try reader.read(UInt64.self))
        // Each copy takes at least 24 bytes; a larger count is corruption, not a reason to allocate.
        guard copies <= reader.remaining / 24 else {
            throw .invalidField(name: "copies", detail: "\(copies) copies in \(reader.remaining) bytes")
        }
        let width = inFlight.observations.width
        inFlight = EpisodesInFlight(copies: 0, width: width)
        inFlight.needsReset = needsReset
        for _ in 0..<copies {
            let observation = try reader.readFloats()
            // A copy whose first episode had not started holds nothing (checkpoints before flat rows).
            guard observation.count == width || observation.isEmpty else {
                throw .invalidField(name: "observations", detail: "\(observation.count) features, \(width) expected")
            }
            inFlight.observations.values += observation.isEmpty ? Array(repeating: 0, count: width) : observation
            inFlight.returns.append(try reader.readDouble())
            inFlight.lengths.append(Int(try reader.read(UInt64.self)))
        }
        let last = try reader.readFloats()
        guard last.count == 2 else { throw .invalidField(name: "returns", detail: "\(last.count) values") }
        lastEpisodeReturn = last[0].isNaN ? nil : Double(last[0])
        lastEvaluationReturn = last[1].isNaN ? nil : Double(last[1])
        warmupGenerator.state = (try reader.read(), try reader.read(), try reader.read(), try reader.read())
    }
}
