#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import SACNeuralNetworks
import SACRandomness

/// The SAC policy π_φ(a|s): an MLP maps s to a mean μ and a log standard deviation log σ per action
/// dimension; actions are `a = tanh(u)`, `u = μ + σ·ε`, ε ~ N(0, I) (the reparameterisation trick), in
/// the normalised box (−1, 1)ᴬ. The agent rescales them to the environment's bounds.
///
/// The log-likelihood uses the change of variables for tanh in its numerically stable form (as in
/// Stable-Baselines3 and the SAC paper's appendix C, eq. 21):
/// ```
/// log π(a|s) = Σⱼ log N(uⱼ; μⱼ, σⱼ) − Σⱼ log(1 − tanh²uⱼ)
///            = Σⱼ (−½εⱼ² − log σⱼ − ½ log 2π) − Σⱼ 2·(log 2 − uⱼ − softplus(−2uⱼ))
/// ```
/// which stays finite for actions arbitrarily close to ±1. log σ is clamped to [−20, 2].
public struct SquashedGaussianActor: Equatable, Sendable {
    /// Lower clamp of log σ.
    public static let logStdMin: Float = -20
    /// Upper clamp of log σ.
    public static let logStdMax: Float = 2
    /// `½·log(2π)`.
    static let halfLogTwoPi = Float(0.5 * log(2 * Double.pi))
    static let logTwo = Float(log(2.0))

    /// Observation features → `[μ₁…μ_A, log σ₁…log σ_A]`.
    public var network: MultilayerPerceptron
    /// Action dimensions A.
    public let actionCount: Int

    /// A new actor with PyTorch-default initialisation; with `normalization`, a batch renormalisation
    /// before every dense layer (CrossQ's actor).
    public init(
        observationCount: Int, actionCount: Int, hiddenSizes: [Int], normalization: BatchRenormalization.Configuration? = nil,
        generator: inout some RandomNumberGenerator
    ) throws(NetworkError) {
        network = try MultilayerPerceptron(
            layerSizes: [observationCount] + hiddenSizes + [2 * actionCount],
            normalization: normalization, generator: &generator)
        self.actionCount = actionCount
    }

    /// An actor around an existing network (e.g. one loaded from a file).
    public init(network: MultilayerPerceptron) {
        self.network = network
        self.actionCount = network.outputSize / 2
    }

    /// Observation features.
    public var observationCount: Int { network.inputSize }

    /// Forward pass on `workspace.input` with the noise already in `sample.noise`: fills the sample's
    /// actions, log-probabilities and the intermediates the backward pass needs. Allocates nothing.
    public func forward(_ workspace: MultilayerPerceptron.Workspace, sample: PolicySample) {
        network.forward(workspace)
        sampleActions(workspace, sample: sample)
    }

    /// ``forward(_:sample:)`` with the network's normalisations in training mode (batch statistics, running
    /// statistics updated): CrossQ's actor loss. The same as ``forward(_:sample:)`` for a plain network.
    public mutating func forwardTraining(_ workspace: MultilayerPerceptron.Workspace, sample: PolicySample) {
        network.forwardTraining(workspace)
        sampleActions(workspace, sample: sample)
    }

    /// The part of ``forward(_:sample:)`` after the network: squashed actions and their log-likelihoods
    /// from the network output already in `workspace` (e.g. computed by one forward pass on a workspace
    /// that `workspace` is a view of, for the observations s and s′ together).
    public func sampleActions(_ workspace: MultilayerPerceptron.Workspace, sample: PolicySample) {
        let a = actionCount
        let output = workspace.output
        for row in 0..<workspace.batchSize {
            var logProbability: Float = 0
            for j in 0..<a {
                let index = row * a + j
                let mean = output[row * 2 * a + j]
                let rawLogStd = output[row * 2 * a + a + j]
                let logStd = min(max(rawLogStd, Self.logStdMin), Self.logStdMax)
                sample.clampMask[index] = (rawLogStd >= Self.logStdMin && rawLogStd <= Self.logStdMax) ? 1 : 0
                let std = exp(logStd)
                let epsilon = sample.noise[index]
                let u = mean + std * epsilon
                sample.standardDeviation[index] = std
                sample.actions[index] = tanh(u)
                logProbability += -0.5 * epsilon * epsilon - logStd - Self.halfLogTwoPi
                logProbability -= 2 * (Self.logTwo - u - Self.softplus(-2 * u))
            }
            sample.logProbabilities[row] = logProbability
        }
    }

    /// Backward pass from `sample.actionGradient` (∂L/∂a) and `sample.logProbabilityGradient` (∂L/∂log π),
    /// after ``forward(_:sample:)`` on the same workspace and sample, into ``network``'s gradients:
    /// ```
    /// ∂L/∂u     = ∂L/∂a·(1 − a²) + ∂L/∂log π · 2a          (∂log π/∂u = 2·tanh u)
    /// ∂L/∂μ     = ∂L/∂u                                       (log N is constant in μ given ε)
    /// ∂L/∂log σ = (∂L/∂u·σε − ∂L/∂log π) · 1[log σ unclamped]
    /// ```
    /// With a `pair`, each hidden layer's weight and input gradients are computed at once on its two threads.
    public mutating func backward(_ workspace: MultilayerPerceptron.Workspace, sample: PolicySample, pair: WorkerPair? = nil) {
        let a = actionCount
        let outputGradient = workspace.outputGradient
        for row in 0..<workspace.batchSize {
            let dLogProbability = sample.logProbabilityGradient[row]
            for j in 0..<a {
                let index = row * a + j
                let action = sample.actions[index]
                let du = sample.actionGradient[index] * (1 - action * action) + dLogProbability * 2 * action
                outputGradient[row * 2 * a + j] = du
                outputGradient[row * 2 * a + a + j] =
                    (du * sample.standardDeviation[index] * sample.noise[index] - dLogProbability) * sample.clampMask[index]
            }
        }
        network.backward(workspace, pair: pair)
    }

    /// The deterministic action `tanh(μ)` for evaluation, from a workspace of batch size 1 whose input
    /// holds the observation.
    public func deterministicAction(_ workspace: MultilayerPerceptron.Workspace) -> [Float] {
        network.forward(workspace)
        return (0..<actionCount).map { tanh(workspace.output[$0]) }
    }

    /// `log(1 + eˣ)` without overflow.
    @inline(__always)
    static func softplus(_ x: Float) -> Float {
        max(x, 0) + log1p(exp(-abs(x)))
    }
}
