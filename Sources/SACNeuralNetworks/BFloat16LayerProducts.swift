import CSACOpenBLAS
import CSACVectorKernels

/// One dense layer's three products in bfloat16 for one workspace — the forward pass, the weight
/// gradient and the input gradient — with the bfloat16 copies of their operands, laid out for libxsmm.
///
/// In libxsmm's column-major terms (a row-major matrix is its transpose there), with A in VNNI layout
/// (pairs along the summed dimension):
/// - forward: yᵀ (out × rows) = W (out × in) · xᵀ: A = W in pairs of inputs, B = x rounded, an odd input
///   width padded with a zero column;
/// - weight gradient: (∂L/∂W)ᵀ (in × out) = xᵀ · ∂L/∂y: A = x in pairs of rows, B = (∂L/∂y)ᵀ rounded;
/// - input gradient: (∂L/∂x)ᵀ (in × rows) = Wᵀ · (∂L/∂y)ᵀ: A = W in pairs of outputs, B = ∂L/∂y rounded.
///
/// x and W are rounded from the values the forward pass saw, so the backward pass differentiates exactly
/// the product the forward pass computed. Biases, their gradient and every accumulation stay float32.
final class BFloat16LayerProducts: @unchecked Sendable {
    let layer: DenseLayer
    let rows: Int
    private let paddedInputs: Int, paddedOutputs: Int, paddedRows: Int
    /// x rounded (`rows × paddedInputs`); a row view shares its owner's.
    private let input: UnsafeMutableBufferPointer<UInt16>
    /// W in pairs of inputs and in pairs of outputs, shared by every view of one workspace.
    private let weightsByInputPairs: UnsafeMutableBufferPointer<UInt16>
    private let weightsByOutputPairs: UnsafeMutableBufferPointer<UInt16>
    /// Each view's own: x in pairs of rows, (∂L/∂y)ᵀ (`outputSize × paddedRows`), ∂L/∂y (`rows × paddedOutputs`).
    private let inputByRowPairs: UnsafeMutableBufferPointer<UInt16>
    private let outputGradientTransposed: UnsafeMutableBufferPointer<UInt16>
    private let outputGradient: UnsafeMutableBufferPointer<UInt16>
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

    private static func even(_ count: Int) -> Int { count + count % 2 }

    /// The products for `rows` rows with buffers of their own.
    convenience init(layer: DenseLayer, rows: Int) throws(NetworkError) {
        let (i, o) = (layer.inputSize, layer.outputSize)
        try self.init(
            layer: layer, rows: rows, input: .allocate(capacity: rows * Self.even(i)),
            weightsByInputPairs: .allocate(capacity: o * Self.even(i)),
            weightsByOutputPairs: .allocate(capacity: Self.even(o) * i), ownsShared: true)
    }

    /// The products for rows `range` of `owner`'s batch, sharing its rounded input and weights.
    convenience init(viewing owner: BFloat16LayerProducts, rows range: Range<Int>) throws(NetworkError) {
        let width = owner.paddedInputs
        try self.init(
            layer: owner.layer, rows: range.count,
            input: UnsafeMutableBufferPointer(rebasing: owner.input[(range.lowerBound * width)..<(range.upperBound * width)]),
            weightsByInputPairs: owner.weightsByInputPairs, weightsByOutputPairs: owner.weightsByOutputPairs, ownsShared: false)
    }

