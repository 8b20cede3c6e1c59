import SACEnvironments
import SACNeuralNetworks
import SACRandomness

/// A Soft Actor-Critic agent (Haarnoja et al., 2018): the networks, their optimisers, and the update of
/// its variant (``SACVariant``).
///
/// The agent works in normalised action space (−1, 1)ᴬ; ``ActionScaling`` maps to the environment's
/// bounds. All batch buffers are allocated in `init`, so ``update(batch:)`` allocates nothing.
/// The agent is a class because it owns those buffers; it is not thread-safe: use one agent per task.
/// With ``updateThreads`` = 2 an update runs its independent halves (the two Q networks; the actor on s and
/// on s′) side by side on a worker thread of its own.
public final class SACAgent {
    /// Hyperparameters, fixed for the agent's lifetime.
    public let configuration: SACConfiguration
    /// The precision the updates' products run in: the configuration's, or `MatrixPrecision.float32`
    /// where it asked for bfloat16 on a machine without it (`MatrixPrecision.bfloat16Unavailability`).
    public let precision: MatrixPrecision
    /// What every variant trains: actor, Q networks, optimisers, temperature, generator, buffers.
    let networks: SACNetworks
    /// The variant's update, with what only it has (targets, V_ψ, the joint pass).
    let rule: any SACUpdateRule
    /// Acting on several observations at once, by their number.
    private var actingBatches: [Int: (MultilayerPerceptron.Workspace, PolicySample)] = [:]

    /// A new agent with freshly initialised networks.
    public init(observationCount: Int, actionCount: Int, configuration: SACConfiguration) throws(SACError) {
        try configuration.validate()
        guard observationCount > 0, actionCount > 0 else {
            throw .spaceMismatch("observation size \(observationCount) and action size \(actionCount) must be > 0")
        }
        self.configuration = configuration
        var generator = Xoshiro256StarStar(seed: configuration.seed)
        let batch = configuration.batchSize
        let precision = configuration.effectivePrecision.available
        self.precision = precision
        let normalization = configuration.effectiveBatchRenormalization
        do {
            let actor = try SquashedGaussianActor(
                observationCount: observationCount, actionCount: actionCount, hiddenSizes: configuration.hiddenSizes,
                normalization: normalization, generator: &generator)
            let criticSizes = [observationCount + actionCount] + configuration.effectiveCriticHiddenSizes + [1]
            let critics = try (0..<2).map { _ in
                try MultilayerPerceptron(layerSizes: criticSizes, normalization: normalization, generator: &generator)
            }
            func networks(criticWorkspaces: [MultilayerPerceptron.Workspace]) throws -> SACNetworks {
                try SACNetworks(
                    configuration: configuration, actor: actor, critics: critics, criticWorkspaces: criticWorkspaces,
                    precision: precision, generator: generator)
            }
            switch configuration.variant {
            case .twinQ:
                self.networks = try networks(
                    criticWorkspaces: try critics.map { try $0.makeWorkspace(batchSize: batch, precision: precision) })
                rule = try TwinQUpdate(networks: self.networks, precision: precision)
            case .valueNetwork:
                let criticWorkspaces = try critics.map { try $0.makeWorkspace(batchSize: batch, precision: precision) }
                let value = try SoftValueNetwork(
                    observationCount: observationCount, hiddenSizes: configuration.hiddenSizes, batchSize: batch,
                    precision: precision, learningRate: configuration.learningRate, generator: &generator)
                self.networks = try networks(criticWorkspaces: criticWorkspaces)
                rule = ValueNetworkUpdate(networks: self.networks, value: value)
            case .crossQ:
                // One pass over both halves, so that the normalisations see (s, a) and (s′, a′) together.
                let workspaces = try CrossQUpdate.makeWorkspaces(critics, batchSize: batch, precision: precision)
                self.networks = try networks(criticWorkspaces: workspaces.current)
                rule = CrossQUpdate(networks: self.networks, jointWorkspaces: workspaces.joint, nextWorkspaces: workspaces.next)
            }
        } catch {
            throw .invalidConfiguration("\(error)")
        }
    }

