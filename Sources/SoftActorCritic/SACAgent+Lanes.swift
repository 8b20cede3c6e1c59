import SACNeuralNetworks

/// The pieces of an update that split into two independent lanes: lane k works on Q network k (and its
/// target and optimiser); for ``samplePolicies``, lane 0 samples the actor on s and lane 1 on s′, each
/// drawing its noise.
enum UpdateLane: Int {
    case samplePolicies
    case targetCritics
    case criticLoss
    case evaluateCritics
    case criticInputGradients
    /// Within one lane: J_Q, the Adam step, the target's Polyak step (twin-q), the evaluation on (s, a_π).
    case criticUpdates
    /// The actor's Adam step, half of its parameters in each lane.
    case actorAdam
    /// CrossQ: Q network k in training mode on [(s, a); (s′, a′)].
    case jointCriticForward
    /// CrossQ: J_Q on the joint pass and the Adam step.
    case jointCriticSteps
    /// CrossQ: J_Q on the joint pass, gradients only.
    case jointCriticLoss
}

/// The critics, their targets and optimisers as buffer pointers, taken once on the calling thread for
/// the duration of a ``SACAgent/runLanes(_:batch:)``, so that the two lanes mutate distinct
/// elements without both accessing the arrays.
struct LaneBuffers {
    var critics = UnsafeMutableBufferPointer<MultilayerPerceptron>(start: nil, count: 0)
    var targets = UnsafeMutableBufferPointer<MultilayerPerceptron>(start: nil, count: 0)
    var optimizers = UnsafeMutableBufferPointer<Adam>(start: nil, count: 0)
}

/// The actor's parameters, gradients and Adam moments as pointers, taken once on the calling thread for
/// ``UpdateLane/actorAdam``, with the step's scalars.
struct ActorStepBuffers {
    let coefficients: Adam.StepCoefficients
    let firstMoment: UnsafeMutablePointer<Float>
    let secondMoment: UnsafeMutablePointer<Float>
    let parameters: UnsafeMutablePointer<Float>
    let gradients: UnsafePointer<Float>
    let count: Int

    /// Lane k's elements: the halves split on a multiple of eight, so both run whole SIMD blocks.
    func range(lane k: Int) -> Range<Int> {
        let half = (count / 16) * 8
        return k == 0 ? 0..<half : half..<count
    }
}

/// The worker thread of a two-thread agent, and the `PairedWork` that hands its lanes to the agent
/// (so the agent itself need not be a public `PairedWork`).
final class UpdateLaneRunner: PairedWork {
    /// The agent owns this runner, so it outlives every call.
    unowned(unsafe) let agent: SACAgent
    let pair = WorkerPair()

    init(agent: SACAgent) { self.agent = agent }

    func perform(_ task: Int, lane: Int) {
        guard let task = UpdateLane(rawValue: task) else { return }
        agent.perform(task, lane: lane)
    }
}

extension SACAgent {
    /// Runs both lanes of `task`: at once on the worker pair when ``updateThreads`` is 2, one after the
    /// other otherwise. Allocates nothing. Every task but the critics' input gradients reads `batch`.
    func runLanes(_ task: UpdateLane, batch: ReplayBatch? = nil) {
        laneBatch = batch
        defer { laneBatch = nil }
        critics.withUnsafeMutableBufferPointer { critics in
            targetCritics.withUnsafeMutableBufferPointer { targets in
                criticOptimizers.withUnsafeMutableBufferPointer { optimizers in
                    lanes = LaneBuffers(critics: critics, targets: targets, optimizers: optimizers)
                    if let laneRunner {
                        laneRunner.pair.run(laneRunner, task: task.rawValue)
                    } else {
                        perform(task, lane: 0)
                        perform(task, lane: 1)
                    }
                    lanes = LaneBuffers()
                }
            }
        }
    }

    /// One lane of one task; see ``UpdateLane``. Reached only through ``runLanes(_:batch:)``.
    func perform(_ task: UpdateLane, lane k: Int) {
        switch task {
        case .criticInputGradients:
            // J_π needs ∂Q/∂a only: the columns of the actions in the critic's input [s, a].
            lanes.critics[k].backward(criticWorkspaces[k], parameterGradients: false, inputGradient: true,
                                      inputColumns: observationCount..<(observationCount + actionCount))
        case .actorAdam:
            guard let step = actorStep else { return }
            Adam.apply(step.coefficients, firstMoment: step.firstMoment, secondMoment: step.secondMoment,
                       parameters: step.parameters, gradients: step.gradients, range: step.range(lane: k))
        case .samplePolicies, .targetCritics, .criticLoss, .evaluateCritics, .criticUpdates, .jointCriticForward, .jointCriticSteps, .jointCriticLoss:
            guard let batch = laneBatch else { return }
            perform(task, lane: k, batch: batch)
        }
    }

