extension MultilayerPerceptron {
    /// Preallocated buffers for one batch size: the input, every layer's activation and gradient, and
    /// the input gradient. Allocated once (``MultilayerPerceptron/makeWorkspace(batchSize:precision:)``) and reused by
    /// every pass, which is what keeps an SAC update free of allocation.
    ///
    /// The buffers are manually managed because the passes hand raw pointers to BLAS; the workspace is a
    /// final class so that copies share (not duplicate) them, and it frees them in `deinit`.
    public final class Workspace: @unchecked Sendable {
        /// Rows per batch.
        public let batchSize: Int
        /// The network's layer sizes this workspace fits.
        public let layerSizes: [Int]
        /// The batch to feed forward: `batchSize × layerSizes[0]`, row-major. Write it before `forward`.
        package let inputBuffer: UnsafeMutableBufferPointer<Float>
        /// Each layer's output after its activation (the last layer's is the network output).
        package let activations: [UnsafeMutableBufferPointer<Float>]
        /// `∂L/∂` each layer's output; the last one is the output gradient the caller writes before `backward`.
        package let gradients: [UnsafeMutableBufferPointer<Float>]
        /// `∂L/∂input` after a backward pass with `inputGradient: true`.
        package let inputGradientBuffer: UnsafeMutableBufferPointer<Float>
        /// Room for `(∂L/∂x)ᵀ` of any layer with a narrow input x (see ``DenseLayer/backward(input:outputGradient:batch:parameters:gradients:inputGradient:inputColumns:transposeScratch:accumulate:)``).
        let transposeScratch: UnsafeMutableBufferPointer<Float>
        /// The hand-over of a backward pass split across a ``WorkerPair``, made once here so that splitting
        /// allocates nothing.
        let splitBackward = SplitLayerBackward()
        /// Whether the network has normalisations (the buffers below are then allocated).
        package let isNormalized: Bool
        /// Per dense layer, its normalisation's output (the dense layer's input); empty for a plain network.
        let normalizedInputs: [UnsafeMutableBufferPointer<Float>]
        /// Per dense layer, `∂L/∂` its normalisation's output.
        let normalizedGradients: [UnsafeMutableBufferPointer<Float>]
        /// Per normalisation, the per-feature values its backward pass needs (``BatchRenormalization``).
        let normalizationCaches: [UnsafeMutableBufferPointer<Float>]
        /// Room for a normalisation's backward sums: 2 × the widest input.
        let normalizationScratch: UnsafeMutableBufferPointer<Float>
        /// Whether the last forward pass normalised in training mode (its backward differs).
        var normalizedInTraining = false
        /// The precision this workspace's products run in (``MatrixPrecision/available`` of the one asked for).
        public let precision: MatrixPrecision
        /// Per dense layer, its bfloat16 products; `nil` for a layer that keeps float32 (all of them in a
        /// float32 workspace).
        let bfloat16Layers: [BFloat16LayerProducts?]

        /// The workspace whose memory this one views (``rows(_:)``), kept alive by it; `nil` when this
        /// workspace owns its buffers.
        private let owner: Workspace?

        init(layers: [DenseLayer], batchSize: Int, normalized: Bool = false, precision: MatrixPrecision = .float32) throws(NetworkError) {
            let layerSizes = [layers[0].inputSize] + layers.map(\.outputSize)
            self.batchSize = batchSize
            self.layerSizes = layerSizes
            owner = nil
            inputBuffer = .allocateZeroed(batchSize * layerSizes[0])
            activations = layerSizes.dropFirst().map { .allocateZeroed(batchSize * $0) }
            gradients = layerSizes.dropFirst().map { .allocateZeroed(batchSize * $0) }
            inputGradientBuffer = .allocateZeroed(batchSize * layerSizes[0])
            transposeScratch = Self.makeTransposeScratch(layerSizes: layerSizes, batchSize: batchSize)
            isNormalized = normalized
            let inputs = normalized ? Array(layerSizes.dropLast()) : []
            normalizedInputs = inputs.map { .allocateZeroed(batchSize * $0) }
            normalizedGradients = inputs.map { .allocateZeroed(batchSize * $0) }
            normalizationCaches = inputs.map { .allocateZeroed(BatchRenormalization.cacheRows * $0) }
            normalizationScratch = .allocateZeroed(2 * (inputs.max() ?? 0))
            self.precision = precision.available
            var bfloat16Layers: [BFloat16LayerProducts?] = []
            for layer in layers {
                bfloat16Layers.append(
                    self.precision == .bfloat16 && BFloat16LayerProducts.applies(to: layer)
                        ? try BFloat16LayerProducts(layer: layer, rows: batchSize) : nil)
            }
            self.bfloat16Layers = bfloat16Layers
        }

