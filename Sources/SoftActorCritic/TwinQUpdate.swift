import SACNeuralNetworks

/// The twin-q update (Haarnoja et al., 2018b; Fujimoto et al., 2018), Stable-Baselines3's and CleanRL's
/// SAC: two Q networks with Polyak-averaged targets Q_θ̄₁, Q_θ̄₂, the minimum of the targets in y, and the
/// automatic temperature unless α is fixed.
final class TwinQUpdate: SACUpdateRule, LaneWork {
    let networks: SACNetworks
    /// Q_θ̄₁, Q_θ̄₂.
    var targets: [MultilayerPerceptron]
    /// Q̄_k on (s′, a′).
    let targetWorkspaces: [MultilayerPerceptron.Workspace]

    private enum Lane: Int {
        /// Q̄_k on (s′, a′).
        case targetCritics = 100
    }

    /// Targets equal to the networks' Q networks.
    init(networks: SACNetworks, precision: MatrixPrecision) throws {
        self.networks = networks
        targets = networks.critics
        targetWorkspaces = try networks.critics.map {
            try $0.makeWorkspace(batchSize: networks.configuration.batchSize, precision: precision)
        }
    }

    /// 1. a_π ~ π_φ(·|s), a′ ~ π_φ(·|s′), reparameterised, from the same parameters;
    /// 2. θᵢ ← θᵢ − λ∇J_Q(θᵢ) for both Q networks (eq. 7, y from the targets), each followed by its
    ///    target's Polyak step θ̄ᵢ ← τθᵢ + (1 − τ)θ̄ᵢ (nothing reads θ̄ in between) and its evaluation on (s, a_π);
    /// 3. φ ← φ − λ∇J_π(φ) (eq. 12);
    /// 4. with automatic temperature: log α ← log α − λ∇J(α) (2018b eq. 18).
    ///
    /// Every loss uses the α from before this update, as Stable-Baselines3 does.
    func update(batch: ReplayBatch) -> UpdateMetrics {
        var metrics = UpdateMetrics()
        metrics.alpha = networks.alpha
        networks.samplePolicies(on: batch, next: true)
        computeSoftTarget(batch: batch)
        networks.run(.criticUpdates, batch: batch, targets: &targets)
        metrics.criticLoss = networks.criticLossParts[0] + networks.criticLossParts[1]
        metrics.meanQ = networks.criticMeanQ[0]
        metrics.actorLoss = networks.actorLoss(batch: batch, evaluatingCritics: false)
        networks.finishPolicyStep(batch: batch, metrics: &metrics)
        networks.updateCount += 1
        return metrics
    }

    /// y of the soft Q loss (eq. 7) into `softTarget`, with a′ ~ π_φ(·|s′) already in `nextPolicySample`:
    /// ```
    /// y = r + γ(1 − d)·(min_k Q_θ̄k(s′, a′) − α·log π_φ(a′|s′))
    /// ```
    /// d is `terminated` only: truncated transitions bootstrap.
    func computeSoftTarget(batch: ReplayBatch) {
        networks.run(self, task: Lane.targetCritics.rawValue, batch: batch, targets: &targets)
        let gamma = networks.configuration.gamma, alpha = networks.alpha
        for i in 0..<batch.size {
            let next =
                min(targetWorkspaces[0].output[i], targetWorkspaces[1].output[i]) - alpha * networks.nextPolicySample.logProbabilities[i]
            networks.softTarget[i] = batch.rewards[i] + gamma * (1 - batch.terminated[i]) * next
        }
    }

    func perform(_ task: Int, lane k: Int, batch: ReplayBatch?, buffers: LaneBuffers) {
        guard Lane(rawValue: task) == .targetCritics, let batch else { return }
        networks.load(targetWorkspaces[k], observations: batch.nextObservations, actions: networks.nextPolicySample.actions)
        buffers.targets[k].forward(targetWorkspaces[k])
    }

    var matrixFlopsPerUpdate: Double {
        let q = networks.critics[0], pi = networks.actor.network, a = networks.actionCount
        return forwardFlops(pi) + 2 * forwardFlops(q) // target
            + 2 * (forwardFlops(q) + backwardFlops(q, weights: true)) // J_Q
            + forwardFlops(pi) + 2 * forwardFlops(q) + 2 * backwardFlops(q, weights: false, firstLayerInputColumns: a)
            + backwardFlops(pi, weights: true) // J_π
    }
}
