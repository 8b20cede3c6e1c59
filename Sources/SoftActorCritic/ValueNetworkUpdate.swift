import SACNeuralNetworks

/// The update of the paper's variant (Haarnoja et al., ICML 2018, Algorithm 1): a soft value network V_ψ
/// with a Polyak-averaged target V_ψ̄ gives the Q networks' target y, and α is fixed.
final class ValueNetworkUpdate: SACUpdateRule {
    let networks: SACNetworks
    /// V_ψ, V_ψ̄, V_ψ's optimiser and workspaces.
    var value: SoftValueNetwork

    init(networks: SACNetworks, value: SoftValueNetwork) {
        self.networks = networks
        self.value = value
    }

    /// In the order of Algorithm 1:
    /// 1. ψ ← ψ − λ∇J_V(ψ)                      (eq. 5)
    /// 2. θᵢ ← θᵢ − λ∇J_Q(θᵢ) for both Q networks (eq. 7, y from V_ψ̄, eq. 8)
    /// 3. φ ← φ − λ∇J_π(φ)                      (eq. 12)
    /// 4. ψ̄ ← τψ + (1 − τ)ψ̄
    func update(batch: ReplayBatch) -> UpdateMetrics {
        var metrics = UpdateMetrics()
        metrics.alpha = networks.alpha
        networks.samplePolicies(on: batch, next: false)
        metrics.valueLoss = valueLoss(batch: batch)
        value.step()
        computeSoftTarget(batch: batch)
        networks.run(.criticUpdates, batch: batch)
        metrics.criticLoss = networks.criticLossParts[0] + networks.criticLossParts[1]
        metrics.meanQ = networks.criticMeanQ[0]
        metrics.actorLoss = networks.actorLoss(batch: batch, evaluatingCritics: false)
        networks.finishPolicyStep(batch: batch, metrics: &metrics)
        value.updateTarget(tau: networks.configuration.tau)
        networks.updateCount += 1
        return metrics
    }

    /// The soft value loss, eq. 5, with a_π ~ π_φ(·|s) already in `policySample`:
    /// ```
    /// J_V(ψ) = E_s[ ½ (V_ψ(s) − E_{a~π_φ}[ min_k Q_θk(s, a) − α·log π_φ(a|s) ])² ]
    /// ```
    /// with one reparameterised action per state and the minimum of the two Q networks (the paper's
    /// section 4.2). Gradient into V_ψ; batch mean over rows.
    func valueLoss(batch: ReplayBatch) -> Float {
        let n = batch.size, alpha = networks.alpha, workspace = value.workspace
        networks.run(.evaluateCritics, batch: batch)
        networks.load(workspace, observations: batch.observations)
        value.network.forward(workspace)
        var loss: Float = 0
        for i in 0..<n {
            let q = min(networks.criticWorkspaces[0].output[i], networks.criticWorkspaces[1].output[i])
            let error = workspace.output[i] - (q - alpha * networks.policySample.logProbabilities[i])
            loss += 0.5 * error * error
            workspace.outputGradient[i] = error / Float(n)
        }
        value.network.backward(workspace)
        return loss / Float(n)
    }

    /// y = r + γ(1 − d)·V_ψ̄(s′) (eq. 8) into `softTarget`; d is `terminated` only.
    func computeSoftTarget(batch: ReplayBatch) {
        let workspace = value.targetWorkspace, gamma = networks.configuration.gamma
        networks.load(workspace, observations: batch.nextObservations)
        value.target.forward(workspace)
        for i in 0..<batch.size {
            networks.softTarget[i] = batch.rewards[i] + gamma * (1 - batch.terminated[i]) * workspace.output[i]
        }
    }

    var matrixFlopsPerUpdate: Double {
        let q = networks.critics[0], pi = networks.actor.network, v = value.network, a = networks.actionCount
        return forwardFlops(pi) + 2 * forwardFlops(q) + forwardFlops(v) + backwardFlops(v, weights: true) // J_V
            + forwardFlops(v) // V̄(s′)
            + 2 * (forwardFlops(q) + backwardFlops(q, weights: true)) // J_Q
            + forwardFlops(pi) + 2 * forwardFlops(q) + 2 * backwardFlops(q, weights: false, firstLayerInputColumns: a)
            + backwardFlops(pi, weights: true) // J_π
    }
}
