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
}
