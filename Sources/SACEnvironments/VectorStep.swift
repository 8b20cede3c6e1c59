/// What a step of a ``VectorEnvironment`` returns for all of its copies at once, in flat buffers: no array
/// per copy but for the rare copies whose episode ended or whose simulator failed.
///
/// Episodes restart by themselves (Gymnasium's "same-step" autoreset): when copy i's episode ends,
/// ``observations`` holds the first observation of its next episode and ``finalObservations`` the true
/// final observation of the one that ended, the observation its transition goes to.
public struct VectorStep: Sendable {
    /// Each copy's observation after the step: the one its next action is chosen from.
    public var observations: FloatRows
    /// Each copy's reward, in the environment's own units.
    public var rewards: [Double]
    /// Each copy's new state is terminal: its value is zero and nothing bootstraps from it.
    public var terminated: [Bool]
    /// Each copy's episode was cut short (a time limit): the state is not terminal.
    public var truncated: [Bool]
    /// The true final observation of each copy whose episode ended on this step, by copy.
    public var finalObservations: [Int: [Float]]
    /// The copies whose simulator failed on this step (their `step` threw, or a server reported the
    /// failure of that copy) while the others stepped, by copy: there is no transition to store for them,
    /// and they have started a new episode, whose first observation is in ``observations``. The error is
    /// what the copy's `step` threw in process, or for a remote copy `RemoteEnvironmentError.environmentFailure`
    /// with the server's envbridge error (its code and message).
    public var failures: [Int: any Error & Sendable]
    /// Each copy's numeric diagnostics (Gymnasium's `info` restricted to numbers); empty when the
    /// environment reports none.
    public var infos: [[String: Double]]

    /// A step's results; `finalObservations`, `failures` and `infos` default to none.
    public init(
        observations: FloatRows, rewards: [Double], terminated: [Bool], truncated: [Bool], finalObservations: [Int: [Float]] = [:],
        failures: [Int: any Error & Sendable] = [:], infos: [[String: Double]] = []
    ) {
        self.observations = observations
        self.rewards = rewards
        self.terminated = terminated
        self.truncated = truncated
        self.finalObservations = finalObservations
        self.failures = failures
        self.infos = infos
    }

    /// The number of copies.
    public var count: Int { rewards.count }

    /// Whether copy `i`'s episode ended on this step (terminated or truncated).
    public func isLast(_ i: Int) -> Bool { terminated[i] || truncated[i] }

    /// Where copy `i`'s transition went: the final observation if its episode ended, else its observation.
    public func nextObservation(_ i: Int) -> ArraySlice<Float> {
        finalObservations[i].map { $0[...] } ?? observations[i]
    }

    /// Copy `i`'s step as one ``StepResult``, its observation the true next one (allocates; for callers
    /// that handle one copy at a time). Meaningless for a failed copy.
    public func transition(_ i: Int) -> StepResult {
        StepResult(
            observation: Array(nextObservation(i)), reward: rewards[i], terminated: terminated[i], truncated: truncated[i],
            info: i < infos.count ? infos[i] : [:])
    }

    /// The steps of several groups of copies, one after another.
    public init(concatenating steps: [VectorStep], width: Int) {
        var offset = 0
        var observations: [Float] = [], rewards: [Double] = [], terminated: [Bool] = [], truncated: [Bool] = []
        var finals: [Int: [Float]] = [:], failures: [Int: any Error & Sendable] = [:], infos: [[String: Double]] = []
        let anyInfos = steps.contains { !$0.infos.isEmpty }
        for step in steps {
            observations += step.observations.values
            rewards += step.rewards
            terminated += step.terminated
            truncated += step.truncated
            for (i, final) in step.finalObservations { finals[offset + i] = final }
            for (i, failure) in step.failures { failures[offset + i] = failure }
            if anyInfos { infos += step.infos.isEmpty ? Array(repeating: [:], count: step.count) : step.infos }
            offset += step.count
        }
        self.init(
            observations: FloatRows(width: width, values: observations), rewards: rewards, terminated: terminated, truncated: truncated,
            finalObservations: finals, failures: failures, infos: infos)
    }
}

extension VectorStep: Equatable {
    /// Equal results, failures compared by how they describe themselves.
    public static func == (lhs: VectorStep, rhs: VectorStep) -> Bool {
        lhs.observations == rhs.observations && lhs.rewards == rhs.rewards && lhs.terminated == rhs.terminated
            && lhs.truncated == rhs.truncated && lhs.finalObservations == rhs.finalObservations && lhs.infos == rhs.infos
            && lhs.failures.mapValues { "\($0)" } == rhs.failures.mapValues { "\($0)" }
    }
}
