import SACNeuralNetworks

/// Each objective on its own, its gradient left in the network it trains without an optimiser step, from
/// the noise already drawn (``drawNoise()``): what the gradient checks compare against finite differences.
/// Equation numbers are those of Haarnoja et al., ICML 2018 (2018b for the temperature).
extension SACAgent {
    /// Fresh ε for the policy on s and on s′, in that order from the generator.
    func drawNoise() { networks.drawNoise() }

    /// J_Q (eq. 7) for both Q networks, with a′ sampled on s′ where y needs it; CrossQ's through the joint
    /// pass (`keepingTarget`: the y of the previous call held fixed, as its update holds it).
    func criticLoss(batch: ReplayBatch, keepingTarget: Bool = false) -> Float {
        switch rule {
        case let twinQ as TwinQUpdate:
            networks.sampleNextPolicy(on: batch)
            twinQ.computeSoftTarget(batch: batch)
        case let value as ValueNetworkUpdate:
            value.computeSoftTarget(batch: batch)
        case let crossQ as CrossQUpdate:
            return crossQ.criticLoss(batch: batch, keepingTarget: keepingTarget)
        default:
            break
        }
        networks.run(.criticLoss, batch: batch)
        return networks.criticLossParts[0] + networks.criticLossParts[1]
    }

    /// J_V (eq. 5), value-network variant; 0 otherwise.
    func valueLoss(batch: ReplayBatch) -> Float {
        guard let value = rule as? ValueNetworkUpdate else { return 0 }
        networks.sampleCurrentPolicy(on: batch, training: false)
        return value.valueLoss(batch: batch)
    }

    /// J_π (eq. 12), on a_π sampled as the variant's update samples it.
    func actorLoss(batch: ReplayBatch) -> Float {
        networks.sampleCurrentPolicy(on: batch, training: rule is CrossQUpdate)
        return networks.actorLoss(batch: batch, evaluatingCritics: true)
    }

    /// J(α) on the last policy sample.
    func temperatureLoss() -> Float { networks.temperatureLoss() }

    /// Twin-q's y into ``softTarget``, with a′ sampled on s′.
    func computeSoftTarget(batch: ReplayBatch) {
        guard let twinQ = rule as? TwinQUpdate else { return }
        networks.sampleNextPolicy(on: batch)
        twinQ.computeSoftTarget(batch: batch)
    }

    var softTarget: UnsafeMutableBufferPointer<Float> { networks.softTarget }
    var nextPolicySample: PolicySample { networks.nextPolicySample }
    var targetWorkspaces: [MultilayerPerceptron.Workspace] { (rule as? TwinQUpdate)?.targetWorkspaces ?? [] }
    var temperatureParameter: [Float] {
        get { networks.temperatureParameter }
        set { networks.temperatureParameter = newValue }
    }
    var temperatureGradient: [Float] { networks.temperatureGradient }
    var actorOptimizer: Adam { networks.actorOptimizer }
}
