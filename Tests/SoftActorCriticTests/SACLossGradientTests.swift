import SACTestSupport
import Testing
@testable import SoftActorCritic
import SACNeuralNetworks

/// Each SAC loss's analytic gradient against central finite differences (step 1e-3) of the same loss,
/// with the update's noise ε held fixed, on a 3→8→8 network and a batch of 5. Bound: relative error of
/// the whole gradient vector below 1e-2 (float32 losses; measured values are printed on failure).
@Suite struct SACLossGradientTests {
    static let tolerance = 1e-2

    @Test(arguments: [SACVariant.twinQ, .valueNetwork])
    func criticLossGradientMatchesFiniteDifferences(variant: SACVariant) throws {
        let (agent, batch) = try smallAgentAndBatch(variant: variant)
        for k in 0..<2 {
            _ = agent.criticLoss(batch: batch)
            let analytic = agent.critics[k].gradients.map(Double.init)
            let original = agent.critics[k].parameters
            let numeric = finiteDifferenceGradient(at: original) { parameters in
                agent.critics[k].parameters = parameters
                return agent.criticLoss(batch: batch)
            }
            agent.critics[k].parameters = original
            let error = relativeError(analytic, numeric)
            #expect(error < Self.tolerance, "\(variant) Q\(k + 1): relative error \(error)")
        }
    }

    /// CrossQ's J_Q through the joint pass: the finite differences move both halves (and so the shared
    /// normalisation statistics) but hold y fixed, as the update's stop-gradient does. Step 2e-4: with 10
    /// rows the normalisation scales pre-activations up, and at 1e-3 one of seed 7's crosses a ReLU kink
    /// (relative error 1.0e-2 there, 2e-4 for the others; at 2e-4 all stay near 1e-3, float32 noise).
    @Test(arguments: [7, 8, 9] as [UInt64])
    func crossQJointCriticLossGradientMatchesFiniteDifferences(seed: UInt64) throws {
        let (agent, batch) = try smallAgentAndBatch(variant: .crossQ, seed: seed)
        for k in 0..<2 {
            _ = agent.criticLoss(batch: batch)
            let analytic = agent.critics[k].gradients.map(Double.init)
            let original = agent.critics[k].parameters
            let numeric = finiteDifferenceGradient(at: original, step: 2e-4) { parameters in
                agent.critics[k].parameters = parameters
                return agent.criticLoss(batch: batch, keepingTarget: true)
            }
            agent.critics[k].parameters = original
            let error = relativeError(analytic, numeric)
            #expect(error < Self.tolerance, "CrossQ Q\(k + 1): relative error \(error)")
            // The s′ half's rows shape the statistics, so the gradient differs from a pass on (s, a) alone.
            #expect(analytic.contains { $0 != 0 })
        }
    }

    @Test func valueLossGradientMatchesFiniteDifferences() throws {
        let (agent, batch) = try smallAgentAndBatch(variant: .valueNetwork)
        _ = agent.valueLoss(batch: batch)
        let analytic = agent.value!.gradients.map(Double.init)
        let numeric = finiteDifferenceGradient(at: agent.value!.parameters) { parameters in
            agent.value!.parameters = parameters
            return agent.valueLoss(batch: batch)
        }
        let error = relativeError(analytic, numeric)
        #expect(error < Self.tolerance, "J_V relative error \(error)")
    }

    @Test(arguments: SACVariant.allCases)
    func actorLossGradientMatchesFiniteDifferences(variant: SACVariant) throws {
        let (agent, batch) = try smallAgentAndBatch(variant: variant)
        _ = agent.actorLoss(batch: batch)
        let analytic = agent.actor.network.gradients.map(Double.init)
        let numeric = finiteDifferenceGradient(at: agent.actor.network.parameters) { parameters in
            agent.actor.network.parameters = parameters
            return agent.actorLoss(batch: batch)
        }
        let error = relativeError(analytic, numeric)
        #expect(error < Self.tolerance, "\(variant) J_π relative error \(error)")
        #expect(analytic.contains { $0 != 0 })
    }

    @Test func temperatureLossGradientMatchesFiniteDifferences() throws {
        let (agent, batch) = try smallAgentAndBatch(variant: .twinQ)
        _ = agent.actorLoss(batch: batch)
        _ = agent.temperatureLoss()
        let analytic = [Double(agent.temperatureGradient[0])]
        let numeric = finiteDifferenceGradient(at: agent.temperatureParameter) { parameter in
            agent.temperatureParameter = parameter
            return agent.temperatureLoss()
        }
        #expect(relativeError(analytic, numeric) < 1e-3, "J(α): analytic \(analytic), numeric \(numeric)")
    }

    @Test func twinTargetUsesMinimumOfTargetsAndStopsAtTermination() throws {
        let (agent, batch) = try smallAgentAndBatch(variant: .twinQ)
        agent.computeSoftTarget(batch: batch)
        // Row 2 is terminal: its target is the reward alone.
        #expect(agent.softTarget[2] == batch.rewards[2])
        for i in [0, 1, 3, 4] {
            let q = min(agent.targetWorkspaces[0].output[i], agent.targetWorkspaces[1].output[i])
            let expected = batch.rewards[i] + 0.99 * (q - agent.alpha * agent.nextPolicySample.logProbabilities[i])
            #expect(abs(agent.softTarget[i] - expected) < 1e-5)
        }
    }

    @Test func updateChangesEveryTrainedNetworkAndMovesTargetsByTau() throws {
        let (agent, batch) = try smallAgentAndBatch(variant: .twinQ)
        let actorBefore = agent.actor.network.parameters, criticBefore = agent.critics[0].parameters
        let targetBefore = agent.targetCritics[0].parameters, alphaBefore = agent.alpha
        let metrics = agent.update(batch: batch)
        #expect(agent.actor.network.parameters != actorBefore)
        #expect(agent.critics[0].parameters != criticBefore)
        #expect(agent.alpha != alphaBefore && metrics.temperatureLoss != nil)
        for i in 0..<targetBefore.count {
            let expected = 0.995 * targetBefore[i] + 0.005 * agent.critics[0].parameters[i]
            #expect(abs(agent.targetCritics[0].parameters[i] - expected) < 1e-6)
        }
        #expect(agent.updateCount == 1)
    }

    @Test func valueVariantKeepsTemperatureFixedAndUpdatesValueTarget() throws {
        let (agent, batch) = try smallAgentAndBatch(variant: .valueNetwork)
        let before = agent.targetValue!.parameters
        let metrics = agent.update(batch: batch)
        #expect(abs(agent.alpha - 0.3) < 1e-6 && metrics.temperatureLoss == nil && metrics.valueLoss != nil)
        #expect(agent.targetValue!.parameters != before)
        #expect(agent.targetCritics.isEmpty)
    }
}
