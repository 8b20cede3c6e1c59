#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import SACNeuralNetworks
import SACRandomness

/// What every variant's update shares: the policy π_φ and the two Q networks Q_θ₁, Q_θ₂ with their
/// optimisers, the temperature, the generator, the batch workspaces and policy samples, and the pieces of
/// an update that every variant runs the same way (J_π, eq. 12; J(α); sampling the policy; a Q network's
/// regression loss and backward step). A variant's own networks and its order of steps live in its update
/// type (``TwinQUpdate``, ``ValueNetworkUpdate``, ``CrossQUpdate``).
///
/// All buffers are allocated in `init`, so an update allocates nothing. A class because it owns them and
/// because the update types and the agent share one instance.
final class SACNetworks: LaneWork {
    let configuration: SACConfiguration
    let observationCount: Int
    let actionCount: Int
    var actor: SquashedGaussianActor
    var critics: [MultilayerPerceptron]
    var actorOptimizer: Adam
    var criticOptimizers: [Adam]
    var temperatureOptimizer: Adam
    /// `[log α]` and `[∂J(α)/∂log α]`, as arrays so Adam updates them in place like any network.
    var temperatureParameter: [Float]
    var temperatureGradient: [Float] = [0]
    /// Entropy target H̄ of the automatic temperature, nats.
    let targetEntropy: Float
    /// Whether α is tuned (twin-q and CrossQ without a fixed `alpha`).
    let tunesTemperature: Bool
    var updateCount = 0
    /// Initialisation, exploration noise and replay sampling.
    var generator: Xoshiro256StarStar
    /// On two threads, the lane sampling the policy on s′ draws its noise from this copy of ``generator``,
    /// advanced past the noise of the policy on s.
    var nextNoiseGenerator: Xoshiro256StarStar

    let actorWorkspace: MultilayerPerceptron.Workspace // actor on s
    let actorNextWorkspace: MultilayerPerceptron.Workspace // actor on s′
    let actingWorkspace: MultilayerPerceptron.Workspace // actor on one observation
    /// Q_k on batch rows (s, a) and (s, a_π); a view of the joint pass's workspace for CrossQ.
    let criticWorkspaces: [MultilayerPerceptron.Workspace]
    let policySample: PolicySample // a_π ~ π(·|s)
    let nextPolicySample: PolicySample // a′ ~ π(·|s′)
    let actingSample: PolicySample
    /// `batch`: the regression target y of the critic loss.
    let softTarget: UnsafeMutableBufferPointer<Float>
    /// Per Q network: its share of the critic loss and the batch mean of Q_θk(s, a), written by its lane.
    let criticLossParts: UnsafeMutableBufferPointer<Float>
    let criticMeanQ: UnsafeMutableBufferPointer<Float>
    /// One or two update threads.
    var lanes: LaneScheduler
    /// The actor's Adam step in progress on two threads.
    private var actorStep: ActorStepBuffers?

    /// The shared parts around an initialised actor and Q networks; `criticWorkspaces` are the variant's.
    init(
        configuration: SACConfiguration, actor: SquashedGaussianActor, critics: [MultilayerPerceptron],
        criticWorkspaces: [MultilayerPerceptron.Workspace], precision: MatrixPrecision, generator: Xoshiro256StarStar
    ) throws {
        self.configuration = configuration
        observationCount = actor.observationCount
        actionCount = actor.actionCount
        self.actor = actor
        self.critics = critics
        self.criticWorkspaces = criticWorkspaces
        let batch = configuration.batchSize
        let pair = try actor.network.makeWorkspace(batchSize: 2 * batch, precision: precision)
        actorWorkspace = try pair.rows(0..<batch)
        actorNextWorkspace = try pair.rows(batch..<2 * batch)
        actingWorkspace = try actor.network.makeWorkspace(batchSize: 1)
        let lr = configuration.learningRate, beta1 = configuration.effectiveAdamBeta1
        actorOptimizer = Adam(parameterCount: actor.network.parameterCount, learningRate: lr, beta1: beta1)
        criticOptimizers = critics.map { Adam(parameterCount: $0.parameterCount, learningRate: lr, beta1: beta1) }
        temperatureOptimizer = Adam(parameterCount: 1, learningRate: lr)
        tunesTemperature = configuration.variant != .valueNetwork && configuration.alpha == nil
        let fixedAlpha = configuration.alpha ?? (configuration.variant == .valueNetwork ? SACConfiguration.defaultFixedAlpha : 1)
        temperatureParameter = [log(fixedAlpha)]
        targetEntropy = configuration.targetEntropy ?? -Float(actionCount)
        policySample = PolicySample(batchSize: batch, actionCount: actionCount)
        nextPolicySample = PolicySample(batchSize: batch, actionCount: actionCount)
        actingSample = PolicySample(batchSize: 1, actionCount: actionCount)
        softTarget = .allocateZeroed(batch)
        criticLossParts = .allocateZeroed(2)
        criticMeanQ = .allocateZeroed(2)
        self.generator = generator
        nextNoiseGenerator = generator
        lanes = LaneScheduler(threads: 1)
    }

