import CSACOpenBLAS
import CSACVectorKernels
#if canImport(Glibc)
    import Glibc
#endif
#if arch(x86_64)
    import _Builtin_intrinsics.intel
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

    /// The scalars of one step, shared by every element: what ``beginStep()`` computes once.
    public struct StepCoefficients: Sendable {
        let stepSize: Float
        let inverseCorrection2: Float
        let oneMinusBeta1: Float
        let beta2: Float
        let oneMinusBeta2: Float
        let epsilon: Float
    }

    /// One Adam step on `parameters` given `gradients` of the same length.
    public mutating func step(parameters: inout [Float], gradients: [Float]) {
        precondition(
            parameters.count == firstMoment.count && gradients.count == firstMoment.count,
            "Adam built for \(firstMoment.count) parameters got \(parameters.count) parameters and \(gradients.count) gradients")
        let coefficients = beginStep()
        let count = parameters.count
        withMoments { m, v in
            parameters.withUnsafeMutableBufferPointer { p in
                gradients.withUnsafeBufferPointer { g in
                    Self.apply(
                        coefficients, firstMoment: m, secondMoment: v, parameters: p.baseAddress!, gradients: g.baseAddress!,
                        range: 0..<count)
                }
            }
        }
    }

    /// `body` given pointers to element 0 of the first and second moments, valid for the call: for a
    /// caller that steps the parameters in parts with ``apply(_:firstMoment:secondMoment:parameters:gradients:range:)``.
    public mutating func withMoments<R>(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R) -> R {
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in body(m.baseAddress!, v.baseAddress!) }
        }
    }

    /// `t ← t + 1` and the step's scalars, for a caller that updates the elements in parts with
    /// ``apply(_:firstMoment:secondMoment:parameters:gradients:range:)`` (e.g. half on each of two
    /// threads). Every element's result is the same however the range is split.
    public mutating func beginStep() -> StepCoefficients {
        stepCount += 1
        let t = Double(stepCount)
        let biasCorrection1 = 1 - pow(beta1, t)
        let biasCorrection2Sqrt = (1 - pow(beta2, t)).squareRoot()
        return StepCoefficients(
            stepSize: Float(Double(learningRate) / biasCorrection1), inverseCorrection2: Float(1 / biasCorrection2Sqrt),
            oneMinusBeta1: Float(1 - beta1), beta2: Float(beta2), oneMinusBeta2: Float(1 - beta2), epsilon: epsilon)
    }

    /// Updates elements `range` of the moments and parameters (pointers to element 0 of each array): in
    /// sixteen lanes where the CPU has AVX-512, else eight; the same bits either way.
    public static func apply(
        _ coefficients: StepCoefficients, firstMoment: UnsafeMutablePointer<Float>, secondMoment: UnsafeMutablePointer<Float>,
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, range: Range<Int>
    ) {
        guard hasAVX512 else {
            applyPortably(
                coefficients, firstMoment: firstMoment, secondMoment: secondMoment, parameters: parameters, gradients: gradients,
                range: range)
            return
        }
        // A square root and a division per parameter make Adam compute-bound in Swift's baseline-x86-64
        // lanes (profiled in docs/performance.md); the C kernel runs sixteen wide.
        sac_adam_apply_avx512(
            coefficients.stepSize, coefficients.inverseCorrection2, coefficients.oneMinusBeta1, coefficients.beta2,
            coefficients.oneMinusBeta2, coefficients.epsilon, firstMoment, secondMoment, parameters, gradients,
            range.lowerBound, range.upperBound)
    }

    /// Whether ``apply(_:firstMoment:secondMoment:parameters:gradients:range:)`` runs the AVX-512 kernel: the
    /// CPU and OS have AVX-512 (the same CPUID reading that chooses OpenBLAS's kernel family).
    static let hasAVX512 = sac_cpu_vector_level() >= 3

    /// ``apply(_:firstMoment:secondMoment:parameters:gradients:range:)`` in portable Swift, eight lanes at a time.
    static func applyPortably(
        _ coefficients: StepCoefficients, firstMoment: UnsafeMutablePointer<Float>, secondMoment: UnsafeMutablePointer<Float>,
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, range: Range<Int>
    ) {
        let (stepSize, inverseCorrection2, epsilon) = (coefficients.stepSize, coefficients.inverseCorrection2, coefficients.epsilon)
        let (oneMinusBeta1, beta2, oneMinusBeta2) = (coefficients.oneMinusBeta1, coefficients.beta2, coefficients.oneMinusBeta2)
        // Eight lanes at a time: the four arrays may alias as far as the compiler knows, so it would not
        // vectorise the scalar loop by itself. Same IEEE operations, same results.
        let (m, v, p, g) = (
            UnsafeMutableRawPointer(firstMoment), UnsafeMutableRawPointer(secondMoment),
            UnsafeMutableRawPointer(parameters), UnsafeRawPointer(gradients)
        )
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let offset = 4 * i
            let gi = g.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            var mi = m.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            var vi = v.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            mi = mi + oneMinusBeta1 * (gi - mi)
            vi = beta2 * vi + oneMinusBeta2 * gi * gi
            m.storeBytes(of: mi, toByteOffset: offset, as: SIMD8<Float>.self)
            v.storeBytes(of: vi, toByteOffset: offset, as: SIMD8<Float>.self)
            let pi = p.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            p.storeBytes(
                of: pi - stepSize * (mi / (squareRoot(vi) * inverseCorrection2 + epsilon)), toByteOffset: offset, as: SIMD8<Float>.self)
            i += 8
        }
        while i < range.upperBound {
            let offset = 4 * i
            let gi = g.load(fromByteOffset: offset, as: Float.self)
            let mi = m.load(fromByteOffset: offset, as: Float.self) + oneMinusBeta1 * (gi - m.load(fromByteOffset: offset, as: Float.self))
            let vi = beta2 * v.load(fromByteOffset: offset, as: Float.self) + oneMinusBeta2 * gi * gi
            m.storeBytes(of: mi, toByteOffset: offset, as: Float.self)
            v.storeBytes(of: vi, toByteOffset: offset, as: Float.self)
            let pi = p.load(fromByteOffset: offset, as: Float.self)
            p.storeBytes(of: pi - stepSize * (mi / (vi.squareRoot() * inverseCorrection2 + epsilon)), toByteOffset: offset, as: Float.self)
            i += 1
        }
    }

    /// √x lane by lane. `SIMD8.squareRoot()` compiles to eight calls of the C library's `sqrtf` (each with
    /// its errno branch); `sqrtps` gives the same correctly rounded
    /// results four lanes per instruction.
    @inline(__always)
    static func squareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
        #if arch(x86_64)
            SIMD8(lowHalf: _mm_sqrt_ps(x.lowHalf), highHalf: _mm_sqrt_ps(x.highHalf))
        #else
            x.squareRoot()
        #endif
    }
}
