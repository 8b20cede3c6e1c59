/// A multilayer perceptron: dense layers with ReLU between them and a linear output layer.
///
/// All parameters live in one contiguous `parameters` array and their gradients in `gradients`, in
/// layer order (each layer's weight, then its bias). Activations live in a ``Workspace`` that the
/// caller allocates once per batch size, so forward and backward passes allocate nothing. A network is a
/// value: `var target = online` makes an independent copy (the target networks of SAC).
public struct MultilayerPerceptron: Equatable, Sendable {
    /// Feature counts from input to output, e.g. `[3, 256, 256, 2]`.
    public let layerSizes: [Int]
    /// The dense layers, in order.
    public let layers: [DenseLayer]
    /// Every weight and bias, layer by layer.
    public var parameters: [Float]
    /// `∂L/∂parameters` from the last ``backward(_:parameterGradients:inputGradient:inputColumns:accumulate:pair:)``.
    public var gradients: [Float]

    /// Input features.
    public var inputSize: Int { layerSizes[0] }
    /// Output features.
    public var outputSize: Int { layerSizes[layerSizes.count - 1] }
    /// Total number of weights and biases.
    public var parameterCount: Int { parameters.count }

    /// A network with PyTorch's default initialisation drawn from `generator`.
    /// - Parameters:
    ///   - layerSizes: input size, hidden sizes, output size; at least two entries, all > 0.
    ///   - generator: the source of the initial weights and biases.
    public init(layerSizes: [Int], generator: inout some RandomNumberGenerator) throws(NetworkError) {
        try self.init(layerSizes: layerSizes)
        parameters.withUnsafeMutableBufferPointer { buffer in
            for layer in layers { layer.initialize(buffer.baseAddress!, using: &generator) }
        }
    }

    /// A network with every parameter zero (to be filled, e.g. from a serialised file).
    public init(layerSizes: [Int]) throws(NetworkError) {
        guard layerSizes.count >= 2, layerSizes.allSatisfy({ $0 > 0 }) else {
            throw .invalidLayerSizes(layerSizes)
        }
        var layers: [DenseLayer] = []
        var offset = 0
        for (input, output) in zip(layerSizes, layerSizes.dropFirst()) {
            let layer = DenseLayer(inputSize: input, outputSize: output, offset: offset)
            layers.append(layer)
            offset += layer.parameterCount
        }
        self.layerSizes = layerSizes
        self.layers = layers
        self.parameters = [Float](repeating: 0, count: offset)
        self.gradients = [Float](repeating: 0, count: offset)
    }

    /// Allocates a workspace for batches of exactly `batchSize` rows.
    public func makeWorkspace(batchSize: Int) throws(NetworkError) -> Workspace {
        guard batchSize > 0 else { throw .invalidBatchSize(batchSize) }
        return Workspace(layerSizes: layerSizes, batchSize: batchSize)
    }

    /// Forward pass on `workspace.input`, leaving every layer's activation in the workspace and the
    /// network's output in `workspace.output`. Allocates nothing.
    public func forward(_ workspace: Workspace) {
        assert(workspace.layerSizes == layerSizes, "workspace for \(workspace.layerSizes) used with network \(layerSizes)")
        let batch = workspace.batchSize
        parameters.withUnsafeBufferPointer { params in
            let p = params.baseAddress!
            for (index, layer) in layers.enumerated() {
                let input = workspace.input(of: index)
                let output = workspace.activations[index].baseAddress!
                layer.forward(input: input, batch: batch, parameters: p, output: output)
                if index < layers.count - 1 {
                    ReLU.forward(output, count: batch * layer.outputSize)
                }
            }
        }
    }

    /// Convenience forward pass from a matrix; checks the shape against the workspace.
    public func forward(_ input: Matrix, workspace: Workspace) throws(NetworkError) -> Matrix {
        guard input.rows == workspace.batchSize, input.columns == inputSize else {
            throw .shapeMismatch(operation: "MultilayerPerceptron.forward",
                                 expected: "\(workspace.batchSize)×\(inputSize)", actual: input.shapeDescription)
        }
        _ = input.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
        forward(workspace)
        return workspace.outputMatrix
    }

