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
    private let weightGradientProduct: BFloat16Product
    private let accumulatingWeightGradientProduct: BFloat16Product
    private let inputGradientProduct: BFloat16Product

    /// Whether `layer` has bfloat16 products under ``MatrixPrecision/bfloat16``: its forward product at
    /// least, when its output is ``MatrixPrecision/bfloat16MinimumWidth`` or more wide.
    static func applies(to layer: DenseLayer) -> Bool {
        layer.outputSize >= MatrixPrecision.bfloat16MinimumWidth
    }

    /// Whether the gradient products are bfloat16 too: the input is wide enough as well. (The weight
    /// gradient of a layer fed 3 or 4 features, a product with 3 or 4 columns, is faster in sgemm.)
    let roundsGradients: Bool

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
        roundsGradients = layer.inputSize >= MatrixPrecision.bfloat16MinimumWidth
        outputGradient = .allocate(capacity: rows * layer.outputSize)
        if ownsShared {
            input.initialize(repeating: 0)
            weights.initialize(repeating: 0)
        }
        outputGradient.initialize(repeating: 0)
        do {
            let (i, o) = (layer.inputSize, layer.outputSize)
            forwardProduct = try BFloat16Product(transposeA: false, transposeB: true, m: rows, n: o, k: i, accumulate: true)
            // Built even where unused (narrow inputs): a few kilobytes, and no optionals on the hot path.
            weightGradientProduct = try BFloat16Product(transposeA: true, transposeB: false, m: o, n: i, k: rows)
            accumulatingWeightGradientProduct = try BFloat16Product(transposeA: true, transposeB: false, m: o, n: i, k: rows, accumulate: true)
            inputGradientProduct = try BFloat16Product(transposeA: false, transposeB: false, m: rows, n: i, k: o)
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

    /// Rounds ∂L/∂y for ``weightGradients(input:outputGradient:gradients:accumulate:parameters:)`` and
    /// ``inputGradient(into:columns:outputGradient:parameters:transposeScratch:)``; call once per backward
    /// step, before either.
    func roundOutputGradient(_ gradient: UnsafePointer<Float>) {
        guard roundsGradients else { return }
        Self.round(gradient, into: outputGradient.baseAddress!, count: rows * layer.outputSize)
    }

    /// ∂L/∂W = (∂L/∂y)ᵀ·x in bfloat16 (float32 from `x` and the unrounded `gradient` where the gradients
    /// are not rounded), ∂L/∂b = Σ_rows ∂L/∂y in float32; with `accumulate`, added to what `gradients` holds.
    func weightGradients(input x: UnsafePointer<Float>, outputGradient gradient: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, accumulate: Bool, parameters: UnsafePointer<Float>) {
        guard roundsGradients else {
            layer.backward(input: x, outputGradient: gradient, batch: rows, parameters: parameters, gradients: gradients,
                           inputGradient: nil, accumulate: accumulate)
            return
        }
        (accumulate ? accumulatingWeightGradientProduct : weightGradientProduct)
            .run(a: outputGradient.baseAddress!, b: input.baseAddress!, c: gradients + layer.weightOffset)
        layer.biasGradient(outputGradient: gradient, batch: rows, into: gradients + layer.biasOffset, accumulate: accumulate)
    }

    /// ∂L/∂x = (∂L/∂y)·W in bfloat16 (`rows × inputSize`). Only some `columns` of it (∂Q/∂a of a wide
    /// first layer), or the whole of it where the gradients are not rounded, go through ``DenseLayer``'s
    /// float32 product instead, from the unrounded `gradient` and the float32 weights.
    func inputGradient(into target: UnsafeMutablePointer<Float>, columns: Range<Int>?, outputGradient gradient: UnsafePointer<Float>,
                       parameters: UnsafePointer<Float>, transposeScratch: UnsafeMutablePointer<Float>?) {
        if !roundsGradients || (columns != nil && columns != 0..<layer.inputSize) {
            // Without `gradients` the layer's input is not read; any pointer will do.
            layer.backward(input: UnsafePointer(target), outputGradient: gradient, batch: rows, parameters: parameters, gradients: nil,
                           inputGradient: target, inputColumns: columns, transposeScratch: transposeScratch)
            return
        }
        inputGradientProduct.run(a: outputGradient.baseAddress!, b: weights.baseAddress!, c: target)
    }

    private static let usesAVX512BF16: Int32 = sac_cpu_vector_level() >= 4 ? 1 : 0

    private static func round(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<UInt16>, count: Int) {
        sac_bfloat16_from_float(source, target, count, usesAVX512BF16)
    }
}
