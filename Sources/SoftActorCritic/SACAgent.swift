#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SACNeuralNetworks
import SACRandomness

/// A Soft Actor-Critic agent (Haarnoja et al., 2018): the networks, their optimisers, and the update.
///
/// The agent works in normalised action space (−1, 1)ᴬ; ``ActionScaling`` maps to the environment's
/// bounds. All batch buffers are allocated in `init`, so ``update(batch:)`` allocates nothing.
/// The agent is a class because it owns those buffers; it is not thread-safe: use one agent per task.
/// With ``updateThreads`` = 2 an update runs its independent halves (the two critics; the actor on s and
/// on s′) side by side on a worker thread of its own.
public final class SACAgent {
    /// Hyperparameters, fixed for the agent's lifetime.
    public let configuration: SACConfiguration
    /// The precision the updates' products run in: the configuration's, or `MatrixPrecision.float32`
    /// where it asked for bfloat16 on a machine without it (`MatrixPrecision.bfloat16Unavailability`).
    public let precision: MatrixPrecision
    /// Observation features.
    public let observationCount: Int
    /// Action dimensions A.
    public let actionCount: Int

    /// The policy π_φ.
    public internal(set) var actor: SquashedGaussianActor
    /// Q_θ₁ and Q_θ₂: `[s, a] → Q`.
    public internal(set) var critics: [MultilayerPerceptron]
    /// Polyak-averaged targets Q_θ̄₁, Q_θ̄₂ (twin-q variant; empty otherwise: CrossQ has none).
    public internal(set) var targetCritics: [MultilayerPerceptron]
    /// V_ψ (value-network variant; `nil` otherwise).
    public internal(set) var value: MultilayerPerceptron? {
        get { valueNetwork?.network }
        set { if let newValue { valueNetwork?.network = newValue } }
    }
    /// V_ψ̄, the Polyak-averaged target of V_ψ (value-network variant; `nil` otherwise).
    public internal(set) var targetValue: MultilayerPerceptron? {
        get { valueNetwork?.target }
        set { if let newValue { valueNetwork?.target = newValue } }
    }
    /// V_ψ, V_ψ̄, V_ψ's optimiser and workspaces: the value-network variant's parts, `nil` for twin-q.
    var valueNetwork: SoftValueNetwork?
    /// log α, optimised when the temperature is automatic.
    public var logAlpha: Float { temperatureParameter[0] }
    /// Entropy target H̄ of the automatic temperature, nats.
    public let targetEntropy: Float
    /// Whether α is tuned (twin-q without a fixed `alpha`).
    public let tunesTemperature: Bool
    /// Gradient updates performed.
    public internal(set) var updateCount = 0
    /// The agent's generator: initialisation, exploration noise and replay sampling.
    public var generator: Xoshiro256StarStar
    /// On two threads, the lane sampling the policy on s′ draws its noise from this copy of ``generator``,
    /// advanced past the noise of the policy on s (``update(batch:)``).
    var nextNoiseGenerator: Xoshiro256StarStar

    var actorOptimizer: Adam
    var criticOptimizers: [Adam]
    var temperatureOptimizer: Adam
    /// `[log α]` and `[∂J(α)/∂log α]`, as arrays so Adam updates them in place like any network.
    var temperatureParameter: [Float] = [0]
    var temperatureGradient: [Float] = [0]

    // Workspaces and samples, allocated once.
    let actorPairWorkspace: MultilayerPerceptron.Workspace      // the two below in one allocation
    let actorWorkspace: MultilayerPerceptron.Workspace          // actor on s: the first half's view
    let actorNextWorkspace: MultilayerPerceptron.Workspace      // actor on s′: the second half's view
    let actingWorkspace: MultilayerPerceptron.Workspace         // actor on one observation
    let criticWorkspaces: [MultilayerPerceptron.Workspace]      // Q_k on (s, a) and (s, a_π)
    let targetWorkspaces: [MultilayerPerceptron.Workspace]      // Q̄_k on (s′, a′)
    let criticJointWorkspaces: [MultilayerPerceptron.Workspace] // CrossQ: Q_k on [(s, a); (s′, a′)], 2 × batch rows
    let criticNextWorkspaces: [MultilayerPerceptron.Workspace]  // CrossQ: the (s′, a′) half's view
    let policySample: PolicySample                              // a_π ~ π(·|s)
    let nextPolicySample: PolicySample                          // a′ ~ π(·|s′)
    let actingSample: PolicySample
    /// Acting on several observations at once, by their number.
    private var actingBatches: [Int: (MultilayerPerceptron.Workspace, PolicySample)] = [:]
    /// `batch`: the regression target y of the critic loss.
    let softTarget: UnsafeMutableBufferPointer<Float>
    /// Per critic: its share of the critic loss, summed in a fixed order. A buffer, not an array, because
    /// the two lanes write their elements at the same time.
    let criticLossParts: UnsafeMutableBufferPointer<Float>
    /// Per critic: the batch mean of Q_θk(s, a) in its loss (for the metrics), written by its lane.
    let criticMeanQ: UnsafeMutableBufferPointer<Float>
    /// The batch and the networks' buffers of the lanes in progress (``runLanes(_:batch:)``).
    var laneBatch: ReplayBatch?
    var lanes = LaneBuffers()
    /// The actor's Adam step in progress on two threads (``stepActor()``).
    var actorStep: ActorStepBuffers?
    /// CrossQ: the metrics of the last update that stepped the actor, reported by the updates between.
    var lastPolicyMetrics = UpdateMetrics()
    /// Set inside ``update(batch:)`` once `policySample` and `nextPolicySample` hold this update's
    /// samples, so the losses do not recompute them; outside an update every loss samples for itself.
    var policyIsSampled = false

