/// Batch Renormalization (Ioffe, "Batch Renormalization", NeurIPS 2017) as CrossQ uses it before every
/// dense layer (Bhatt et al., ICLR 2024, section 3; the reference is SBX's `sbx/common/jax_layers.py`,
/// ported to PyTorch as `sb3_contrib/common/torch_layers.py`), laid out inside a network's buffers like a
/// ``DenseLayer``: the scale γ and shift β (one each per feature) in the parameter buffer, the running mean
/// and variance in the network's ``MultilayerPerceptron/normalizationStatistics``.
///
/// Training mode, on a batch with mean μ and (biased) variance σ², with running statistics m, v:
/// ```
/// first warmupSteps batches:  m̃ = μ,  ṽ = σ²                          (plain batch normalisation)
/// afterwards:                 r = clamp(√(σ²+ε) / √(v+ε), 1/rMax, rMax),  d = clamp((μ − m) / √(v+ε), −dMax, dMax)
///                             m̃ = μ − d·σ/r,  ṽ = σ²/r²                 (r and d are constants to the gradient)
/// y = γ·(x − m̃)/√(ṽ + ε) + β,   then m ← m + momentum·(μ − m),  v ← v + momentum·(σ² − v)
/// ```
/// Inference mode uses the running statistics: `y = a·x + c` with `a = γ/√(v + ε)`, `c = β − m·a`, the form
/// the exported policies compute too.
public struct BatchRenormalization: Equatable, Sendable {
    /// The hyperparameters, shared by every normalisation layer of a network.
    public struct Configuration: Codable, Equatable, Sendable {
        /// Weight of a batch's statistics in the running ones (SBX and SB3-contrib: 0.01, i.e. decay 0.99).
        public var momentum: Float = 0.01
        /// ε added to every variance (SBX and SB3-contrib: 0.001).
        public var epsilon: Float = 0.001
        /// Training batches normalised by their own statistics alone before r and d apply (100,000).
        public var warmupSteps: Int = 100_000
        /// Bound of the scale correction r (3, as in the Batch Renormalization paper and SBX).
        public var rMax: Float = 3
        /// Bound of the shift correction d (5).
        public var dMax: Float = 5

        /// The defaults of SBX and SB3-contrib's CrossQ.
        public init() {}
    }

    /// Per-feature values a training or inference pass leaves for its backward pass, in the workspace.
    static let cacheRows = 5

    /// Features per row.
    public let features: Int
    /// Index of γ in the network's parameter buffer; β follows it.
    public let scaleOffset: Int
    /// Index of the running mean in the network's statistics; the running variance follows it.
    public let statisticsOffset: Int

    /// A layer whose parameters start at `offset` and whose running statistics start at `statisticsOffset`.
    public init(features: Int, offset: Int, statisticsOffset: Int) {
        self.features = features
        self.scaleOffset = offset
        self.statisticsOffset = statisticsOffset
    }

    /// Index of β.
    public var shiftOffset: Int { scaleOffset + features }
    /// γ and β.
    public var parameterCount: Int { 2 * features }

    /// γ = 1, β = 0; running mean 0 and variance 1 (PyTorch's and Flax's initial values).
    func initialize(parameters: UnsafeMutablePointer<Float>, statistics: UnsafeMutablePointer<Float>) {
        (parameters + scaleOffset).update(repeating: 1, count: features)
        (parameters + shiftOffset).update(repeating: 0, count: features)
        (statistics + statisticsOffset).update(repeating: 0, count: features)
        (statistics + statisticsOffset + features).update(repeating: 1, count: features)
    }

