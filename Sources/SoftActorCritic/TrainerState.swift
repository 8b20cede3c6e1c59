import SACNeuralNetworks
import SACRandomness

/// Everything about a run in progress that is not the agent or the replay buffer: counters, the episode
/// in flight in each copy of the environment, and the warm-up generator. Saved in checkpoints.
struct TrainerState {
    var step = 0
    var episodes = 0
    var updateCredit = 0.0
    var reconnects = 0
    var skippedEpisodes = 0
    var elapsedSecondsBefore = 0.0
    /// Per copy: the observation the next action is chosen from, and the episode so far.
    var observations: [[Float]] = []
    var episodeReturns: [Double] = []
    var episodeLengths: [Int] = []
    /// Every copy must be reset before the next step (start of run, after a recovery).
    var needsReset = true
    var lastEpisodeReturn: Double?
    var lastEvaluationReturn: Double?
    var warmupGenerator: Xoshiro256StarStar

    // Not saved: bookkeeping of this process.
    var lastMetrics: UpdateMetrics?
    var finalEvaluation: EvaluationResult?
    var updatesAtLastRow = 0
    var lastRowTime: ContinuousClock.Instant?
    var lastReport: ContinuousClock.Instant?

    init(seed: UInt64) {
        warmupGenerator = Xoshiro256StarStar(seed: seed &+ 0x5AC)
    }

    func write(to writer: inout BinaryWriter, elapsedSeconds: Double) {
        for value in [step, episodes, reconnects, skippedEpisodes] { writer.write(UInt64(value)) }
        writer.write(updateCredit)
        writer.write(elapsedSeconds)
        writer.write(UInt8(needsReset ? 1 : 0))
        writer.write(UInt64(observations.count))
        for i in observations.indices {
            writer.write(floats: observations[i])
            writer.write(episodeReturns[i])
            writer.write(UInt64(episodeLengths[i]))
        }
        writer.write(floats: [lastEpisodeReturn, lastEvaluationReturn].map { Float($0 ?? .nan) })
        for word in [warmupGenerator.state.0, warmupGenerator.state.1, warmupGenerator.state.2, warmupGenerator.state.3] { writer.write(word) }
    }

    mutating func restore(from reader: inout BinaryReader) throws(BinaryFormatError) {
        step = Int(try reader.read(UInt64.self))
        episodes = Int(try reader.read(UInt64.self))
        reconnects = Int(try reader.read(UInt64.self))
        skippedEpisodes = Int(try reader.read(UInt64.self))
        updateCredit = try reader.readDouble()
        elapsedSecondsBefore = try reader.readDouble()
        needsReset = try reader.read(UInt8.self) != 0
        let copies = Int(try reader.read(UInt64.self))
        // Each copy takes at least 24 bytes; a larger count is corruption, not a reason to allocate.
        guard copies <= reader.remaining / 24 else { throw .invalidField(name: "copies", detail: "\(copies) copies in \(reader.remaining) bytes") }
        observations = []
        episodeReturns = []
        episodeLengths = []
        for _ in 0..<copies {
            observations.append(try reader.readFloats())
            episodeReturns.append(try reader.readDouble())
            episodeLengths.append(Int(try reader.read(UInt64.self)))
        }
        let last = try reader.readFloats()
        guard last.count == 2 else { throw .invalidField(name: "returns", detail: "\(last.count) values") }
        lastEpisodeReturn = last[0].isNaN ? nil : Double(last[0])
        lastEvaluationReturn = last[1].isNaN ? nil : Double(last[1])
        warmupGenerator.state = (try reader.read(), try reader.read(), try reader.read(), try reader.read())
    }
}