    /// Threads an update runs on: 1, or 2 to run its independent halves at once — the two Q networks'
    /// passes and Adam steps, the actor on s and on s′. Pair 2 with `BLAS.setThreadCount(1)` (two
    /// single-threaded products at a time). The result is the same bit for bit as with 1.
    public var updateThreads = 1 {
        didSet { laneRunner = updateThreads >= 2 ? (laneRunner ?? UpdateLaneRunner(agent: self)) : nil }
    }
    /// The worker thread and its hand-over, with two update threads.
    private(set) var laneRunner: UpdateLaneRunner?

    /// A new agent with freshly initialised networks.
    public init(observationCount: Int, actionCount: Int, configuration: SACConfiguration) throws(SACError) {
        try configuration.validate()
        guard observationCount > 0, actionCount > 0 else {
            throw .spaceMismatch("observation size \(observationCount) and action size \(actionCount) must be > 0")
        }
        self.configuration = configuration
        self.observationCount = observationCount
        self.actionCount = actionCount
        var generator = Xoshiro256StarStar(seed: configuration.seed)
        let hidden = configuration.hiddenSizes
        let batch = configuration.batchSize
        let precision = configuration.effectivePrecision.available
        self.precision = precision
        let normalization = configuration.effectiveBatchRenormalization
        do {
            actor = try SquashedGaussianActor(observationCount: observationCount, actionCount: actionCount, hiddenSizes: hidden,
                                              normalization: normalization, generator: &generator)
            let criticSizes = [observationCount + actionCount] + configuration.effectiveCriticHiddenSizes + [1]
            critics = try (0..<2).map { _ in try MultilayerPerceptron(layerSizes: criticSizes, normalization: normalization, generator: &generator) }
            actorPairWorkspace = try actor.network.makeWorkspace(batchSize: 2 * batch, precision: precision)
            actorWorkspace = try actorPairWorkspace.rows(0..<batch)
            actorNextWorkspace = try actorPairWorkspace.rows(batch..<2 * batch)
            actingWorkspace = try actor.network.makeWorkspace(batchSize: 1)
            switch configuration.variant {
            case .twinQ:
                criticWorkspaces = try critics.map { try $0.makeWorkspace(batchSize: batch, precision: precision) }
                targetCritics = critics
                targetWorkspaces = try critics.map { try $0.makeWorkspace(batchSize: batch, precision: precision) }
                criticJointWorkspaces = []
                criticNextWorkspaces = []
                valueNetwork = nil
            case .valueNetwork:
                criticWorkspaces = try critics.map { try $0.makeWorkspace(batchSize: batch, precision: precision) }
                valueNetwork = try SoftValueNetwork(observationCount: observationCount, hiddenSizes: hidden, batchSize: batch, precision: precision,
                                                    learningRate: configuration.learningRate, generator: &generator)
                targetCritics = []
                targetWorkspaces = []
                criticJointWorkspaces = []
                criticNextWorkspaces = []
            case .crossQ:
                // One pass over both halves, so that the normalisations see (s, a) and (s′, a′) together.
                let joint = try critics.map { try $0.makeWorkspace(batchSize: 2 * batch, precision: precision) }
                criticJointWorkspaces = joint
                criticWorkspaces = try joint.map { try $0.rows(0..<batch) }
                criticNextWorkspaces = try joint.map { try $0.rows(batch..<2 * batch) }
                targetCritics = []
                targetWorkspaces = []
                valueNetwork = nil
            }
        } catch {
            throw .invalidConfiguration("\(error)")
        }
        let lr = configuration.learningRate, beta1 = configuration.effectiveAdamBeta1
        actorOptimizer = Adam(parameterCount: actor.network.parameterCount, learningRate: lr, beta1: beta1)
        criticOptimizers = critics.map { Adam(parameterCount: $0.parameterCount, learningRate: lr, beta1: beta1) }
        temperatureOptimizer = Adam(parameterCount: 1, learningRate: lr)
        tunesTemperature = configuration.variant != .valueNetwork && configuration.alpha == nil
        let fixedAlpha = configuration.alpha ?? (configuration.variant == .valueNetwork ? SACConfiguration.defaultFixedAlpha : 1)
        temperatureParameter = [log(fixedAlpha)]
        targetEntropy = configuration.targetEntropy ?? -Float(actionCount)
        policySample = PolicySample(batchSize: batch, actionCount: actionCount)
        nextPolicySample = PolicySample(batchSize: batch, actionCount: actionCount)
        actingSample = PolicySample(batchSize: 1, actionCount: actionCount)
        softTarget = .allocateZeroed(batch)
        criticLossParts = .allocateZeroed(2)
        criticMeanQ = .allocateZeroed(2)
        self.generator = generator
        nextNoiseGenerator = generator
    }

