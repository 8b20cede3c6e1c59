import CSACOpenBLAS
import CSACVectorKernels

/// One dense layer's three products in bfloat16 for one workspace — the forward pass, the weight
/// gradient and the input gradient — with the bfloat16 copies of their operands.
///
/// Each operand is rounded once and used twice: the layer's input x by the forward product and by
/// ∂L/∂W = (∂L/∂y)ᵀ·x, the weights W by the forward product and by ∂L/∂x = (∂L/∂y)·W, and ∂L/∂y by both
/// gradients. So the backward pass differentiates exactly the product the forward pass computed, with W
/// as the forward pass saw it. Biases, their gradient and every accumulation stay float32.
final class BFloat16LayerProducts: @unchecked Sendable {
    let layer: DenseLayer
    let rows: Int
    /// x rounded (`rows × inputSize`); a row view shares its owner's.
    let input: UnsafeMutableBufferPointer<UInt16>
    /// W rounded (`outputSize × inputSize`), shared by every view of one workspace.
    let weights: UnsafeMutableBufferPointer<UInt16>
    /// ∂L/∂y rounded (`rows × outputSize`), each view its own.
    let outputGradient: UnsafeMutableBufferPointer<UInt16>
    private let ownsShared: Bool
    private let forwardProduct: BFloat16Product
    /// The gradient products; `nil` where the input is too narrow for them (they stay float32).
    private let gradientProducts: (weight: BFloat16Product, accumulatingWeight: BFloat16Product, input: BFloat16Product)?

    /// Whether `layer` has bfloat16 products under ``MatrixPrecision/bfloat16``: its forward product at
    /// least, when its output is ``MatrixPrecision/bfloat16MinimumWidth`` or more wide.
    static func applies(to layer: DenseLayer) -> Bool {
        layer.outputSize >= MatrixPrecision.bfloat16MinimumWidth
    }

    /// Whether the gradient products are bfloat16 too: the input is wide enough as well. (The weight
    /// gradient of a layer fed 3 or 4 features, a product with 3 or 4 columns, is faster in sgemm.)
    var roundsGradients: Bool { gradientProducts != nil }

    /// The products for `rows` rows with buffers of their own.
    convenience init(layer: DenseLayer, rows: Int) throws(NetworkError) {
        try self.init(layer: layer, rows: rows, input: .allocate(capacity: rows * layer.inputSize),
                      weights: .allocate(capacity: layer.inputSize * layer.outputSize), ownsShared: true)
    }

    /// The products for rows `range` of `owner`'s batch, sharing its rounded input and weights.
    convenience init(viewing owner: BFloat16LayerProducts, rows range: Range<Int>) throws(NetworkError) {
        let width = owner.layer.inputSize
        try self.init(layer: owner.layer, rows: range.count,
                      input: UnsafeMutableBufferPointer(rebasing: owner.input[(range.lowerBound * width)..<(range.upperBound * width)]),
                      weights: owner.weights, ownsShared: false)
    }

    private init(layer: DenseLayer, rows: Int, input: UnsafeMutableBufferPointer<UInt16>, weights: UnsafeMutableBufferPointer<UInt16>,
                 ownsShared: Bool) throws(NetworkError) {
        self.layer = layer
        self.rows = rows
        self.input = input
        self.weights = weights
        self.ownsShared = ownsShared
        outputGradient = .allocate(capacity: rows * layer.outputSize)
        if ownsShared {
            input.initialize(repeating: 0)
            weights.initialize(repeating: 0)
        }
        outputGradient.initialize(repeating: 0)
        do {
            let (i, o) = (layer.inputSize, layer.outputSize)
            forwardProduct = try BFloat16Product(transposeA: false, transposeB: true, m: rows, n: o, k: i, accumulate: true)
            gradientProducts = i >= MatrixPrecision.bfloat16MinimumWidth
                ? (try BFloat16Product(transposeA: true, transposeB: false, m: o, n: i, k: rows),
                   try BFloat16Product(transposeA: true, transposeB: false, m: o, n: i, k: rows, accumulate: true),
                   try BFloat16Product(transposeA: false, transposeB: false, m: rows, n: i, k: o))
                : nil
        } catch {
            outputGradient.deallocate()
            if ownsShared {
                input.deallocate()
                weights.deallocate()
            }
            throw error
        }
    }

