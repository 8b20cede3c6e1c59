import SACNeuralNetworks

/// CrossQ's update (Bhatt et al., ICLR 2024), in the order of SB3-contrib's `CrossQ.train`: batch-
/// renormalised Q networks without targets, trained on one joint pass over (s, a) and (s′, a′), and the
/// actor stepped every ``SACConfiguration/effectivePolicyDelay``-th update.
final class CrossQUpdate: SACUpdateRule, LaneWork {
    let networks: SACNetworks
    /// Q_k on [(s, a); (s′, a′)], 2 × batch rows; the (s, a) half is `networks.criticWorkspaces[k]`.
    let jointWorkspaces: [MultilayerPerceptron.Workspace]
    /// The (s′, a′) half's view of each.
    let nextWorkspaces: [MultilayerPerceptron.Workspace]
    /// The metrics of the last update that stepped the actor, reported by the updates between.
    private var lastPolicyMetrics = UpdateMetrics()

    private enum Lane: Int {
        /// Q network k in training mode on [(s, a); (s′, a′)].
        case jointForward = 100
        /// J_Q on the joint pass and the Adam step.
        case jointSteps
        /// J_Q on the joint pass, gradients only.
        case jointLoss
    }

    init(networks: SACNetworks, jointWorkspaces: [MultilayerPerceptron.Workspace], nextWorkspaces: [MultilayerPerceptron.Workspace]) {
        self.networks = networks
        self.jointWorkspaces = jointWorkspaces
        self.nextWorkspaces = nextWorkspaces
    }

    /// The workspaces of the joint pass for `critics` on `batchSize` rows of each half: the joint ones,
    /// their (s, a) halves and their (s′, a′) halves.
    static func makeWorkspaces(_ critics: [MultilayerPerceptron], batchSize: Int, precision: MatrixPrecision) throws
        -> (joint: [MultilayerPerceptron.Workspace], current: [MultilayerPerceptron.Workspace], next: [MultilayerPerceptron.Workspace])
    {
        let joint = try critics.map { try $0.makeWorkspace(batchSize: 2 * batchSize, precision: precision) }
        return (joint, try joint.map { try $0.rows(0..<batchSize) }, try joint.map { try $0.rows(batchSize..<2 * batchSize) })
    }

    /// One CrossQ gradient update on `batch`:
    ///
    /// 1. a′ ~ π_φ(·|s′) with the actor's normalisations in inference mode (nothing trains on it);
    /// 2. both Q networks in training mode on the joint batch [(s, a); (s′, a′)], so each normalisation's
    ///    statistics are those of the mixture (the paper's section 3.2), and the target from the same pass:
    ///    ```
    ///    y = r + γ(1 − d)·(min_k Q_θk(s′, a′) − α·log π_φ(a′|s′))      (no target networks; y held fixed)
    ///    J_Q(θk) = E[ ½ (Q_θk(s, a) − y)² ]                             (eq. 7, the s′ half has no loss)
    ///    ```
    ///    and each Q network's Adam step, one lane each;
    /// 3. every ``SACConfiguration/effectivePolicyDelay``-th update: a_π ~ π_φ(·|s) with the actor's
    ///    normalisations in training mode; J_π (eq. 12) with the Q networks in inference mode; the actor's
    ///    Adam step; J(α) and its step.
    ///
    /// Every loss uses the α from before this update.
    func update(batch: ReplayBatch) -> UpdateMetrics {
        var metrics = UpdateMetrics()
        metrics.alpha = networks.alpha
        networks.generator.fillStandardNormal(networks.nextPolicySample.noise)
        networks.sampleNextPolicy(on: batch) // a′, inference mode
        jointForwardAndTarget(batch: batch) // Q_θk on [(s, a); (s′, a′)], training mode; y
        run(.jointSteps, batch: batch) // J_Q(θk); θk ← θk − λ∇J_Q(θk)
        metrics.criticLoss = networks.criticLossParts[0] + networks.criticLossParts[1]
        metrics.meanQ = networks.criticMeanQ[0]
        networks.updateCount += 1
        guard networks.updateCount % networks.configuration.effectivePolicyDelay == 0 else {
            // The actor did not move: report its last step's figures rather than zeros.
            metrics.actorLoss = lastPolicyMetrics.actorLoss
            metrics.entropy = lastPolicyMetrics.entropy
            metrics.temperatureLoss = lastPolicyMetrics.temperatureLoss
            return metrics
        }
        networks.generator.fillStandardNormal(networks.policySample.noise)
        networks.sampleCurrentPolicy(on: batch, training: true) // a_π, training mode
        metrics.actorLoss = networks.actorLoss(batch: batch, evaluatingCritics: true) // J_π(φ), Q_θk in inference mode
        networks.finishPolicyStep(batch: batch, metrics: &metrics)
        lastPolicyMetrics = metrics
        return metrics
    }