    /// Backward pass from `workspace.outputGradient` (`∂L/∂output`, written by the caller) after a
    /// ``forward(_:)`` on the same workspace.
    ///
    /// - Parameters:
    ///   - workspace: the workspace of the preceding forward pass.
    ///   - parameterGradients: write `∂L/∂parameters` into ``gradients``; `false` when only the input
    ///     gradient is wanted (∂Q/∂a in the actor loss), which skips one sgemm per layer.
    ///   - inputGradient: write `∂L/∂input` into `workspace.inputGradient`.
    ///   - inputColumns: only these columns of `∂L/∂input` (e.g. ∂Q/∂a of a critic fed `[s, a]`, one
    ///     sgemm a quarter the size for HalfCheetah's shapes); the others are left as they were.
    ///   - accumulate: add parameter gradients to ``gradients`` instead of overwriting them.
    ///   - pair: when given, every layer that needs both its weight gradient and its input gradient
    ///     computes the two at once, one on each thread of the pair (the result is the same bit for bit).
    /// The output gradient and hidden gradients in the workspace are overwritten.
    public mutating func backward(
        _ workspace: Workspace, parameterGradients: Bool = true, inputGradient: Bool = false, inputColumns: Range<Int>? = nil,
        accumulate: Bool = false, pair: WorkerPair? = nil
    ) {
        backward(workspace, parameterGradients: parameterGradients, inputGradient: inputGradient, inputColumns: inputColumns,
                 accumulate: accumulate, pair: pair) { _, _, _ in }
    }

    /// ``backward(_:parameterGradients:inputGradient:inputColumns:accumulate:pair:)`` that hands each layer's
    /// parameters to `layerDone` as soon as the layer is finished with them — its gradients written and its
    /// input gradient computed from its weights — last layer first, so an optimiser can step a layer while
    /// its gradients are still in cache instead of walking every parameter again afterwards.
    ///
    /// `layerDone(parameters, gradients, range)` gets pointers to element 0 of ``parameters`` and
    /// ``gradients`` and the layer's elements in them (weights and bias); it may change those elements of
    /// the parameters (no layer reads them again in this pass) but no others. The ranges cover every
    /// parameter exactly once.
    public mutating func backward(
        _ workspace: Workspace, parameterGradients: Bool = true, inputGradient: Bool = false, inputColumns: Range<Int>? = nil,
        accumulate: Bool = false, pair: WorkerPair? = nil,
        layerDone: (_ parameters: UnsafeMutablePointer<Float>, _ gradients: UnsafePointer<Float>, _ range: Range<Int>) -> Void
    ) {
        assert(workspace.layerSizes == layerSizes, "workspace for \(workspace.layerSizes) used with network \(layerSizes)")
        let batch = workspace.batchSize
        let layers = self.layers
        gradients.withUnsafeMutableBufferPointer { grads in
            parameters.withUnsafeMutableBufferPointer { params in
                func done(_ layer: DenseLayer) {
                    layerDone(params.baseAddress!, UnsafePointer(grads.baseAddress!), layer.weightOffset..<(layer.weightOffset + layer.parameterCount))
                }
                for index in stride(from: layers.count - 1, through: 0, by: -1) {
                    let layer = layers[index]
                    let outputGradient = workspace.gradients[index].baseAddress!
                    if index < layers.count - 1 {
                        ReLU.backward(output: workspace.activations[index].baseAddress!, gradient: outputGradient,
                                      count: batch * layer.outputSize)
                    }
                    let inputGradientTarget: UnsafeMutablePointer<Float>? =
                        index > 0 ? workspace.gradients[index - 1].baseAddress! : (inputGradient ? workspace.inputGradientBuffer.baseAddress! : nil)
                    let parameterGradientTarget = parameterGradients ? grads.baseAddress! : nil
                    if let pair, let inputGradientTarget, let parameterGradientTarget {
                        let split = workspace.splitBackward
                        split.layer = layer
                        split.batch = batch
                        split.input = workspace.input(of: index)
                        split.outputGradient = UnsafePointer(outputGradient)
                        split.parameters = UnsafePointer(params.baseAddress!)
                        split.gradients = parameterGradientTarget
                        split.inputGradient = inputGradientTarget
                        split.inputColumns = index == 0 ? inputColumns : nil
                        split.transposeScratch = workspace.transposeScratch.baseAddress!
                        split.accumulate = accumulate
                        pair.run(split, task: index)
                        split.input = nil
                        done(layer)
                        continue
                    }
                    layer.backward(
                        input: workspace.input(of: index), outputGradient: outputGradient, batch: batch,
                        parameters: params.baseAddress!, gradients: parameterGradientTarget,
                        inputGradient: inputGradientTarget, inputColumns: index == 0 ? inputColumns : nil,
                        transposeScratch: workspace.transposeScratch.baseAddress!, accumulate: accumulate)
                    done(layer)
                }
            }
        }
    }

    /// Sets every gradient to zero.
    public mutating func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