        private init(viewing owner: Workspace, rows: Range<Int>) throws(NetworkError) {
            func part(_ buffer: UnsafeMutableBufferPointer<Float>, width: Int) -> UnsafeMutableBufferPointer<Float> {
                UnsafeMutableBufferPointer(start: buffer.baseAddress! + rows.lowerBound * width, count: rows.count * width)
            }
            let sizes = owner.layerSizes
            batchSize = rows.count
            layerSizes = sizes
            self.owner = owner
            inputBuffer = part(owner.inputBuffer, width: sizes[0])
            activations = zip(owner.activations, sizes.dropFirst()).map { part($0, width: $1) }
            gradients = zip(owner.gradients, sizes.dropFirst()).map { part($0, width: $1) }
            inputGradientBuffer = part(owner.inputGradientBuffer, width: sizes[0])
            // Its own, so that passes on two views of one workspace may run at once.
            transposeScratch = Self.makeTransposeScratch(layerSizes: sizes, batchSize: rows.count)
            isNormalized = owner.isNormalized
            let inputs = isNormalized ? Array(sizes.dropLast()) : []
            normalizedInputs = zip(owner.normalizedInputs, inputs).map { part($0, width: $1) }
            normalizedGradients = zip(owner.normalizedGradients, inputs).map { part($0, width: $1) }
            // A view's statistics are its own rows'.
            normalizationCaches = inputs.map { .allocateZeroed(BatchRenormalization.cacheRows * $0) }
            normalizationScratch = .allocateZeroed(2 * (inputs.max() ?? 0))
            precision = owner.precision
            var bfloat16Layers: [BFloat16LayerProducts?] = []
            for products in owner.bfloat16Layers {
                bfloat16Layers.append(
                    try products.map { products throws(NetworkError) in try BFloat16LayerProducts(viewing: products, rows: rows) })
            }
            self.bfloat16Layers = bfloat16Layers
        }

        deinit {
            transposeScratch.deallocate()
            normalizationCaches.forEach { $0.deallocate() }
            normalizationScratch.deallocate()
            guard owner == nil else { return }
            normalizedInputs.forEach { $0.deallocate() }
            normalizedGradients.forEach { $0.deallocate() }
            inputBuffer.deallocate()
            inputGradientBuffer.deallocate()
            activations.forEach { $0.deallocate() }
            gradients.forEach { $0.deallocate() }
        }

        /// A workspace for rows `rows` of this one's batch that shares its memory: a forward pass on this
        /// workspace computes every view's activations at once (one product per layer instead of one per
        /// view), and a view's backward pass then works on its rows alone. Allocate views once, beside
        /// the workspace; passes on two views of distinct rows may run at the same time.
        /// Throws only where a bfloat16 workspace's products cannot be built for the view's rows.
        public func rows(_ rows: Range<Int>) throws(NetworkError) -> Workspace {
            precondition(
                rows.lowerBound >= 0 && rows.upperBound <= batchSize && !rows.isEmpty,
                "rows \(rows) of a workspace of \(batchSize)")
            return try Workspace(viewing: self, rows: rows)
        }

        private static func makeTransposeScratch(layerSizes: [Int], batchSize: Int) -> UnsafeMutableBufferPointer<Float> {
            // Only layers narrower than the limit use it, so it never needs more columns than that.
            let narrowest = min(DenseLayer.narrowInputLimit - 1, layerSizes.dropLast().max() ?? 1)
            return .allocateZeroed(batchSize * narrowest)
        }

        /// The network output, `batchSize × outputSize`.
        package var output: UnsafeMutableBufferPointer<Float> { activations[activations.count - 1] }
        /// Where the caller writes `∂L/∂output` before a backward pass.
        package var outputGradient: UnsafeMutableBufferPointer<Float> { gradients[gradients.count - 1] }

        /// The output copied into a matrix (allocates; for tests and tools, not the hot path).
        public var outputMatrix: Matrix {
            // The count always matches, so this initialiser cannot throw here.
            (try? Matrix(rows: batchSize, columns: layerSizes[layerSizes.count - 1], values: Array(output)))
                ?? Matrix(rows: 0, columns: 0)
        }

        /// The input gradient copied into a matrix (allocates; for tests and tools).
        public var inputGradientMatrix: Matrix {
            (try? Matrix(rows: batchSize, columns: layerSizes[0], values: Array(inputGradientBuffer)))
                ?? Matrix(rows: 0, columns: 0)
        }

        /// Dense layer `layer`'s input: its normalisation's output, or the previous activation (the
        /// network's input for layer 0) in a plain network.
        func input(of layer: Int) -> UnsafePointer<Float> {
            isNormalized ? UnsafePointer(normalizedInputs[layer].baseAddress!) : rawInput(of: layer)
        }

        /// What reaches layer `layer` from below: the previous activation, or the network's input.
        func rawInput(of layer: Int) -> UnsafePointer<Float> {
            UnsafePointer(layer == 0 ? inputBuffer.baseAddress! : activations[layer - 1].baseAddress!)
        }
    }
}