    deinit {
        outputGradient.deallocate()
        if ownsShared {
            input.deallocate()
            weights.deallocate()
        }
    }

    /// `output = input·Wᵀ + b` for this workspace's rows: the bias broadcast in float32, then the
    /// bfloat16 product added onto it. Rounds x and W for the backward pass too.
    func forward(input x: UnsafePointer<Float>, parameters: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let bias = parameters + layer.biasOffset
        for row in 0..<rows { (output + row * layer.outputSize).update(from: bias, count: layer.outputSize) }
        Self.round(x, into: input.baseAddress!, count: rows * layer.inputSize)
        Self.round(parameters + layer.weightOffset, into: weights.baseAddress!, count: layer.inputSize * layer.outputSize)
        forwardProduct.run(a: input.baseAddress!, b: weights.baseAddress!, c: output)
    }

    /// Rounds ∂L/∂y for ``backward(input:outputGradient:parameters:gradients:inputGradient:inputColumns:transposeScratch:accumulate:)``;
    /// call once per backward step, before it (on a ``WorkerPair``, before the two halves start).
    func roundOutputGradient(_ gradient: UnsafePointer<Float>) {
        guard roundsGradients else { return }
        Self.round(gradient, into: outputGradient.baseAddress!, count: rows * layer.outputSize)
    }

    /// ``DenseLayer``'s backward pass with the products in bfloat16, the same arguments for this view's
    /// rows: ∂L/∂W = (∂L/∂y)ᵀ·x into `gradients` (added with `accumulate`), ∂L/∂b = Σ_rows ∂L/∂y in float32,
    /// ∂L/∂x = (∂L/∂y)·W into `inputGradient`; either may be `nil`. Where the gradients are not rounded
    /// (a narrow input), and for some `inputColumns` only (∂Q/∂a of a wide first layer), the products are
    /// ``DenseLayer``'s float32 ones from the unrounded ∂L/∂y.
    func backward(input x: UnsafePointer<Float>, outputGradient gradient: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                  gradients: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?, inputColumns: Range<Int>?,
                  transposeScratch: UnsafeMutablePointer<Float>?, accumulate: Bool) {
        let someColumns = inputColumns != nil && inputColumns != 0..<layer.inputSize
        guard let products = gradientProducts else {
            layer.backward(input: x, outputGradient: gradient, batch: rows, parameters: parameters, gradients: gradients,
                           inputGradient: inputGradient, inputColumns: inputColumns, transposeScratch: transposeScratch, accumulate: accumulate)
            return
        }
        if let gradients {
            (accumulate ? products.accumulatingWeight : products.weight)
                .run(a: outputGradient.baseAddress!, b: input.baseAddress!, c: gradients + layer.weightOffset)
            layer.biasGradient(outputGradient: gradient, batch: rows, into: gradients + layer.biasOffset, accumulate: accumulate)
        }
        guard let inputGradient else { return }
        if someColumns {
            layer.backward(input: x, outputGradient: gradient, batch: rows, parameters: parameters, gradients: nil,
                           inputGradient: inputGradient, inputColumns: inputColumns, transposeScratch: transposeScratch)
        } else {
            products.input.run(a: outputGradient.baseAddress!, b: weights.baseAddress!, c: inputGradient)
        }
    }

    private static let usesAVX512BF16: Int32 = sac_cpu_vector_level() >= 4 ? 1 : 0

    private static func round(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<UInt16>, count: Int) {
        sac_bfloat16_from_float(source, target, count, usesAVX512BF16)
    }
}