    deinit {
        softTarget.deallocate()
        criticLossParts.deallocate()
        criticMeanQ.deallocate()
    }

    /// The temperature α = exp(log α).
    public var alpha: Float { exp(logAlpha) }

    /// An action in (−1, 1)ᴬ for one observation: a sample from π(·|s), or `tanh(μ)` when `deterministic`.
    public func act(_ observation: [Float], deterministic: Bool) -> [Float] {
        precondition(observation.count == observationCount, "observation of \(observation.count) features for an agent of \(observationCount)")
        _ = observation.withUnsafeBufferPointer { actingWorkspace.inputBuffer.update(fromContentsOf: $0) }
        if deterministic { return actor.deterministicAction(actingWorkspace) }
        generator.fillStandardNormal(actingSample.noise)
        actor.forward(actingWorkspace, sample: actingSample)
        return Array(actingSample.actions)
    }

    /// Actions in (−1, 1)ᴬ sampled from π(·|s) for several observations at once, in order: one product per
    /// layer for all of them instead of one per observation, which is what acting for many copies costs
    /// (`sac-dev bench scale`). One observation takes ``act(_:deterministic:)``.
    public func act(_ observations: [[Float]]) -> [[Float]] {
        let n = observations.count
        guard n > 1, let (workspace, sample) = actingBatch(rows: n) else { return observations.map { act($0, deterministic: false) } }
        for (row, observation) in observations.enumerated() {
            precondition(observation.count == observationCount, "observation of \(observation.count) features for an agent of \(observationCount)")
            observation.withUnsafeBufferPointer {
                _ = workspace.inputBuffer[(row * observationCount)..<((row + 1) * observationCount)].update(fromContentsOf: $0)
            }
        }
        generator.fillStandardNormal(sample.noise)
        actor.forward(workspace, sample: sample)
        return (0..<n).map { Array(sample.actions[($0 * actionCount)..<(($0 + 1) * actionCount)]) }
    }

    /// A workspace and sample for acting on `rows` observations, made on first use and kept.
    private func actingBatch(rows: Int) -> (MultilayerPerceptron.Workspace, PolicySample)? {
        if let made = actingBatches[rows] { return made }
        guard let workspace = try? actor.network.makeWorkspace(batchSize: rows) else { return nil }
        let made = (workspace, PolicySample(batchSize: rows, actionCount: actionCount))
        actingBatches[rows] = made
        return made
    }

