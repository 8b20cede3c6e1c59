import Foundation
import Testing
@testable import SoftActorCritic
import SACNeuralNetworks

@Suite struct SquashedGaussianActorTests {
    /// An actor whose output ignores its input: zero weights and biases `[μ…, log σ…]`.
    private func constantActor(mean: [Float], logStd: [Float]) throws -> SquashedGaussianActor {
        var network = try MultilayerPerceptron(layerSizes: [1, 2 * mean.count])
        let bias = network.layers[0].biasOffset
        for (j, value) in (mean + logStd).enumerated() { network.parameters[bias + j] = value }
        return SquashedGaussianActor(network: network)
    }

    /// log π computed directly in float64: Σ log N(u; μ, σ) − Σ log(1 − tanh²u).
    private func referenceLogProbability(mean: [Double], logStd: [Double], noise: [Double]) -> Double {
        var total = 0.0
        for j in mean.indices {
            let sigma = exp(logStd[j]), u = mean[j] + sigma * noise[j]
            total += -0.5 * pow((u - mean[j]) / sigma, 2) - log(sigma) - 0.5 * log(2 * Double.pi)
            let t = tanh(u)
            total -= log(1 - t * t)
        }
        return total
    }

    @Test(arguments: [
        ([0.0, 0.3], [-0.5, 0.1], [0.2, -1.1]),
        ([2.5, -3.0], [0.0, -1.0], [1.0, -0.5]), // |u| ≈ 3.5: actions within 2e-3 of ±1
        ([7.0, -8.0], [-2.0, -3.0], [0.5, 0.3]), // |u| ≈ 7–8: float32 tanh rounds to within 1e-6 of ±1
        ([11.0, 0.0], [-4.0, 1.5], [-1.0, 2.0]), // |u| ≈ 11: float32 tanh(u) == 1 exactly
    ])
    func logProbabilityMatchesFloat64IncludingActionsNearBounds(mean: [Double], logStd: [Double], noise: [Double]) throws {
        let actor = try constantActor(mean: mean.map(Float.init), logStd: logStd.map(Float.init))
        let workspace = try actor.network.makeWorkspace(batchSize: 1)
        let sample = PolicySample(batchSize: 1, actionCount: 2)
        for j in 0..<2 { sample.noise[j] = Float(noise[j]) }
        actor.forward(workspace, sample: sample)
        let expected = referenceLogProbability(mean: mean, logStd: logStd, noise: noise)
        let got = Double(sample.logProbabilities[0])
        #expect(got.isFinite)
        #expect(abs(got - expected) <= 1e-4 * max(1, abs(expected)), "log π \(got) vs float64 \(expected)")
        for j in 0..<2 {
            #expect(abs(Double(sample.actions[j]) - tanh(mean[j] + exp(logStd[j]) * noise[j])) < 1e-6)
        }
    }

    @Test func logStdIsClampedAndBlocksGradientOutsideRange() throws {
        let actor = try constantActor(mean: [0, 0], logStd: [5, -30])
        let workspace = try actor.network.makeWorkspace(batchSize: 1)
        let sample = PolicySample(batchSize: 1, actionCount: 2)
        sample.noise[0] = 1
        sample.noise[1] = 1
        actor.forward(workspace, sample: sample)
        #expect(abs(sample.standardDeviation[0] - exp(2)) < 1e-4) // clamped to log σ = 2
        #expect(sample.standardDeviation[1] == Float(exp(-20.0))) // clamped to log σ = −20
        #expect(sample.clampMask[0] == 0 && sample.clampMask[1] == 0)
    }

    @Test func deterministicActionIsTanhOfMean() throws {
        let actor = try constantActor(mean: [0.4, -2], logStd: [0, 0])
        let workspace = try actor.network.makeWorkspace(batchSize: 1)
        let action = actor.deterministicAction(workspace)
        #expect(abs(action[0] - tanh(0.4)) < 1e-7 && abs(action[1] - tanh(-2)) < 1e-7)
    }
}
