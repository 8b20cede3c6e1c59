/// Buffers for one reparameterised draw from the squashed-Gaussian policy on a batch, allocated once
/// per batch size: the noise ε and every intermediate the backward pass needs.
public final class PolicySample {
    /// Rows in the batch.
    public let batchSize: Int
    /// Action dimensions.
    public let actionCount: Int
    /// `batch × A`: ε ~ N(0, 1), drawn before the forward pass.
    public let noise: UnsafeMutableBufferPointer<Float>
    /// `batch × A`: σ = exp(clamp(log σ)).
    public let standardDeviation: UnsafeMutableBufferPointer<Float>
    /// `batch × A`: 1 where the raw log σ lay inside the clamp range (the clamp's derivative), else 0.
    public let clampMask: UnsafeMutableBufferPointer<Float>
    /// `batch × A`: the squashed action a = tanh(μ + σ·ε) ∈ (−1, 1).
    public let actions: UnsafeMutableBufferPointer<Float>
    /// `batch`: log π(a|s) in nats.
    public let logProbabilities: UnsafeMutableBufferPointer<Float>
    /// `batch × A`: ∂L/∂a, written by a loss before the actor's backward pass.
    public let actionGradient: UnsafeMutableBufferPointer<Float>
    /// `batch`: ∂L/∂log π, written by a loss before the actor's backward pass.
    public let logProbabilityGradient: UnsafeMutableBufferPointer<Float>

    /// Buffers for `batchSize` rows of `actionCount` actions.
    public init(batchSize: Int, actionCount: Int) {
        func allocate(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            buffer.initialize(repeating: 0)
            return buffer
        }
        self.batchSize = batchSize
        self.actionCount = actionCount
        noise = allocate(batchSize * actionCount)
        standardDeviation = allocate(batchSize * actionCount)
        clampMask = allocate(batchSize * actionCount)
        actions = allocate(batchSize * actionCount)
        logProbabilities = allocate(batchSize)
        actionGradient = allocate(batchSize * actionCount)
        logProbabilityGradient = allocate(batchSize)
    }

    deinit {
        for buffer in [noise, standardDeviation, clampMask, actions, logProbabilities, actionGradient, logProbabilityGradient] {
            buffer.deallocate()
        }
    }
}
