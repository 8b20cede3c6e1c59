#if canImport(Glibc)
import Glibc
#endif

/// The Adam optimiser (Kingma & Ba, 2015) with PyTorch's exact update order (`torch.optim.Adam`,
/// no weight decay, no AMSGrad):
///
/// ```
/// t ← t + 1
/// m ← m + (1 − β₁)(g − m)                    (PyTorch's lerp form)
/// v ← β₂·v + (1 − β₂)·g²
/// θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// The bias corrections are computed in `Double`, as PyTorch computes them in Python floats.
/// The moments are preallocated, one element per parameter, so a step allocates nothing.
public struct Adam: Equatable, Sendable {
    /// Step size, `lr` (3e-4 in SAC).
    public var learningRate: Float
    /// Decay of the first-moment estimate. `Double`, as in PyTorch, so that `1 − β₁` is rounded once.
    public var beta1: Double
    /// Decay of the second-moment estimate. `Double`, as in PyTorch, so that `1 − β₂` is rounded once.
    public var beta2: Double
    /// Added to the denominator for numerical stability (PyTorch's default 1e-8).
    public var epsilon: Float
    /// Number of steps taken so far (`t`).
    public var stepCount: Int
    /// First-moment estimate `m`, one per parameter.
    public var firstMoment: [Float]
    /// Second-moment estimate `v`, one per parameter.
    public var secondMoment: [Float]

    /// An optimiser for `parameterCount` parameters with PyTorch's defaults unless given.
    public init(parameterCount: Int, learningRate: Float = 3e-4, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.stepCount = 0
        self.firstMoment = [Float](repeating: 0, count: parameterCount)
        self.secondMoment = [Float](repeating: 0, count: parameterCount)
    }

    /// One Adam step on `parameters` given `gradients` of the same length.
    public mutating func step(parameters: inout [Float], gradients: [Float]) {
        precondition(parameters.count == firstMoment.count && gradients.count == firstMoment.count,
                     "Adam built for \(firstMoment.count) parameters got \(parameters.count) parameters and \(gradients.count) gradients")
        stepCount += 1
        let t = Double(stepCount)
        let biasCorrection1 = 1 - pow(beta1, t)
        let biasCorrection2Sqrt = (1 - pow(beta2, t)).squareRoot()
        let stepSize = Float(Double(learningRate) / biasCorrection1)
        let inverseCorrection2 = Float(1 / biasCorrection2Sqrt)
        let oneMinusBeta1 = Float(1 - beta1), beta2 = Float(self.beta2), oneMinusBeta2 = Float(1 - self.beta2)
        let epsilon = self.epsilon
        let count = parameters.count
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                parameters.withUnsafeMutableBufferPointer { p in
                    gradients.withUnsafeBufferPointer { g in
                        for i in 0..<count {
                            let gi = g[i]
                            let mi = m[i] + oneMinusBeta1 * (gi - m[i])
                            let vi = beta2 * v[i] + oneMinusBeta2 * gi * gi
                            m[i] = mi
                            v[i] = vi
                            p[i] -= stepSize * (mi / (vi.squareRoot() * inverseCorrection2 + epsilon))
                        }
                    }
                }
            }
        }
    }
}
