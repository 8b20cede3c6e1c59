@testable import SoftActorCritic
import SACNeuralNetworks
import SACEnvironments
import SACRandomness

/// A small agent and a random batch for gradient checks: 3 observation features, 2 actions, 8×8 hidden.
func smallAgentAndBatch(variant: SACVariant, seed: UInt64 = 7, hidden: Int = 8, precision: MatrixPrecision = .float32) throws -> (
    SACAgent, ReplayBatch
) {
    var configuration = SACConfiguration()
    configuration.variant = variant
    configuration.hiddenSizes = [hidden, hidden]
    configuration.criticHiddenSizes = [hidden, hidden]
    configuration.precision = precision
    configuration.batchSize = 5
    configuration.seed = seed
    configuration.alpha = variant == .valueNetwork ? 0.3 : nil
    let agent = try SACAgent(observationCount: 3, actionCount: 2, configuration: configuration)
    let batch = ReplayBatch(size: 5, observationCount: 3, actionCount: 2)
    var generator = Xoshiro256StarStar(seed: seed + 100)
    for i in 0..<batch.observations.count { batch.observations[i] = Float(generator.nextUniform(in: -1, 1)) }
    for i in 0..<batch.nextObservations.count { batch.nextObservations[i] = Float(generator.nextUniform(in: -1, 1)) }
    for i in 0..<batch.actions.count { batch.actions[i] = Float(generator.nextUniform(in: -0.9, 0.9)) }
    for i in 0..<5 {
        batch.rewards[i] = Float(generator.nextUniform(in: -2, 2))
        batch.terminated[i] = i == 2 ? 1 : 0
    }
    agent.drawNoise()
    return (agent, batch)
}

/// An environment scripted for trainer tests: observation `[t, episode]`, terminates at t = `terminateAt`
/// in odd episodes, is truncated at t = `truncateAt` in even ones, and can emit a NaN at a given step.
struct ScriptedEnvironment: Environment {
    let id = "Scripted-v0"
    let observationSpace = try! Box(low: [-.infinity, -.infinity], high: [.infinity, .infinity])
    var actionSpace = try! Box(low: [-2], high: [2])
    var terminateAt = 3
    var truncateAt = 5
    var nanAtStep: Int? = nil
    private(set) var t = 0
    private(set) var episode = -1
    private(set) var totalSteps = 0

    mutating func reset(seed: UInt64?) throws -> [Float] {
        t = 0
        episode += 1
        return [0, Float(episode)]
    }

    mutating func step(_ action: [Float]) throws -> StepResult {
        try actionSpace.validate(action)
        t += 1
        totalSteps += 1
        let observation: [Float] = [totalSteps == nanAtStep ? .nan : Float(t), Float(episode)]
        let odd = episode % 2 == 1
        return StepResult(
            observation: observation, reward: Double(action[0]),
            terminated: odd && t == terminateAt, truncated: !odd && t == truncateAt)
    }
}
