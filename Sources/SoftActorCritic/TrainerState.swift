import SACNeuralNetworks
import SACRandomness

/// The loop's counters and warm-up generator: everything about a run in progress that is not the agent,
/// the replay buffer or the episodes in flight (``EpisodesInFlight``). Saved in checkpoints.
struct TrainerState {
    var step = 0
    var episodes = 0
    var updateCredit = 0.0
    var reconnects = 0
    var skippedEpisodes = 0
    var elapsedSecondsBefore = 0.0
    var lastEpisodeReturn: Double?
    var lastEvaluationReturn: Double?
    var warmupGenerator: Xoshiro256StarStar

    // Not saved: bookkeeping of this process.
    var lastMetrics: UpdateMetrics?
    var finalEvaluation: EvaluationResult?

    init(seed: UInt64) {
        warmupGenerator = Xoshiro256StarStar(seed: seed &+ 0x5AC)
    }
}