    private init(
        layer: DenseLayer, rows: Int, input: UnsafeMutableBufferPointer<UInt16>,
        weightsByInputPairs: UnsafeMutableBufferPointer<UInt16>, weightsByOutputPairs: UnsafeMutableBufferPointer<UInt16>,
        ownsShared: Bool
    ) throws(NetworkError) {
        let (i, o) = (layer.inputSize, layer.outputSize)
        self.layer = layer
        self.rows = rows
        self.input = input
        self.weightsByInputPairs = weightsByInputPairs
        self.weightsByOutputPairs = weightsByOutputPairs
        self.ownsShared = ownsShared
        paddedInputs = Self.even(i)
        paddedOutputs = Self.even(o)
        paddedRows = Self.even(rows)
        let inputByRowPairs = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: paddedRows * i)
        let outputGradientTransposed = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: o * paddedRows)
        let outputGradient = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: rows * paddedOutputs)
        self.inputByRowPairs = inputByRowPairs
        self.outputGradientTransposed = outputGradientTransposed
        self.outputGradient = outputGradient
        let owned =
            [inputByRowPairs, outputGradientTransposed, outputGradient]
            + (ownsShared ? [input, weightsByInputPairs, weightsByOutputPairs] : [])
        for buffer in owned { buffer.initialize(repeating: 0) }
        do {
            forwardProduct = try BFloat16Product(m: o, n: rows, k: paddedInputs)
            gradientProducts =
                i >= MatrixPrecision.bfloat16MinimumWidth
                ? (
                    try BFloat16Product(m: i, n: o, k: paddedRows),
                    try BFloat16Product(m: i, n: o, k: paddedRows, accumulate: true),
                    try BFloat16Product(m: i, n: rows, k: paddedOutputs)
                )
                : nil
        } catch {
            for buffer in owned { buffer.deallocate() }
            throw error
        }
    }

    deinit {
        inputByRowPairs.deallocate()
        outputGradientTransposed.deallocate()
        outputGradient.deallocate()
        if ownsShared {
            input.deallocate()
            weightsByInputPairs.deallocate()
            weightsByOutputPairs.deallocate()
        }
    }

    /// `output = input·Wᵀ + b` for this workspace's rows, then `max(0, output)` with `relu`: the bfloat16
    /// product, then the bias (and ReLU) added in float32 in one pass. Rounds x and W for the backward
    /// pass too.
    func forward(input x: UnsafePointer<Float>, parameters: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, relu: Bool) {
        let (i, o) = (layer.inputSize, layer.outputSize)
        let weights = parameters + layer.weightOffset
        sac_bfloat16_round_padded(x, rows, i, input.baseAddress!, paddedInputs, Self.usesAVX512BF16)
        sac_bfloat16_pack_column_pairs(weights, o, i, weightsByInputPairs.baseAddress!, Self.usesAVX512BF16)
        if roundsGradients { sac_bfloat16_pack_row_pairs(weights, o, i, weightsByOutputPairs.baseAddress!, Self.usesAVX512BF16) }
        forwardProduct.run(a: weightsByInputPairs.baseAddress!, b: input.baseAddress!, c: output)
        sac_add_bias(output, parameters + layer.biasOffset, rows, o, relu ? 1 : 0, Self.usesAVX512BF16)
    }

    /// Rounds ∂L/∂y for ``backward(input:outputGradient:parameters:gradients:inputGradient:inputColumns:transposeScratch:accumulate:)``;
    /// call once per backward step, before it (on a ``WorkerPair``, before the two halves start).
    func roundOutputGradient(_ gradient: UnsafePointer<Float>) {
        guard roundsGradients else { return }
        sac_bfloat16_round_transposed(
            gradient, rows, layer.outputSize, outputGradientTransposed.baseAddress!, paddedRows,
            outputGradient.baseAddress!, paddedOutputs, Self.usesAVX512BF16)
    }

    /// ``DenseLayer``'s backward pass with the products in bfloat16, the same arguments for this view's
    /// rows: ∂L/∂W = (∂L/∂y)ᵀ·x into `gradients` (added with `accumulate`), ∂L/∂b = Σ_rows ∂L/∂y in float32,
    /// ∂L/∂x = (∂L/∂y)·W into `inputGradient`; either may be `nil`. Where the gradients are not rounded
    /// (a narrow input), and for some `inputColumns` only (∂Q/∂a of a wide first layer), the products are
    /// ``DenseLayer``'s float32 ones from the unrounded ∂L/∂y.
    func backward(
        input x: UnsafePointer<Float>, outputGradient gradient: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
        gradients: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?, inputColumns: Range<Int>?,
        transposeScratch: UnsafeMutablePointer<Float>?, accumulate: Bool
    ) {
        let someColumns = inputColumns != nil && inputColumns != 0..<layer.inputSize
        guard let products = gradientProducts else {
            layer.backward(
                input: x, outputGradient: gradient, batch: rows, parameters: parameters, gradients: gradients,
                inputGradient: inputGradient, inputColumns: inputColumns, transposeScratch: transposeScratch, accumulate: accumulate)
            return
        }
        if let gradients {
            sac_bfloat16_pack_row_pairs(x, rows, layer.inputSize, inputByRowPairs.baseAddress!, Self.usesAVX512BF16)
            (accumulate ? products.accumulatingWeight : products.weight)
                .run(a: inputByRowPairs.baseAddress!, b: outputGradientTransposed.baseAddress!, c: gradients + layer.weightOffset)
            layer.biasGradient(outputGradient: gradient, batch: rows, into: gradients + layer.biasOffset, accumulate: accumulate)
        }
        guard let inputGradient else { return }
        if someColumns {
            layer.backward(
                input: x, outputGradient: gradient, batch: rows, parameters: parameters, gradients: nil,
                inputGradient: inputGradient, inputColumns: inputColumns, transposeScratch: transposeScratch)
        } else {
            products.input.run(a: weightsByOutputPairs.baseAddress!, b: outputGradient.baseAddress!, c: inputGradient)
        }
    }

    private static let usesAVX512BF16: Int32 = sac_cpu_vector_level() >= 4 ? 1 : 0
}
