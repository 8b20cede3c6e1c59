/// A multilayer perceptron: dense layers with ReLU between them and a linear output layer, optionally
/// with a ``BatchRenormalization`` before every dense layer (CrossQ's networks).
///
/// All parameters live in one contiguous `parameters` array and their gradients in `gradients`, in
/// layer order (each layer's normalisation scale and shift if any, its weight, then its bias). Activations
/// live in a ``Workspace`` that the caller allocates once per batch size, so forward and backward passes
/// allocate nothing. A network is a value: `var target = online` makes an independent copy (the target
/// networks of SAC).
public struct MultilayerPerceptron: Equatable, Sendable {
    /// Feature counts from input to output, e.g. `[3, 256, 256, 2]`.
    public let layerSizes: [Int]
    /// The dense layers, in order.
    public let layers: [DenseLayer]
    /// The normalisation before each dense layer, in order; empty for a plain network.
    public let normalizations: [BatchRenormalization]
    /// The normalisation hyperparameters; `nil` for a plain network.
    public let normalization: BatchRenormalization.Configuration?
    /// Every weight and bias (and normalisation scale and shift), layer by layer.
    public var parameters: [Float]
    /// `∂L/∂parameters` from the last ``backward(_:parameterGradients:inputGradient:inputColumns:accumulate:pair:)``.
    public var gradients: [Float]
    /// The normalisations' running means and variances (per layer: the mean of each input feature, then
    /// the variance); empty for a plain network. Updated by ``forwardTraining(_:)``, read by ``forward(_:)``.
    public var normalizationStatistics: [Float]
    /// Training-mode passes so far (the normalisations' warm-up counts them).
    public var normalizationSteps = 0

    /// Input features.
    public var inputSize: Int { layerSizes[0] }
    /// Output features.
    public var outputSize: Int { layerSizes[layerSizes.count - 1] }
    /// Total number of weights and biases.
    public var parameterCount: Int { parameters.count }

    /// A network with PyTorch's default initialisation drawn from `generator` (normalisations start at
    /// γ = 1, β = 0, running mean 0 and variance 1, drawing nothing).
    /// - Parameters:
    ///   - layerSizes: input size, hidden sizes, output size; at least two entries, all > 0.
    ///   - normalization: a ``BatchRenormalization`` with these hyperparameters before every dense layer.
    ///   - generator: the source of the initial weights and biases.
    public init(
        layerSizes: [Int], normalization: BatchRenormalization.Configuration? = nil,
        generator: inout some RandomNumberGenerator
    ) throws(NetworkError) {
        try self.init(layerSizes: layerSizes, normalization: normalization)
        parameters.withUnsafeMutableBufferPointer { buffer in
            for layer in layers { layer.initialize(buffer.baseAddress!, using: &generator) }
        }
    }

    /// A network with every weight and bias zero (to be filled, e.g. from a serialised file); its
    /// normalisations, if any, start at γ = 1, β = 0, running mean 0 and variance 1.
    public init(layerSizes: [Int], normalization: BatchRenormalization.Configuration? = nil) throws(NetworkError) {
        guard layerSizes.count >= 2, layerSizes.allSatisfy({ $0 > 0 }) else {
            throw .invalidLayerSizes(layerSizes)
        }
        var layers: [DenseLayer] = [], normalizations: [BatchRenormalization] = []
        var offset = 0, statisticsOffset = 0
        for (input, output) in zip(layerSizes, layerSizes.dropFirst()) {
            if normalization != nil {
                let normalizationLayer = BatchRenormalization(features: input, offset: offset, statisticsOffset: statisticsOffset)
                normalizations.append(normalizationLayer)
                offset += normalizationLayer.parameterCount
                statisticsOffset += 2 * input
            }
            let layer = DenseLayer(inputSize: input, outputSize: output, offset: offset)
            layers.append(layer)
            offset += layer.parameterCount
        }
        self.layerSizes = layerSizes
        self.layers = layers
        self.normalizations = normalizations
        self.normalization = normalization
        self.parameters = [Float](repeating: 0, count: offset)
        self.gradients = [Float](repeating: 0, count: offset)
        self.normalizationStatistics = [Float](repeating: 0, count: statisticsOffset)
        parameters.withUnsafeMutableBufferPointer { p in
            normalizationStatistics.withUnsafeMutableBufferPointer { statistics in
                for layer in normalizations { layer.initialize(parameters: p.baseAddress!, statistics: statistics.baseAddress!) }
            }
        }
    }

    /// Whether batch renormalisation precedes every dense layer.
    public var isNormalized: Bool { normalization != nil }

