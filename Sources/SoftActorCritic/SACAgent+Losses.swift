import SACNeuralNetworks

/// The SAC objectives. Each computes its loss on the batch and leaves the gradient of that loss in the
/// network it trains (without stepping an optimiser), using the noise drawn at the start of the update,
/// so a test can compare each against finite differences. Equation numbers are those of Haarnoja et al.,
/// ICML 2018 (and of "SAC Algorithms and Applications", 2018b, for the temperature).
extension SACAgent {
    /// The soft value loss, eq. 5 (value-network variant):
    /// ```
    /// J_V(ψ) = E_s[ ½ (V_ψ(s) − E_{a~π_φ}[ min_k Q_θk(s, a) − α·log π_φ(a|s) ])² ]
    /// ```
    /// with one reparameterised action per state and the minimum of the two Q networks (the paper's
    /// section 4.2). Gradient into ``value``; batch mean over rows.
    func valueLoss(batch: ReplayBatch) -> Float {
        guard let valueWorkspace = valueNetwork?.workspace else { return 0 }
        if !policyIsSampled { sampleCurrentPolicy(on: batch) }
        let n = batch.size
        let alpha = self.alpha
        runLanes(.evaluateCritics, batch: batch)
        load(valueWorkspace, observations: batch.observations)
        valueNetwork?.network.forward(valueWorkspace)
        var loss: Float = 0
        for i in 0..<n {
            let q = min(criticWorkspaces[0].output[i], criticWorkspaces[1].output[i])
            let error = valueWorkspace.output[i] - (q - alpha * policySample.logProbabilities[i])
            loss += 0.5 * error * error
            valueWorkspace.outputGradient[i] = error / Float(n)
        }
        valueNetwork?.network.backward(valueWorkspace)
        return loss / Float(n)
    }

    /// The soft Q loss, eq. 7, for both Q networks (their sum is returned):
    /// ```
    /// J_Q(θk) = E_(s,a,r,s′,d)[ ½ (Q_θk(s, a) − y)² ]
    /// y = r + γ(1 − d)·V̄(s′)                                    value-network variant (eq. 8)
    /// y = r + γ(1 − d)·(min_k Q_θ̄k(s′, a′) − α·log π_φ(a′|s′))   twin-q, a′ ~ π_φ(·|s′)
    /// ```
    /// d is `terminated` only: truncated transitions bootstrap. Gradients into ``critics``.
    func criticLoss(batch: ReplayBatch) -> Float {
        computeSoftTarget(batch: batch)
        runLanes(.criticLoss, batch: batch)
        return criticLossParts[0] + criticLossParts[1]
    }

    /// The policy loss, eq. 12, with reparameterised actions a = tanh(μ_φ(s) + σ_φ(s)·ε):
    /// ```
    /// J_π(φ) = E_s,ε[ α·log π_φ(a|s) − min_k Q_θk(s, a) ]
    /// ```
    /// ∂Q/∂a comes from the Q networks' input gradients with their weight gradients skipped; only the
    /// minimising network of each row passes gradient, as in `torch.min`. Gradient into ``actor``.
    func actorLoss(batch: ReplayBatch) -> Float {
        actorLoss(batch: batch, evaluatingCritics: true)
    }

    /// `actorLoss(batch:)`; `evaluatingCritics: false` when the critics' workspaces already hold
    /// Q_θk(s, a_π) (``update(batch:)`` evaluates them in the critics' lanes).
    func actorLoss(batch: ReplayBatch, evaluatingCritics: Bool) -> Float {
        if !policyIsSampled { sampleCurrentPolicy(on: batch) }
        if evaluatingCritics { runLanes(.evaluateCritics, batch: batch) }
        let n = batch.size, o = observationCount, a = actionCount
        let alpha = self.alpha
        var loss: Float = 0
        for i in 0..<n {
            let q0 = criticWorkspaces[0].output[i], q1 = criticWorkspaces[1].output[i]
            loss += alpha * policySample.logProbabilities[i] - min(q0, q1)
            criticWorkspaces[0].outputGradient[i] = q0 <= q1 ? -1 / Float(n) : 0
            criticWorkspaces[1].outputGradient[i] = q0 <= q1 ? 0 : -1 / Float(n)
            policySample.logProbabilityGradient[i] = alpha / Float(n)
        }
        runLanes(.criticInputGradients)
        let g0 = criticWorkspaces[0].inputGradientBuffer, g1 = criticWorkspaces[1].inputGradientBuffer
        for i in 0..<n {
            for j in 0..<a { policySample.actionGradient[i * a + j] = g0[i * (o + a) + o + j] + g1[i * (o + a) + o + j] }
        }
        actor.backward(actorWorkspace, sample: policySample, pair: laneRunner?.pair)
        return loss / Float(n)
    }