    /// CrossQ's J_Q (the sum over both Q networks), leaving its gradients in the Q networks without a
    /// step, for tests: a′ from the noise in `nextPolicySample`, the joint pass, and y from it — or, with
    /// `keepingTarget`, the y of the previous call held fixed, as the update holds it for the gradient.
    func criticLoss(batch: ReplayBatch, keepingTarget: Bool) -> Float {
        networks.sampleNextPolicy(on: batch)
        if keepingTarget { run(.jointForward, batch: batch) } else { jointForwardAndTarget(batch: batch) }
        run(.jointLoss, batch: batch)
        return networks.criticLossParts[0] + networks.criticLossParts[1]
    }

    private func run(_ lane: Lane, batch: ReplayBatch) {
        var none: [MultilayerPerceptron] = []
        networks.run(self, task: lane.rawValue, batch: batch, targets: &none)
    }

    /// Both Q networks in training mode on the joint batch, then y into `softTarget` from their s′ half.
    private func jointForwardAndTarget(batch: ReplayBatch) {
        run(.jointForward, batch: batch)
        let gamma = networks.configuration.gamma, alpha = networks.alpha
        for i in 0..<batch.size {
            let next = min(nextWorkspaces[0].output[i], nextWorkspaces[1].output[i]) - alpha * networks.nextPolicySample.logProbabilities[i]
            networks.softTarget[i] = batch.rewards[i] + gamma * (1 - batch.terminated[i]) * next
        }
    }

    func perform(_ task: Int, lane k: Int, batch: ReplayBatch?, buffers: LaneBuffers) {
        guard let task = Lane(rawValue: task), let batch else { return }
        switch task {
        case .jointForward:
            networks.load(networks.criticWorkspaces[k], observations: batch.observations, actions: batch.actions)
            networks.load(nextWorkspaces[k], observations: batch.nextObservations, actions: networks.nextPolicySample.actions)
            buffers.critics[k].forwardTraining(jointWorkspaces[k])
        case .jointSteps, .jointLoss:
            // J_Q on the (s, a) half against y; the backward pass runs through the whole joint batch (the
            // s′ half passes no loss but shares the statistics).
            networks.writeCriticLossGradient(lane: k, workspace: networks.criticWorkspaces[k], rows: batch.size)
            nextWorkspaces[k].outputGradient.update(repeating: 0)
            networks.backwardCritic(lane: k, workspace: jointWorkspaces[k], steps: task == .jointSteps, buffers: buffers)
        }
    }

    /// a′ on s′; both Q networks forward and backward on the joint 2·batch rows, the first layer's input
    /// gradient in full (its normalisation's scale and shift need it); every `policyDelay`-th update the
    /// actor's step as in twin-q.
    var matrixFlopsPerUpdate: Double {
        let q = networks.critics[0], pi = networks.actor.network, a = networks.actionCount
        let delay = Double(networks.configuration.effectivePolicyDelay)
        return forwardFlops(pi) + 2 * 2 * (forwardFlops(q) + backwardFlops(q, weights: true, firstLayerInputColumns: q.inputSize))
            + (forwardFlops(pi) + 2 * forwardFlops(q) + 2 * backwardFlops(q, weights: false, firstLayerInputColumns: a)
                + backwardFlops(pi, weights: true, firstLayerInputColumns: pi.inputSize)) / delay
    }
}
