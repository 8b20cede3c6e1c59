import SACNeuralNetworks

/// CrossQ's update (Bhatt et al., ICLR 2024), in the order of SB3-contrib's `CrossQ.train`.
extension SACAgent {
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
    /// Every loss uses the α from before this update. Allocates nothing.
    func updateCrossQ(batch: ReplayBatch) -> UpdateMetrics {
        var metrics = UpdateMetrics()
        metrics.alpha = alpha
        let n = batch.size
        generator.fillStandardNormal(nextPolicySample.noise)
        sampleNextPolicy(on: batch)                                   // a′, inference mode
        jointCriticForwardAndTarget(batch: batch)                     // Q_θk on [(s, a); (s′, a′)], training mode; y
        runLanes(.jointCriticSteps, batch: batch)                     // J_Q(θk); θk ← θk − λ∇J_Q(θk)
        metrics.criticLoss = criticLossParts[0] + criticLossParts[1]
        metrics.meanQ = criticMeanQ[0]
        updateCount += 1
        guard updateCount % configuration.effectivePolicyDelay == 0 else {
            // The actor did not move: report its last step's figures rather than zeros.
            metrics.actorLoss = lastPolicyMetrics.actorLoss
            metrics.entropy = lastPolicyMetrics.entropy
            metrics.temperatureLoss = lastPolicyMetrics.temperatureLoss
            return metrics
        }

        generator.fillStandardNormal(policySample.noise)
        sampleCurrentPolicy(on: batch)                                // a_π, training mode
        policyIsSampled = true
        defer { policyIsSampled = false }
        metrics.actorLoss = actorLoss(batch: batch, evaluatingCritics: true)   // J_π(φ), Q_θk in inference mode
        stepActor()
        metrics.entropy = -policySample.logProbabilities.reduce(0, +) / Float(n)
        if tunesTemperature {
            metrics.temperatureLoss = temperatureLoss()
            temperatureOptimizer.step(parameters: &temperatureParameter, gradients: temperatureGradient)
        }
        lastPolicyMetrics = metrics
        return metrics
    }

    /// CrossQ's J_Q (the sum over both Q networks), leaving its gradients in ``critics`` without a step,
    /// for tests: a′ from the noise in `nextPolicySample`, the joint pass, and y from it — or, with
    /// `keepingTarget`, the y of the previous call held fixed, as the update holds it for the gradient.
    func crossQCriticLoss(batch: ReplayBatch, keepingTarget: Bool = false) -> Float {
        sampleNextPolicy(on: batch)
        if keepingTarget { runLanes(.jointCriticForward, batch: batch) } else { jointCriticForwardAndTarget(batch: batch) }
        runLanes(.jointCriticLoss, batch: batch)
        return criticLossParts[0] + criticLossParts[1]
    }

    /// Both Q networks in training mode on the joint batch, then y into `softTarget` from their s′ half.
    private func jointCriticForwardAndTarget(batch: ReplayBatch) {
        runLanes(.jointCriticForward, batch: batch)
        let gamma = configuration.gamma, alpha = self.alpha
        for i in 0..<batch.size {
            let next = min(criticNextWorkspaces[0].output[i], criticNextWorkspaces[1].output[i]) - alpha * nextPolicySample.logProbabilities[i]
            softTarget[i] = batch.rewards[i] + gamma * (1 - batch.terminated[i]) * next
        }
    }

    /// Lane k of ``UpdateLane/jointCriticForward``: Q network k in training mode on [(s, a); (s′, a′)].
    func jointCriticForward(lane k: Int, batch: ReplayBatch) {
        load(criticWorkspaces[k], observations: batch.observations, actions: batch.actions)
        load(criticNextWorkspaces[k], observations: batch.nextObservations, actions: nextPolicySample.actions)
        lanes.critics[k].forwardTraining(criticJointWorkspaces[k])
    }

    /// Lane k of ``UpdateLane/jointCriticSteps`` (with `steps`) and ``UpdateLane/jointCriticLoss``: J_Q on
    /// the (s, a) half against `softTarget`, the backward pass through the whole joint batch (the s′ half
    /// passes no loss but shares the statistics), and with `steps` the Adam step of each layer as the pass
    /// finishes it.
    func jointCriticLoss(lane k: Int, batch: ReplayBatch, steps: Bool) {
        writeCriticLossGradient(lane: k, workspace: criticWorkspaces[k], rows: batch.size)
        criticNextWorkspaces[k].outputGradient.update(repeating: 0)
        backwardCritic(lane: k, workspace: criticJointWorkspaces[k], steps: steps)
    }
}
