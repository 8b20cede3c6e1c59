import NeuralNetworks
import Randomness

/// Everything about a run in progress that is not the agent or the replay buffer: counters, the episode
/// in flight, and the warm-up generator. Saved in checkpoints.
struct TrainerState {
    var step = 0
    var episodes = 0
    var updateCredit = 0.0
    var reconnects = 0
    var skippedEpisodes = 0
    var elapsedSecondsBefore = 0.0
    var observation: [Float] = []
    var episodeReturn = 0.0
    var episodeLength = 0
    /// The environment must be reset before the next step (start of run, after a recovery).
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
        for value in [step, episodes, reconnects, skippedEpisodes, episodeLength] { writer.write(UInt64(value)) }
        writer.write(updateCredit)
        writer.write(elapsedSeconds)
        writer.write(episodeReturn)
        writer.write(UInt8(needsReset ? 1 : 0))
        writer.write(floats: observation)
        writer.write(floats: [lastEpisodeReturn, lastEvaluationReturn].map { Float($0 ?? .nan) })
        for word in [warmupGenerator.state.0, warmupGenerator.state.1, warmupGenerator.state.2, warmupGenerator.state.3] { writer.write(word) }
    }

    mutating func restore(from reader: inout BinaryReader) throws(BinaryFormatError) {
        step = Int(try reader.read(UInt64.self))
        episodes = Int(try reader.read(UInt64.self))
        reconnects = Int(try reader.read(UInt64.self))
        skippedEpisodes = Int(try reader.read(UInt64.self))
        episodeLength = Int(try reader.read(UInt64.self))
        updateCredit = try reader.readDouble()
        elapsedSecondsBefore = try reader.readDouble()
        episodeReturn = try reader.readDouble()
        needsReset = try reader.read(UInt8.self) != 0
        observation = try reader.readFloats()
        let last = try reader.readFloats()
        guard last.count == 2 else { throw .invalidField(name: "returns", detail: "\(last.count) values") }
        lastEpisodeReturn = last[0].isNaN ? nil : Double(last[0])
        lastEvaluationReturn = last[1].isNaN ? nil : Double(last[1])
        warmupGenerator.state = (try reader.read(), try reader.read(), try reader.read(), try reader.read())
    }
}