    /// The temperature loss of automatic entropy tuning (2018b, eq. 18), in Stable-Baselines3's log form:
    /// ```
    /// J(α) = E_s[ −log α · (log π_φ(a|s) + H̄) ]      with a ~ π_φ(·|s) held fixed
    /// ```
    /// using the log-probabilities of the policy sample of the last `actorLoss(batch:)`. Its gradient
    /// `−E[log π + H̄]` goes into `temperatureGradient`: α grows while the entropy is below H̄.
    func temperatureLoss() -> Float {
        let n = policySample.batchSize
        var mean: Float = 0
        for i in 0..<n { mean += policySample.logProbabilities[i] + targetEntropy }
        mean /= Float(n)
        temperatureGradient[0] = -mean
        return -logAlpha * mean
    }

    // MARK: Pieces shared by the losses

    /// a_π ~ π_φ(·|s) on the batch's observations, with the update's noise; CrossQ's actor normalises in
    /// training mode here (its J_π trains on these actions), on this thread only.
    func sampleCurrentPolicy(on batch: ReplayBatch) {
        load(actorWorkspace, observations: batch.observations)
        if configuration.variant == .crossQ {
            actor.forwardTraining(actorWorkspace, sample: policySample)
        } else {
            actor.forward(actorWorkspace, sample: policySample)
        }
    }

    /// a′ ~ π_φ(·|s′) on the batch's next observations, with the update's noise.
    func sampleNextPolicy(on batch: ReplayBatch) {
        load(actorNextWorkspace, observations: batch.nextObservations)
        actor.forward(actorNextWorkspace, sample: nextPolicySample)
    }

    /// y of `criticLoss(batch:)` into `softTarget`.
    func computeSoftTarget(batch: ReplayBatch) {
        let n = batch.size
        let gamma = configuration.gamma
        if let targetValueWorkspace = valueNetwork?.targetWorkspace {
            load(targetValueWorkspace, observations: batch.nextObservations)
            valueNetwork?.target.forward(targetValueWorkspace)
            for i in 0..<n {
                softTarget[i] = batch.rewards[i] + gamma * (1 - batch.terminated[i]) * targetValueWorkspace.output[i]
            }
            return
        }
        if !policyIsSampled { sampleNextPolicy(on: batch) }
        runLanes(.targetCritics, batch: batch)
        let alpha = self.alpha
        for i in 0..<n {
            let next = min(targetWorkspaces[0].output[i], targetWorkspaces[1].output[i]) - alpha * nextPolicySample.logProbabilities[i]
            softTarget[i] = batch.rewards[i] + gamma * (1 - batch.terminated[i]) * next
        }
    }

    /// Copies a batch of observations into a workspace's input.
    func load(_ workspace: MultilayerPerceptron.Workspace, observations: UnsafeMutableBufferPointer<Float>) {
        workspace.inputBuffer.baseAddress!.update(from: observations.baseAddress!, count: workspace.inputBuffer.count)
    }

    /// Writes the rows `[s, a]` of a critic's input.
    func load(_ workspace: MultilayerPerceptron.Workspace, observations: UnsafeMutableBufferPointer<Float>, actions: UnsafeMutableBufferPointer<Float>) {
        let o = observationCount, a = actionCount
        let input = workspace.inputBuffer.baseAddress!, s = observations.baseAddress!, u = actions.baseAddress!
        // Element by element: rows this short cost less inline than as two calls to memmove each.
        for i in 0..<workspace.batchSize {
            let row = input + i * (o + a)
            for j in 0..<o { row[j] = s[i * o + j] }
            for j in 0..<a { row[o + j] = u[i * a + j] }
        }
    }
}