    /// Training-mode pass over `batch` rows: normalises by the batch's statistics (renormalised toward the
    /// running ones once `step`, the count of earlier training batches, exceeds the warm-up, as in
    /// SB3-contrib), updates the running
    /// statistics, and leaves in `cache` (``cacheRows`` × features) what ``backward`` needs.
    func forwardTraining(
        input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>,
        statistics: UnsafeMutablePointer<Float>, step: Int, configuration: Configuration,
        output: UnsafeMutablePointer<Float>, cache: UnsafeMutablePointer<Float>
    ) {
        let f = features, n = Float(batch), epsilon = configuration.epsilon
        let mean = cache, shiftedMean = cache + f, inverseDeviation = cache + 2 * f, slope = cache + 3 * f, varianceScale = cache + 4 * f
        let variance = output // scratch: the output's first row holds σ² until the outputs are written
        mean.update(repeating: 0, count: f)
        for row in 0..<batch { let x = input + row * f; for j in 0..<f { mean[j] += x[j] } }
        for j in 0..<f { mean[j] /= n }
        variance.update(repeating: 0, count: f)
        for row in 0..<batch { let x = input + row * f; for j in 0..<f { let c = x[j] - mean[j]; variance[j] += c * c } }
        let runningMean = statistics + statisticsOffset, runningVariance = runningMean + f
        let renormalises = step > configuration.warmupSteps
        for j in 0..<f {
            let batchVariance = variance[j] / n
            if renormalises {
                let runningDeviation = (runningVariance[j] + epsilon).squareRoot()
                let r = min(max((batchVariance + epsilon).squareRoot() / runningDeviation, 1 / configuration.rMax), configuration.rMax)
                let d = min(max((mean[j] - runningMean[j]) / runningDeviation, -configuration.dMax), configuration.dMax)
                let deviation = batchVariance.squareRoot()
                shiftedMean[j] = mean[j] - d * deviation / r
                inverseDeviation[j] = 1 / (batchVariance / (r * r) + epsilon).squareRoot()
                // ∂m̃/∂σ = −d/r (σ's own derivative is (x − μ)/(Nσ); none where the batch is constant).
                slope[j] = deviation > 0 ? d / (r * deviation) : 0
                varianceScale[j] = 1 / (r * r)
            } else {
                shiftedMean[j] = mean[j]
                inverseDeviation[j] = 1 / (batchVariance + epsilon).squareRoot()
                slope[j] = 0
                varianceScale[j] = 1
            }
            runningMean[j] += configuration.momentum * (mean[j] - runningMean[j])
            runningVariance[j] += configuration.momentum * (batchVariance - runningVariance[j])
        }
        let scale = parameters + scaleOffset, shift = parameters + shiftOffset
        for row in 0..<batch {
            let x = input + row * f, y = output + row * f
            for j in 0..<f { y[j] = scale[j] * ((x[j] - shiftedMean[j]) * inverseDeviation[j]) + shift[j] }
        }
    }

    /// Inference-mode pass: `y = a·x + c` from the running statistics; leaves the cache ``backward`` needs
    /// (its last two rows hold a and c, which an inference backward pass does not read).
    func forwardInference(
        input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>,
        statistics: UnsafePointer<Float>, epsilon: Float,
        output: UnsafeMutablePointer<Float>, cache: UnsafeMutablePointer<Float>
    ) {
        let f = features
        let mean = cache, shiftedMean = cache + f, inverseDeviation = cache + 2 * f, scale = cache + 3 * f, offset = cache + 4 * f
        inferenceCoefficients(parameters: parameters, statistics: statistics, epsilon: epsilon, scale: scale, offset: offset)
        let runningMean = statistics + statisticsOffset, runningVariance = runningMean + f
        for j in 0..<f {
            mean[j] = runningMean[j]
            shiftedMean[j] = runningMean[j]
            inverseDeviation[j] = 1 / (runningVariance[j] + epsilon).squareRoot()
        }
        for row in 0..<batch {
            let x = input + row * f, y = output + row * f
            for j in 0..<f { y[j] = scale[j] * x[j] + offset[j] }
        }
    }