    /// Observation features.
    public var observationCount: Int { networks.observationCount }
    /// Action dimensions A.
    public var actionCount: Int { networks.actionCount }
    /// The policy π_φ.
    public internal(set) var actor: SquashedGaussianActor {
        get { networks.actor }
        set { networks.actor = newValue }
    }
    /// Q_θ₁ and Q_θ₂: `[s, a] → Q`.
    public internal(set) var critics: [MultilayerPerceptron] {
        get { networks.critics }
        set { networks.critics = newValue }
    }
    /// Polyak-averaged targets Q_θ̄₁, Q_θ̄₂ (twin-q variant; empty otherwise: CrossQ has none).
    public internal(set) var targetCritics: [MultilayerPerceptron] {
        get { (rule as? TwinQUpdate)?.targets ?? [] }
        set { (rule as? TwinQUpdate)?.targets = newValue }
    }
    /// V_ψ, V_ψ̄, V_ψ's optimiser and workspaces: the value-network variant's parts, `nil` otherwise.
    var valueNetwork: SoftValueNetwork? {
        get { (rule as? ValueNetworkUpdate)?.value }
        set { if let newValue { (rule as? ValueNetworkUpdate)?.value = newValue } }
    }
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
    /// log α, optimised when the temperature is automatic.
    public var logAlpha: Float { networks.logAlpha }
    /// The temperature α = exp(log α).
    public var alpha: Float { networks.alpha }
    /// Entropy target H̄ of the automatic temperature, nats.
    public var targetEntropy: Float { networks.targetEntropy }
    /// Whether α is tuned (twin-q and CrossQ without a fixed `alpha`).
    public var tunesTemperature: Bool { networks.tunesTemperature }
    /// Gradient updates performed.
    public internal(set) var updateCount: Int {
        get { networks.updateCount }
        set { networks.updateCount = newValue }
    }
    /// The agent's generator: initialisation, exploration noise and replay sampling.
    public var generator: Xoshiro256StarStar {
        get { networks.generator }
        set { networks.generator = newValue }
    }

    /// Threads an update runs on: 1, or 2 to run its independent halves at once — the two Q networks'
    /// passes and Adam steps, the actor on s and on s′. Pair 2 with `BLAS.setThreadCount(1)` (two
    /// single-threaded products at a time). The result is the same bit for bit as with 1.
    public var updateThreads = 1 {
        didSet {
            if (updateThreads >= 2) != (networks.lanes.pair != nil) { networks.lanes = LaneScheduler(threads: updateThreads) }
        }
    }

    /// Floating-point operations of the matrix products in one ``update(batch:)`` (2·m·n·k per product),
    /// counted from the layer sizes and the batch size: what a GFLOP/s figure divides by. Element-wise work
    /// (activations, the squashing, Adam) is a few percent on top and not counted.
    public var matrixFlopsPerUpdate: Double { rule.matrixFlopsPerUpdate }

    /// An action in (−1, 1)ᴬ for one observation: a sample from π(·|s), or `tanh(μ)` when `deterministic`.
    public func act(_ observation: [Float], deterministic: Bool) -> [Float] {
        precondition(
            observation.count == observationCount, "observation of \(observation.count) features for an agent of \(observationCount)")
        let workspace = networks.actingWorkspace, sample = networks.actingSample
        _ = observation.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
        if deterministic { return actor.deterministicAction(workspace) }
        networks.generator.fillStandardNormal(sample.noise)
        actor.forward(workspace, sample: sample)
        return Array(sample.actions)
    }

    /// Actions in (−1, 1)ᴬ sampled from π(·|s) for several observations at once, in order: one product per
    /// layer for all of them instead of one per observation, which is what acting for many copies costs
    /// (`sac-dev bench scale`). One observation takes ``act(_:deterministic:)``.
    public func act(_ observations: [[Float]]) -> [[Float]] {
        guard observations.count > 1 else { return observations.map { act($0, deterministic: false) } }
        return act(FloatRows(width: observationCount, rows: observations)).rows
    }

    /// Actions in (−1, 1)ᴬ sampled from π(·|s) for a batch of observations, one row each: as
    /// ``act(_:)-([[Float]])`` without an array per observation.
    public func act(_ observations: FloatRows) -> FloatRows {
        precondition(
            observations.width == observationCount, "observations of \(observations.width) features for an agent of \(observationCount)")
        let n = observations.count
        guard n > 1, let (workspace, sample) = actingBatch(rows: n) else {
            return FloatRows(width: actionCount, values: n == 1 ? act(observations.values, deterministic: false) : [])
        }
        _ = observations.values.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
        networks.generator.fillStandardNormal(sample.noise)
        actor.forward(workspace, sample: sample)
        return FloatRows(width: actionCount, values: Array(sample.actions))
    }

    /// A workspace and sample for acting on `rows` observations, made on first use and kept.
    private func actingBatch(rows: Int) -> (MultilayerPerceptron.Workspace, PolicySample)? {
        if let made = actingBatches[rows] { return made }
        guard let workspace = try? actor.network.makeWorkspace(batchSize: rows) else { return nil }
        let made = (workspace, PolicySample(batchSize: rows, actionCount: actionCount))
        actingBatches[rows] = made
        return made
    }

    /// One gradient update on `batch` by the variant's update, with every loss computed from the α before
    /// it: J_Q (eq. 7) and J_π (eq. 12) for every variant, J_V (eq. 5) first for the value-network variant,
    /// J(α) (2018b eq. 18) with automatic temperature, then the targets' Polyak steps (twin-q's Q̄, or V̄).
    /// CrossQ's update trains without targets on one joint pass over (s, a) and (s′, a′) (docs/crossq.md).
    @discardableResult
    public func update(batch: ReplayBatch) -> UpdateMetrics {
        rule.update(batch: batch)
    }
}
