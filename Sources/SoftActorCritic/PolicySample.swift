import SACNeuralNetworks

/// Buffers for one reparameterised draw from the squashed-Gaussian policy on a batch, allocated once
/// per batch size: the noise ε and every intermediate the backward pass needs.
public final class PolicySample {
    /// Rows in the batch.
    public let batchSize: Int
    /// Action dimensions.
    public let actionCount: Int
    /// `batch × A`: ε ~ N(0, 1), drawn before the forward pass.
    package let noise: UnsafeMutableBufferPointer<Float>
    /// `batch × A`: σ = exp(clamp(log σ)).
    package let standardDeviation: UnsafeMutableBufferPointer<Float>
    /// `batch × A`: 1 where the raw log σ lay inside the clamp range (the clamp's derivative), else 0.
    package let clampMask: UnsafeMutableBufferPointer<Float>
    /// `batch × A`: the squashed action a = tanh(μ + σ·ε) ∈ (−1, 1).
    package let actions: UnsafeMutableBufferPointer<Float>
    /// `batch`: log π(a|s) in nats.
    package let logProbabilities: UnsafeMutableBufferPointer<Float>
    /// `batch × A`: ∂L/∂a, written by a loss before the actor's backward pass.
    package let actionGradient: UnsafeMutableBufferPointer<Float>
    /// `batch`: ∂L/∂log π, written by a loss before the actor's backward pass.
    package let logProbabilityGradient: UnsafeMutableBufferPointer<Float>

    /// Buffers for `batchSize` rows of `actionCount` actions.
    public init(batchSize: Int, actionCount: Int) {
        self.batchSize = batchSize
        self.actionCount = actionCount
        noise = .allocateZeroed(batchSize * actionCount)
        standardDeviation = .allocateZeroed(batchSize * actionCount)
        clampMask = .allocateZeroed(batchSize * actionCount)
        actions = .allocateZeroed(batchSize * actionCount)
        logProbabilities = .allocateZeroed(batchSize)
        actionGradient = .allocateZeroed(batchSize * actionCount)
        logProbabilityGradient = .allocateZeroed(batchSize)
    }

    deinit {
        for buffer in [noise, standardDeviation, clampMask, actions, logProbabilities, actionGradient, logProbabilityGradient] {
            buffer.deallocate()
        }
    }
}