    /// The lanes of the tasks that read the batch.
    private func perform(_ task: UpdateLane, lane k: Int, batch: ReplayBatch) {
        switch task {
        case .samplePolicies:
            // On two threads each lane draws its own noise (see `update(batch:)`); on one, `drawNoise()` has.
            let drawsNoise = laneRunner != nil
            if k == 0 {
                if drawsNoise { generator.fillStandardNormal(policySample.noise) }
                sampleCurrentPolicy(on: batch)
            } else {
                if drawsNoise { nextNoiseGenerator.fillStandardNormal(nextPolicySample.noise) }
                if valueNetwork == nil { sampleNextPolicy(on: batch) }
            }
        case .targetCritics:
            load(targetWorkspaces[k], observations: batch.nextObservations, actions: nextPolicySample.actions)
            lanes.targets[k].forward(targetWorkspaces[k])
        case .criticLoss:
            criticLoss(lane: k, batch: batch, steps: false)
        case .evaluateCritics:
            load(criticWorkspaces[k], observations: batch.observations, actions: policySample.actions)
            lanes.critics[k].forward(criticWorkspaces[k])
        case .criticUpdates:
            criticLoss(lane: k, batch: batch, steps: true)
            perform(.evaluateCritics, lane: k, batch: batch)
        case .jointCriticForward:
            jointCriticForward(lane: k, batch: batch)
        case .jointCriticSteps:
            jointCriticLoss(lane: k, batch: batch, steps: true)
        case .jointCriticLoss:
            jointCriticLoss(lane: k, batch: batch, steps: false)
        case .criticInputGradients, .actorAdam:
            perform(task, lane: k)
        }
    }

    /// J_Q (eq. 7) for Q network k and its gradients; with `steps`, also its Adam step and (twin-q) its
    /// target's Polyak step (``backwardCritic(lane:workspace:steps:)``).
    private func criticLoss(lane k: Int, batch: ReplayBatch, steps: Bool) {
        let workspace = criticWorkspaces[k]
        load(workspace, observations: batch.observations, actions: batch.actions)
        lanes.critics[k].forward(workspace)
        writeCriticLossGradient(lane: k, workspace: workspace, rows: batch.size)
        backwardCritic(lane: k, workspace: workspace, steps: steps)
    }

    /// ½·mean (Q_θk − y)² of `workspace`'s outputs against `softTarget`: its gradient into the workspace's
    /// output gradient, the loss into `criticLossParts[k]` and the mean Q into `criticMeanQ[k]`.
    func writeCriticLossGradient(lane k: Int, workspace: MultilayerPerceptron.Workspace, rows n: Int) {
        var total: Float = 0
        for i in 0..<n {
            let error = workspace.output[i] - softTarget[i]
            total += 0.5 * error * error / Float(n)
            workspace.outputGradient[i] = error / Float(n)
        }
        criticLossParts[k] = total
        criticMeanQ[k] = workspace.output.reduce(0, +) / Float(n)
    }

    /// Q network k's backward pass on `workspace`; with `steps`, its Adam step and (when it has one) its
    /// target's Polyak step, each taken a layer at a time as the backward pass finishes the layer, while
    /// the layer's gradients and parameters are still in cache. The same bits as the whole-network
    /// Adam step and Polyak step after the pass: every element is updated by the same operations.
    func backwardCritic(lane k: Int, workspace: MultilayerPerceptron.Workspace, steps: Bool) {
        guard steps else {
            lanes.critics[k].backward(workspace)
            return
        }
        let coefficients = lanes.optimizers[k].beginStep()
        let tau = configuration.tau
        lanes.optimizers[k].withMoments { m, v in
            func step(_ target: UnsafeMutablePointer<Float>?) {
                lanes.critics[k].backward(workspace) { parameters, gradients, range in
                    Adam.apply(coefficients, firstMoment: m, secondMoment: v, parameters: parameters, gradients: gradients, range: range)
                    if let target { PolyakAveraging.update(target: target, toward: parameters, tau: tau, range: range) }
                }
            }
            if lanes.targets.isEmpty {
                step(nil)
            } else {
                lanes.targets[k].parameters.withUnsafeMutableBufferPointer { step($0.baseAddress!) }
            }
        }
    }
}