    /// Layer `index`'s normalisation in inference mode, `x ↦ scale ⊙ x + shift`
    /// (``BatchRenormalization/inferenceCoefficients(parameters:statistics:epsilon:scale:offset:)``), as
    /// ``forward(_:)`` applies it; `nil` for a plain network. Allocates (for exports and tools).
    public func inferenceNormalization(ofLayer index: Int) -> (scale: [Float], shift: [Float])? {
        guard let configuration = normalization else { return nil }
        let layer = normalizations[index]
        var scale = [Float](repeating: 0, count: layer.features), shift = scale
        parameters.withUnsafeBufferPointer { p in
            normalizationStatistics.withUnsafeBufferPointer { statistics in
                scale.withUnsafeMutableBufferPointer { a in
                    shift.withUnsafeMutableBufferPointer { c in
                        layer.inferenceCoefficients(
                            parameters: p.baseAddress!, statistics: statistics.baseAddress!,
                            epsilon: configuration.epsilon, scale: a.baseAddress!, offset: c.baseAddress!)
                    }
                }
            }
        }
        return (scale, shift)
    }

    /// Allocates a workspace for batches of exactly `batchSize` rows whose products run in `precision`
    /// where the machine has it (``MatrixPrecision/available``; the workspace's `precision` says which).
    public func makeWorkspace(batchSize: Int, precision: MatrixPrecision = .float32) throws(NetworkError) -> Workspace {
        guard batchSize > 0 else { throw .invalidBatchSize(batchSize) }
        return try Workspace(layers: layers, batchSize: batchSize, normalized: isNormalized, precision: precision)
    }

    /// Forward pass on `workspace.input`, leaving every layer's activation in the workspace and the
    /// network's output in `workspace.output`. Normalisations use their running statistics (inference
    /// mode). Allocates nothing.
    public func forward(_ workspace: Workspace) {
        assert(
            workspace.layerSizes == layerSizes && workspace.isNormalized == isNormalized,
            "workspace for \(workspace.layerSizes) used with network \(layerSizes)")
        let batch = workspace.batchSize
        workspace.normalizedInTraining = false
        parameters.withUnsafeBufferPointer { params in
            normalizationStatistics.withUnsafeBufferPointer { statistics in
                let p = params.baseAddress!
                for (index, layer) in layers.enumerated() {
                    if let configuration = normalization {
                        normalizations[index].forwardInference(
                            input: workspace.rawInput(of: index), batch: batch, parameters: p, statistics: statistics.baseAddress!,
                            epsilon: configuration.epsilon, output: workspace.normalizedInputs[index].baseAddress!,
                            cache: workspace.normalizationCaches[index].baseAddress!)
                    }
                    forwardDense(index, layer, workspace: workspace, parameters: p)
                }
            }
        }
    }

    /// Forward pass in training mode: every normalisation uses the batch's statistics and updates its
    /// running ones (the network is therefore `mutating`); ``normalizationSteps`` counts the pass. For a
    /// plain network the same as ``forward(_:)``. Allocates nothing.
    public mutating func forwardTraining(_ workspace: Workspace) {
        guard let configuration = normalization else { return forward(workspace) }
        assert(
            workspace.layerSizes == layerSizes && workspace.isNormalized,
            "workspace for \(workspace.layerSizes) used with network \(layerSizes)")
        let batch = workspace.batchSize, step = normalizationSteps
        workspace.normalizedInTraining = true
        let layers = self.layers, normalizations = self.normalizations
        parameters.withUnsafeBufferPointer { params in
            normalizationStatistics.withUnsafeMutableBufferPointer { statistics in
                let p = params.baseAddress!
                for (index, layer) in layers.enumerated() {
                    normalizations[index].forwardTraining(
                        input: workspace.rawInput(of: index), batch: batch, parameters: p, statistics: statistics.baseAddress!,
                        step: step, configuration: configuration, output: workspace.normalizedInputs[index].baseAddress!,
                        cache: workspace.normalizationCaches[index].baseAddress!)
                    Self.forwardDense(index, layer, count: layers.count, workspace: workspace, parameters: p)
                }
            }
        }
        normalizationSteps += 1
    }

    private func forwardDense(_ index: Int, _ layer: DenseLayer, workspace: Workspace, parameters: UnsafePointer<Float>) {
        Self.forwardDense(index, layer, count: layers.count, workspace: workspace, parameters: parameters)
    }

    /// Dense layer `index` and its ReLU (all but the last layer) on the workspace's rows.
    private static func forwardDense(_ index: Int, _ layer: DenseLayer, count: Int, workspace: Workspace, parameters: UnsafePointer<Float>)
    {
        let batch = workspace.batchSize
        let output = workspace.activations[index].baseAddress!
        let relu = index < count - 1
        if let products = workspace.bfloat16Layers[index] {
            products.forward(input: workspace.input(of: index), parameters: parameters, output: output, relu: relu)
            return
        }
        layer.forward(input: workspace.input(of: index), batch: batch, parameters: parameters, output: output)
        if relu { ReLU.forward(output, count: batch * layer.outputSize) }
    }