    /// One gradient update on `batch`, in the order of the paper's Algorithm 1:
    ///
    /// 1. value-network variant: ψ ← ψ − λ∇J_V(ψ)              (`valueLoss(batch:)`, eq. 5)
    /// 2. θᵢ ← θᵢ − λ∇J_Q(θᵢ) for both Q networks             (`criticLoss(batch:)`, eq. 7)
    /// 3. φ ← φ − λ∇J_π(φ)                                    (`actorLoss(batch:)`, eq. 12)
    /// 4. twin-q with automatic temperature: log α ← log α − λ∇J(α)  (`temperatureLoss()`, 2018b eq. 18)
    /// 5. targets: θ̄ ← τθ + (1 − τ)θ̄ (twin-q) or ψ̄ ← τψ + (1 − τ)ψ̄ (value network)
    ///
    /// Every loss uses the α from before this update, as Stable-Baselines3 does. Nothing reads θ̄ between
    /// steps 2 and 5, so each Q network's lane moves its target right after its own step (same result).
    ///
    /// CrossQ's update (`SACConfiguration.crossQ()`) trains without targets, on one joint critic pass; see docs/crossq.md.
    @discardableResult
    public func update(batch: ReplayBatch) -> UpdateMetrics {
        if configuration.variant == .crossQ { return updateCrossQ(batch: batch) }
        var metrics = UpdateMetrics()
        metrics.alpha = alpha
        samplePolicies(on: batch)                          // a_π ~ π_φ(·|s), a′ ~ π_φ(·|s′), reparameterised
        defer { policyIsSampled = false }
        if valueNetwork != nil {
            metrics.valueLoss = valueLoss(batch: batch)    // J_V(ψ), eq. 5
            valueNetwork?.step()                           // ψ ← ψ − λ∇J_V(ψ)
        }
        metrics.criticLoss = updateCritics(batch: batch)   // J_Q(θᵢ), eq. 7; θᵢ ← θᵢ − λ∇J_Q(θᵢ); θ̄ᵢ (twin-q)
        metrics.meanQ = criticMeanQ[0]
        metrics.actorLoss = actorLoss(batch: batch, evaluatingCritics: false)   // J_π(φ), eq. 12
        stepActor()                                        // φ ← φ − λ∇J_π(φ)
        metrics.entropy = -policySample.logProbabilities.reduce(0, +) / Float(batch.size)
        if tunesTemperature {
            metrics.temperatureLoss = temperatureLoss()    // J(α), 2018b eq. 18
            temperatureOptimizer.step(parameters: &temperatureParameter, gradients: temperatureGradient)
        }
        valueNetwork?.updateTarget(tau: configuration.tau) // ψ̄ ← τψ + (1 − τ)ψ̄
        updateCount += 1
        return metrics
    }

    /// Draws this update's policy samples on s (for J_V and J_π) and on s′ (for the critics' target y).
    /// The actor is stepped last, so both come from the same parameters and are drawn once, one lane each
    /// (one product per layer on batch rows, on either thread count: a single product on [s; s′] would
    /// sum in another order where OpenBLAS takes a small-matrix kernel for one size and not the other).
    /// On two threads the lane on s′ draws its noise from a copy of the generator advanced past the other
    /// lane's draws (the stream one thread draws).
    private func samplePolicies(on batch: ReplayBatch) {
        if laneRunner == nil {
            drawNoise()
            runLanes(.samplePolicies, batch: batch)
        } else {
            nextNoiseGenerator = generator
            nextNoiseGenerator.skipStandardNormals(policySample.noise.count)
            runLanes(.samplePolicies, batch: batch)
            generator = nextNoiseGenerator
        }
        policyIsSampled = true
    }

    /// J_Q (eq. 7) for both Q networks, each followed by its Adam step, its target's Polyak step (twin-q)
    /// and its evaluation on (s, a_π) for J_π, one lane per Q network. Returns the sum of both losses.
    private func updateCritics(batch: ReplayBatch) -> Float {
        computeSoftTarget(batch: batch)
        runLanes(.criticUpdates, batch: batch)
        return criticLossParts[0] + criticLossParts[1]
    }

    /// The actor's Adam step: on two threads, half of the parameters each.
    func stepActor() {
        guard laneRunner != nil else {
            actorOptimizer.step(parameters: &actor.network.parameters, gradients: actor.network.gradients)
            return
        }
        let coefficients = actorOptimizer.beginStep()
        // One access to each stored property; the four arrays are then reached through those pointers.
        withUnsafeMutablePointer(to: &actorOptimizer) { optimizer in
            withUnsafeMutablePointer(to: &actor.network) { network in
                optimizer.pointee.withMoments { m, v in
                    network.pointee.parameters.withUnsafeMutableBufferPointer { p in
                        network.pointee.gradients.withUnsafeBufferPointer { g in
                            actorStep = ActorStepBuffers(coefficients: coefficients, firstMoment: m, secondMoment: v,
                                                         parameters: p.baseAddress!, gradients: g.baseAddress!, count: p.count)
                            runLanes(.actorAdam)
                            actorStep = nil
                        }
                    }
                }
            }
        }
    }

    /// Fresh ε for the policy on s and on s′, in that order from ``generator``.
    func drawNoise() {
        generator.fillStandardNormal(policySample.noise)
        generator.fillStandardNormal(nextPolicySample.noise)
    }

}
