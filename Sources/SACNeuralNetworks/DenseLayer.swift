import SACRandomness

/// A fully connected layer `y = x·Wᵀ + b`, laid out inside a network's flat parameter buffer.
///
/// The layer owns no storage: it records where its weight (`outputSize × inputSize`, row-major, the
/// PyTorch `nn.Linear` layout) and bias (`outputSize`) live in the buffer, so a whole network's
/// parameters, gradients and optimiser moments are each one contiguous array that Adam, Polyak averaging
/// and serialisation walk in a single loop. Inputs and outputs are row-major batches (`batch × size`).
public struct DenseLayer: Equatable, Sendable {
    /// Features per input row.
    public let inputSize: Int
    /// Features per output row.
    public let outputSize: Int
    /// Index of the first weight in the network's parameter buffer.
    public let weightOffset: Int

    /// Creates the description of a layer whose parameters start at `offset`.
    public init(inputSize: Int, outputSize: Int, offset: Int) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.weightOffset = offset
    }

    /// Index of the first bias element: right after the weights.
    @inlinable public var biasOffset: Int { weightOffset + inputSize * outputSize }
    /// Weights plus biases.
    @inlinable public var parameterCount: Int { (inputSize + 1) * outputSize }

    /// Writes PyTorch's default `nn.Linear` initialisation: every weight and bias uniform in
    /// `[-1/√fan_in, 1/√fan_in]` (Kaiming-uniform with a = √5 reduces to exactly this bound).
    public func initialize(_ parameters: UnsafeMutablePointer<Float>, using generator: inout some RandomNumberGenerator) {
        let bound = 1.0 / Double(inputSize).squareRoot()
        for i in 0..<parameterCount {
            parameters[weightOffset + i] = Float(generator.nextUniform(in: -bound, bound))
        }
    }

    /// Forward pass `output = input·Wᵀ + b` for `batch` rows: the bias is broadcast into `output`, then
    /// one sgemm accumulates the product onto it (β = 1), so no temporary is needed.
    @inlinable
    public func forward(
        input: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let bias = parameters + biasOffset
        for row in 0..<batch {
            (output + row * outputSize).update(from: bias, count: outputSize)
        }
        BLAS.gemm(
            transposeA: false, transposeB: true, m: batch, n: outputSize, k: inputSize,
            a: input, b: parameters + weightOffset, beta: 1, c: output)
    }

    /// Backward pass given `∂L/∂output` (`batch × outputSize`).
    ///
    /// ```
    /// ∂L/∂W = (∂L/∂y)ᵀ · x        (outputSize × inputSize)
    /// ∂L/∂b = Σ_rows ∂L/∂y          (outputSize)
    /// ∂L/∂x = (∂L/∂y) · W           (batch × inputSize)
    /// ```
    /// Pass `gradients: nil` to skip the parameter gradients (the actor loss needs ∂Q/∂a only), and
    /// `inputGradient: nil` to skip the input gradient (the first layer of a network never needs it).
    /// `inputColumns` limits the input gradient to those columns of x (∂Q/∂a, not ∂Q/∂s, for the actor
    /// loss); the others are left as they were. With `accumulate`, parameter gradients are added to what
    /// the buffer holds instead of replacing it. `transposeScratch` (`batch × min(inputSize, 31)` floats)
    /// lets a gradient of fewer than ``narrowInputLimit`` columns be computed without allocating (see
    /// there).
    @inlinable
    public func backward(
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, batch: Int,
        parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>?,
        inputGradient: UnsafeMutablePointer<Float>?, inputColumns: Range<Int>? = nil,
        transposeScratch: UnsafeMutablePointer<Float>? = nil, accumulate: Bool = false
    ) {
        if let gradients {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: outputSize, n: inputSize, k: batch,
                a: outputGradient, b: input, beta: accumulate ? 1 : 0, c: gradients + weightOffset)
            biasGradient(outputGradient: outputGradient, batch: batch, into: gradients + biasOffset, accumulate: accumulate)
        }
        guard let inputGradient else { return }
        let columns = inputColumns ?? 0..<inputSize
        precondition(columns.lowerBound >= 0 && columns.upperBound <= inputSize, "input columns \(columns) of \(inputSize)")
        let width = columns.count
        // W[:, columns]: the block of W's columns, rows inputSize apart.
        let weights = parameters + weightOffset + columns.lowerBound
        if width < Self.narrowInputLimit, let scratch = transposeScratch {
            // (∂L/∂x)ᵀ = Wᵀ · (∂L/∂y)ᵀ, then transposed into place.
            BLAS.gemm(
                transposeA: true, transposeB: true, m: width, n: batch, k: outputSize,
                a: weights, lda: inputSize, b: outputGradient, beta: 0, c: scratch)
            for column in 0..<width {
                for row in 0..<batch { inputGradient[row * inputSize + columns.lowerBound + column] = scratch[column * batch + row] }
            }
        } else {
            BLAS.gemm(
                transposeA: false, transposeB: false, m: batch, n: width, k: outputSize,
                a: outputGradient, b: weights, ldb: inputSize, beta: 0, c: inputGradient + columns.lowerBound, ldc: inputSize)
        }
    }

    /// `∂L/∂b = Σ_rows ∂L/∂y` into `target` (`outputSize`), or added to it with `accumulate`.
    @inlinable
    func biasGradient(outputGradient: UnsafePointer<Float>, batch: Int, into target: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if !accumulate { target.update(repeating: 0, count: outputSize) }
        for row in 0..<batch {
            let source = outputGradient + row * outputSize
            for j in 0..<outputSize { target[j] += source[j] }
        }
    }

    /// Below this many input features, OpenBLAS 0.3.21's un-transposed sgemm may malloc a buffer on every
    /// call (measured by `AllocationTests`: 4, 17 and 23 columns did — Pendulum's and HalfCheetah's
    /// `[s, a]` and s, whose full input gradient CrossQ's first normalisation needs; the hidden widths,
    /// 64 and more, do not), so the input gradient of such a layer goes through the transposed product,
    /// which does not.
    public static let narrowInputLimit = 32
}