    /// Convenience forward pass from a matrix; checks the shape against the workspace.
    public func forward(_ input: Matrix, workspace: Workspace) throws(NetworkError) -> Matrix {
        guard input.rows == workspace.batchSize, input.columns == inputSize else {
            throw .shapeMismatch(
                operation: "MultilayerPerceptron.forward",
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
        backward(
            workspace, parameterGradients: parameterGradients, inputGradient: inputGradient, inputColumns: inputColumns,
            accumulate: accumulate, pair: pair
        ) { _, _, _ in }
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
        assert(
            workspace.layerSizes == layerSizes && workspace.isNormalized == isNormalized,
            "workspace for \(workspace.layerSizes) used with network \(layerSizes)")
        let batch = workspace.batchSize
        let layers = self.layers, normalizations = self.normalizations, normalized = isNormalized
        gradients.withUnsafeMutableBufferPointer { grads in
            parameters.withUnsafeMutableBufferPointer { params in
                func done(_ index: Int) {
                    let layer = layers[index]
                    let start = normalized ? normalizations[index].scaleOffset : layer.weightOffset
                    layerDone(params.baseAddress!, UnsafePointer(grads.baseAddress!), start..<(layer.weightOffset + layer.parameterCount))
                }
                // The input gradient layer 0's normalisation passes on, and the columns it needs from its
                // dense layer: all of them when its scale and shift need gradients, else the ones asked for.
                let networkInputGradient: UnsafeMutablePointer<Float>? = inputGradient ? workspace.inputGradientBuffer.baseAddress! : nil
                let firstColumns = normalized && parameterGradients ? nil : inputColumns
                func normalizationBackward(_ index: Int) {
                    guard normalized else { return }
                    normalizations[index].backward(
                        input: workspace.rawInput(of: index), outputGradient: workspace.normalizedGradients[index].baseAddress!,
                        batch: batch, training: workspace.normalizedInTraining, parameters: params.baseAddress!,
                        cache: workspace.normalizationCaches[index].baseAddress!, scratch: workspace.normalizationScratch.baseAddress!,
                        gradients: parameterGradients ? grads.baseAddress! : nil,
                        inputGradient: index > 0 ? workspace.gradients[index - 1].baseAddress! : networkInputGradient,
                        columns: index == 0 ? firstColumns : nil, accumulate: accumulate)
                }
                for index in stride(from: layers.count - 1, through: 0, by: -1) {
                    let layer = layers[index]
                    let outputGradient = workspace.gradients[index].baseAddress!
                    if index < layers.count - 1 {
                        ReLU.backward(
                            output: workspace.activations[index].baseAddress!, gradient: outputGradient,
                            count: batch * layer.outputSize)
                    }
                    let inputGradientTarget: UnsafeMutablePointer<Float>?
                    if normalized {
                        // The normalisation needs ∂L/∂(its output) unless nothing below it is wanted.
                        inputGradientTarget =
                            index > 0 || inputGradient || parameterGradients ? workspace.normalizedGradients[index].baseAddress! : nil
                    } else {
                        inputGradientTarget = index > 0 ? workspace.gradients[index - 1].baseAddress! : networkInputGradient
                    }
                    let columns = index == 0 ? (normalized ? firstColumns : inputColumns) : nil
                    let parameterGradientTarget = parameterGradients ? grads.baseAddress! : nil
                    let bfloat16 = workspace.bfloat16Layers[index]
                    bfloat16?.roundOutputGradient(outputGradient)
                    if let pair, let inputGradientTarget, let parameterGradientTarget {
                        let split = workspace.splitBackward
                        split.layer = layer
                        split.batch = batch
                        split.input = workspace.input(of: index)
                        split.outputGradient = UnsafePointer(outputGradient)
                        split.parameters = UnsafePointer(params.baseAddress!)
                        split.gradients = parameterGradientTarget
                        split.inputGradient = inputGradientTarget
                        split.inputColumns = columns
                        split.transposeScratch = workspace.transposeScratch.baseAddress!
                        split.accumulate = accumulate
                        split.bfloat16 = bfloat16
                        pair.run(split, task: index)
                        split.input = nil
                        split.bfloat16 = nil
                    } else if let bfloat16 {
                        bfloat16.backward(
                            input: workspace.input(of: index), outputGradient: outputGradient, parameters: params.baseAddress!,
                            gradients: parameterGradientTarget, inputGradient: inputGradientTarget, inputColumns: columns,
                            transposeScratch: workspace.transposeScratch.baseAddress!, accumulate: accumulate)
                    } else {
                        layer.backward(
                            input: workspace.input(of: index), outputGradient: outputGradient, batch: batch,
                            parameters: params.baseAddress!, gradients: parameterGradientTarget,
                            inputGradient: inputGradientTarget, inputColumns: columns,
                            transposeScratch: workspace.transposeScratch.baseAddress!, accumulate: accumulate)
                    }
                    if inputGradientTarget != nil { normalizationBackward(index) }
                    done(index)
                }
            }
        }
    }

    /// Sets every gradient to zero.
    public mutating func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