    /// The inference map `y = a·x + c`: `a = γ/√(v + ε)`, `c = β − m·a`, in float32, as the exports use it.
    public func inferenceCoefficients(
        parameters: UnsafePointer<Float>, statistics: UnsafePointer<Float>, epsilon: Float,
        scale: UnsafeMutablePointer<Float>, offset: UnsafeMutablePointer<Float>
    ) {
        let runningMean = statistics + statisticsOffset, runningVariance = runningMean + features
        for j in 0..<features {
            scale[j] = parameters[scaleOffset + j] / (runningVariance[j] + epsilon).squareRoot()
            offset[j] = parameters[shiftOffset + j] - runningMean[j] * scale[j]
        }
    }

    /// Backward pass from `outputGradient` (∂L/∂y) after a forward pass that left `cache`:
    /// ```
    /// x̂ = (x − m̃)/√(ṽ + ε),  h = γ·∂L/∂y,  ∂L/∂γ = Σ ∂L/∂y·x̂,  ∂L/∂β = Σ ∂L/∂y
    /// training:  ∂L/∂xⱼ = (hⱼ − mean h + (xⱼ − μ)·[(d/(rσ))·mean h − mean(h·x̂)/(r²·√(ṽ + ε))]) / √(ṽ + ε)
    /// inference: ∂L/∂xⱼ = hⱼ / √(v + ε)
    /// ```
    /// With r = 1 and d = 0 (the warm-up) the training line is batch normalisation's familiar
    /// `(h − mean h − x̂·mean(h·x̂))/√(σ² + ε)`. `gradients` (γ and β at the layer's offsets) are
    /// overwritten, or added to with `accumulate`; `scratch` holds 2 × features. With `columns`, only those
    /// features' input gradients are computed (each feature's depends on its own column alone); the
    /// parameter gradients then must not be asked for.
    func backward(
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, batch: Int, training: Bool,
        parameters: UnsafePointer<Float>, cache: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?,
        columns: Range<Int>? = nil, accumulate: Bool
    ) {
        let f = features, n = Float(batch), range = columns ?? 0..<features
        precondition(columns == nil || gradients == nil, "parameter gradients need every column")
        let mean = cache, shiftedMean = cache + f, inverseDeviation = cache + 2 * f, slope = cache + 3 * f, varianceScale = cache + 4 * f
        let scale = parameters + scaleOffset
        let gradientSum = scratch, gradientDotNormalized = scratch + f
        gradientSum.update(repeating: 0, count: f)
        gradientDotNormalized.update(repeating: 0, count: f)
        for row in 0..<batch {
            let x = input + row * f, g = outputGradient + row * f
            for j in range {
                gradientSum[j] += g[j]
                gradientDotNormalized[j] += g[j] * ((x[j] - shiftedMean[j]) * inverseDeviation[j])
            }
        }
        if let gradients {
            let scaleGradient = gradients + scaleOffset, shiftGradient = gradients + shiftOffset
            for j in 0..<f {
                scaleGradient[j] = (accumulate ? scaleGradient[j] : 0) + gradientDotNormalized[j]
                shiftGradient[j] = (accumulate ? shiftGradient[j] : 0) + gradientSum[j]
            }
        }
        guard let inputGradient else { return }
        if !training {
            for row in 0..<batch {
                let g = outputGradient + row * f, dx = inputGradient + row * f
                for j in range { dx[j] = scale[j] * g[j] * inverseDeviation[j] }
            }
            return
        }
        // Per feature: Σh/N, and the coefficients of (xⱼ − μ) in ∂L/∂xⱼ.
        for j in range {
            let meanH = scale[j] * gradientSum[j] / n
            let meanHNormalized = scale[j] * gradientDotNormalized[j] / n
            gradientSum[j] = meanH
            gradientDotNormalized[j] = slope[j] * meanH - varianceScale[j] * inverseDeviation[j] * meanHNormalized
        }
        for row in 0..<batch {
            let x = input + row * f, g = outputGradient + row * f, dx = inputGradient + row * f
            for j in range {
                dx[j] = (scale[j] * g[j] - gradientSum[j] + gradientDotNormalized[j] * (x[j] - mean[j])) * inverseDeviation[j]
            }
        }
    }
}