    deinit {
        softTarget.deallocate()
        criticLossParts.deallocate()
        criticMeanQ.deallocate()
    }

    var logAlpha: Float { temperatureParameter[0] }
    var alpha: Float { exp(logAlpha) }

    // MARK: Lanes

    /// The lanes every variant shares; a variant numbers its own from ``Lane/variantBase``.
    enum Lane: Int {
        /// a_π on s in lane 0 and a′ on s′ in lane 1; on two threads each lane draws its own noise.
        case samplePolicies
        /// a_π on s in lane 0; on two threads lane 1 only draws the noise of s′ (the value-network variant).
        case samplePolicyOnS
        /// J_Q for Q network k and its gradients.
        case criticLoss
        /// Within one lane: J_Q, the Adam step, the target's Polyak step (when there are targets), the
        /// evaluation on (s, a_π).
        case criticUpdates
        case evaluateCritics
        case criticInputGradients
        /// The actor's Adam step, half of its parameters in each lane.
        case actorAdam

        static let variantBase = 100
    }

    /// Runs both lanes of a shared task; `targets`: the Q networks' targets that ``Lane/criticUpdates``
    /// moves (twin-q's), or none.
    func run(_ lane: Lane, batch: ReplayBatch? = nil, targets: inout [MultilayerPerceptron]) {
        run(self, task: lane.rawValue, batch: batch, targets: &targets)
    }

    /// Runs both lanes of a shared task that moves no target.
    func run(_ lane: Lane, batch: ReplayBatch? = nil) {
        var none: [MultilayerPerceptron] = []
        run(lane, batch: batch, targets: &none)
    }

    /// Runs both lanes of `task` of `work` with the Q networks, optimisers and `targets` as buffers.
    func run(_ work: any LaneWork, task: Int, batch: ReplayBatch?, targets: inout [MultilayerPerceptron]) {
        critics.withUnsafeMutableBufferPointer { critics in
            targets.withUnsafeMutableBufferPointer { targets in
                criticOptimizers.withUnsafeMutableBufferPointer { optimizers in
                    lanes.run(
                        work, task: task, batch: batch, buffers: LaneBuffers(critics: critics, targets: targets, optimizers: optimizers))
                }
            }
        }
    }

