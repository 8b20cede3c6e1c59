/// One dense layer's backward pass cut into its two independent products, for a ``WorkerPair``:
/// lane 0 the parameter gradients `(∂L/∂y)ᵀ·x` (and the bias sum), lane 1 the input gradient `∂L/∂y·W`.
/// Both read only `∂L/∂y`, `x` and `W`, and write disjoint buffers, so they run at once and give the same
/// bits as the serial pass.
///
/// A workspace owns one, so splitting a pass allocates nothing. It holds raw pointers, valid only for the
/// duration of one ``WorkerPair/run(_:task:)`` inside ``MultilayerPerceptron/backward(_:parameterGradients:inputGradient:inputColumns:accumulate:pair:)``.
final class SplitLayerBackward: PairedWork, @unchecked Sendable {
    var layer = DenseLayer(inputSize: 0, outputSize: 0, offset: 0)
    var batch = 0
    var input: UnsafePointer<Float>?
    var outputGradient: UnsafePointer<Float>?
    var parameters: UnsafePointer<Float>?
    var gradients: UnsafeMutablePointer<Float>?
    var inputGradient: UnsafeMutablePointer<Float>?
    var inputColumns: Range<Int>?
    var transposeScratch: UnsafeMutablePointer<Float>?
    var accumulate = false
    /// The layer's bfloat16 products, with ∂L/∂y already rounded; `nil` for float32.
    var bfloat16: BFloat16LayerProducts?

    func perform(_ task: Int, lane: Int) {
        guard let input, let outputGradient, let parameters else { return }
        if let bfloat16 {
            bfloat16.backward(
                input: input, outputGradient: outputGradient, parameters: parameters,
                gradients: lane == 0 ? gradients : nil, inputGradient: lane == 0 ? nil : inputGradient,
                inputColumns: inputColumns, transposeScratch: transposeScratch, accumulate: accumulate)
            return
        }
        layer.backward(
            input: input, outputGradient: outputGradient, batch: batch, parameters: parameters,
            gradients: lane == 0 ? gradients : nil, inputGradient: lane == 0 ? nil : inputGradient,
            inputColumns: inputColumns, transposeScratch: transposeScratch, accumulate: accumulate)
    }
}
