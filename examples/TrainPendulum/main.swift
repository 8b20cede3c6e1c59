// Example 1: train SAC on the in-process Pendulum-v1 through the library API, no command line.
//
//   swift run TrainPendulumExample            # 20,000 steps
//   swift run TrainPendulumExample 2000       # a quick look
import SACEnvironments
import SoftActorCritic

let steps = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 20_000

var agent = SACConfiguration() // SB3/CleanRL defaults: 256×256, batch 256, lr 3e-4, twin Q, automatic α
agent.seed = 1
var trainer = TrainerConfiguration()
trainer.totalSteps = steps
trainer.learningStarts = min(1_000, steps / 4)
trainer.evaluationInterval = 0 // evaluate once, at the end

let run = try Trainer(
    agentConfiguration: agent, configuration: trainer,
    environment: try EnvironmentRegistry.make("Pendulum-v1", seed: 1),
    evaluationEnvironment: try EnvironmentRegistry.make("Pendulum-v1"),
    runDirectory: nil)
run.onProgress = { progress in
    if progress.isFinal || progress.step % 5_000 == 0 {
        print("step \(progress.step)/\(progress.totalSteps), last episode return \(progress.lastEpisodeReturn.map { "\(Int($0))" } ?? "-")")
    }
}
let summary = try run.run()
print(
    "evaluation return \(summary.evalReturnMean!) ± \(summary.evalReturnStd!) after \(summary.envSteps) steps and \(summary.gradientUpdates) updates"
)

// The trained policy acts deterministically through an Evaluator.
let evaluator = Evaluator(actor: run.agent.actor, scaling: try ActionScaling(Pendulum().actionSpace))
var pendulum = Pendulum()
let observation = try pendulum.reset(angle: .pi, angularVelocity: 0) // hanging straight down
print("torque chosen at the bottom: \(evaluator.action(for: observation)[0]) N·m")