    func perform(_ task: Int, lane k: Int, batch: ReplayBatch?, buffers: LaneBuffers) {
        guard let task = Lane(rawValue: task) else { return }
        switch task {
        case .criticInputGradients:
            // J_π needs ∂Q/∂a only: the columns of the actions in the critic's input [s, a].
            buffers.critics[k].backward(
                criticWorkspaces[k], parameterGradients: false, inputGradient: true,
                inputColumns: observationCount..<(observationCount + actionCount))
        case .actorAdam:
            guard let step = actorStep else { return }
            Adam.apply(
                step.coefficients, firstMoment: step.firstMoment, secondMoment: step.secondMoment,
                parameters: step.parameters, gradients: step.gradients, range: step.range(lane: k))
        case .samplePolicies, .samplePolicyOnS:
            guard let batch else { return }
            // On two threads each lane draws its own noise (see `samplePolicies`); on one, `drawNoise()` has.
            let drawsNoise = lanes.pair != nil
            if k == 0 {
                if drawsNoise { generator.fillStandardNormal(policySample.noise) }
                sampleCurrentPolicy(on: batch, training: false)
            } else {
                if drawsNoise { nextNoiseGenerator.fillStandardNormal(nextPolicySample.noise) }
                if task == .samplePolicies { sampleNextPolicy(on: batch) }
            }
        case .criticLoss, .criticUpdates:
            guard let batch else { return }
            let workspace = criticWorkspaces[k]
            load(workspace, observations: batch.observations, actions: batch.actions)
            buffers.critics[k].forward(workspace)
            writeCriticLossGradient(lane: k, workspace: workspace, rows: batch.size)
            backwardCritic(lane: k, workspace: workspace, steps: task == .criticUpdates, buffers: buffers)
            if task == .criticUpdates { evaluateCritic(lane: k, batch: batch, buffers: buffers) }
        case .evaluateCritics:
            guard let batch else { return }
            evaluateCritic(lane: k, batch: batch, buffers: buffers)
        }
    }

    /// Q network k on (s, a_π), for J_π.
    private func evaluateCritic(lane k: Int, batch: ReplayBatch, buffers: LaneBuffers) {
        load(criticWorkspaces[k], observations: batch.observations, actions: policySample.actions)
        buffers.critics[k].forward(criticWorkspaces[k])
    }

    // MARK: Pieces of an update

    /// Draws this update's policy samples on s (for J_V and J_π) and, with `next`, on s′ (for the critics'
    /// target y). The actor is stepped last, so both come from the same parameters and are drawn once, one
    /// lane each (one product per layer on batch rows, on either thread count: a single product on [s; s′]
    /// would sum in another order where OpenBLAS takes a small-matrix kernel for one size and not the
    /// other). On two threads the lane on s′ draws its noise from a copy of the generator advanced past the
    /// other lane's draws (the stream one thread draws).
    func samplePolicies(on batch: ReplayBatch, next: Bool) {
        let lane: Lane = next ? .samplePolicies : .samplePolicyOnS
        if lanes.pair == nil {
            drawNoise()
            run(lane, batch: batch)
        } else {
            nextNoiseGenerator = generator
            nextNoiseGenerator.skipStandardNormals(policySample.noise.count)
            run(lane, batch: batch)
            generator = nextNoiseGenerator
        }
    }

    /// Fresh ε for the policy on s and on s′, in that order from ``generator``.
    func drawNoise() {
        generator.fillStandardNormal(policySample.noise)
        generator.fillStandardNormal(nextPolicySample.noise)
    }

    /// a_π ~ π_φ(·|s) on the batch's observations, with the update's noise; with `training`, the actor's
    /// normalisations in training mode (CrossQ's J_π trains on these actions).
    func sampleCurrentPolicy(on batch: ReplayBatch, training: Bool) {
        load(actorWorkspace, observations: batch.observations)
        if training {
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

    /// The policy loss, eq. 12, with reparameterised actions a = tanh(μ_φ(s) + σ_φ(s)·ε) from the sample
    /// already in ``policySample``:
    /// ```
    /// J_π(φ) = E_s,ε[ α·log π_φ(a|s) − min_k Q_θk(s, a) ]
    /// ```
    /// ∂Q/∂a comes from the Q networks' input gradients with their weight gradients skipped; only the
    /// minimising network of each row passes gradient, as in `torch.min`. Gradient into ``actor``.
    /// `evaluatingCritics: false` when the critics' workspaces already hold Q_θk(s, a_π).
    func actorLoss(batch: ReplayBatch, evaluatingCritics: Bool) -> Float {
        if evaluatingCritics { run(.evaluateCritics, batch: batch) }
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
        run(.criticInputGradients)
        let g0 = criticWorkspaces[0].inputGradientBuffer, g1 = criticWorkspaces[1].inputGradientBuffer
        for i in 0..<n {
            for j in 0..<a { policySample.actionGradient[i * a + j] = g0[i * (o + a) + o + j] + g1[i * (o + a) + o + j] }
        }
        actor.backward(actorWorkspace, sample: policySample, pair: lanes.pair)
        return loss / Float(n)
    }

    /// The temperature loss of automatic entropy tuning (2018b, eq. 18), in Stable-Baselines3's log form:
    /// ```
    /// J(α) = E_s[ −log α · (log π_φ(a|s) + H̄) ]      with a ~ π_φ(·|s) held fixed
    /// ```
    /// using the log-probabilities of ``policySample``. Its gradient `−E[log π + H̄]` goes into
    /// `temperatureGradient`: α grows while the entropy is below H̄.
    func temperatureLoss() -> Float {
        let n = policySample.batchSize
        var mean: Float = 0
        for i in 0..<n { mean += policySample.logProbabilities[i] + targetEntropy }
        mean /= Float(n)
        temperatureGradient[0] = -mean
        return -logAlpha * mean
    }

    /// The end of every variant's policy step: φ ← φ − λ∇J_π(φ), the entropy of the sample, and with
    /// automatic temperature J(α) and log α's step, into `metrics`.
    func finishPolicyStep(batch: ReplayBatch, metrics: inout UpdateMetrics) {
        stepActor()
        metrics.entropy = -policySample.logProbabilities.reduce(0, +) / Float(batch.size)
        if tunesTemperature {
            metrics.temperatureLoss = temperatureLoss()
            temperatureOptimizer.step(parameters: &temperatureParameter, gradients: temperatureGradient)
        }
    }

    /// The actor's Adam step: on two threads, half of the parameters each.
    func stepActor() {
        guard lanes.pair != nil else {
            actorOptimizer.step(parameters: &actor.network.parameters, gradients: actor.network.gradients)
            return
        }
        let coefficients = actorOptimizer.beginStep()
        // One access to each stored property; the four arrays are then reached through those pointers.
        withUnsafeMutablePointer(to: &actorOptimizer) { optimizer in
            withUnsafeMutablePointer(to: &actor.network) { network in
                optimizer.pointee.withMoments { m, v in
                    network.pointee.parameters.withUnsafeMutableBufferPointer { p in
                        network.pointee.gradients.withUnsafeBufferPointer { g in
                            actorStep = ActorStepBuffers(
                                coefficients: coefficients, firstMoment: m, secondMoment: v,
                                parameters: p.baseAddress!, gradients: g.baseAddress!, count: p.count)
                            run(.actorAdam)
                            actorStep = nil
                        }
                    }
                }
            }
        }
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
    func backwardCritic(lane k: Int, workspace: MultilayerPerceptron.Workspace, steps: Bool, buffers: LaneBuffers) {
        guard steps else {
            buffers.critics[k].backward(workspace)
            return
        }
        let coefficients = buffers.optimizers[k].beginStep()
        let tau = configuration.tau
        buffers.optimizers[k].withMoments { m, v in
            func step(_ target: UnsafeMutablePointer<Float>?) {
                buffers.critics[k].backward(workspace) { parameters, gradients, range in
                    Adam.apply(coefficients, firstMoment: m, secondMoment: v, parameters: parameters, gradients: gradients, range: range)
                    if let target { PolyakAveraging.update(target: target, toward: parameters, tau: tau, range: range) }
                }
            }
            if buffers.targets.isEmpty {
                step(nil)
            } else {
                buffers.targets[k].parameters.withUnsafeMutableBufferPointer { step($0.baseAddress!) }
            }
        }
    }

    /// Copies a batch of observations into a workspace's input.
    func load(_ workspace: MultilayerPerceptron.Workspace, observations: UnsafeMutableBufferPointer<Float>) {
        workspace.inputBuffer.baseAddress!.update(from: observations.baseAddress!, count: workspace.inputBuffer.count)
    }

    /// Writes the rows `[s, a]` of a critic's input.
    func load(
        _ workspace: MultilayerPerceptron.Workspace, observations: UnsafeMutableBufferPointer<Float>,
        actions: UnsafeMutableBufferPointer<Float>
    ) {
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
