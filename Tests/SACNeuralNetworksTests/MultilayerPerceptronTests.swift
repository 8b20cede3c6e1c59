import SACTestSupport
import Testing
import SACNeuralNetworks
import SACRandomness

@Suite struct MultilayerPerceptronTests {
    /// Relative error bound for every gradient check (whole-vector, see `relativeError`).
    static let gradientTolerance = 1e-3

    /// L = ½ Σ (y − target)², so ∂L/∂y = y − target.
    private func loss(_ network: MultilayerPerceptron, input: Matrix, target: [Float]) -> Double {
        let workspace = try! network.makeWorkspace(batchSize: input.rows)
        let output = try! network.forward(input, workspace: workspace)
        return zip(output.storage, target).map { 0.5 * Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
    }

    private func fixture(sizes: [Int], batch: Int, seed: UInt64) throws -> (MultilayerPerceptron, Matrix, [Float]) {
        var generator = Xoshiro256StarStar(seed: seed)
        let network = try MultilayerPerceptron(layerSizes: sizes, generator: &generator)
        let input = try Matrix(
            rows: batch, columns: sizes[0],
            values: (0..<(batch * sizes[0])).map { _ in Float(generator.nextUniform(in: -1, 1)) })
        let target = (0..<(batch * sizes.last!)).map { _ in Float(generator.nextUniform(in: -1, 1)) }
        return (network, input, target)
    }

    private func analyticGradients(_ network: inout MultilayerPerceptron, input: Matrix, target: [Float]) throws -> (
        parameters: [Double], input: [Double]
    ) {
        let workspace = try network.makeWorkspace(batchSize: input.rows)
        let output = try network.forward(input, workspace: workspace)
        for i in 0..<target.count { workspace.outputGradient[i] = output.storage[i] - target[i] }
        network.backward(workspace, parameterGradients: true, inputGradient: true)
        return (network.gradients.map(Double.init), workspace.inputGradientMatrix.storage.map(Double.init))
    }

    @Test(arguments: [[4, 5], [3, 8, 8, 2], [6, 16, 16, 1]])
    func parameterGradientsMatchFiniteDifferences(sizes: [Int]) throws {
        var (network, input, target) = try fixture(sizes: sizes, batch: 5, seed: 11)
        let analytic = try analyticGradients(&network, input: input, target: target)
        let numeric = finiteDifferenceGradient(at: network.parameters) { parameters in
            var probe = network
            probe.parameters = parameters
            return loss(probe, input: input, target: target)
        }
        let error = relativeError(analytic.parameters, numeric)
        #expect(error < Self.gradientTolerance, "relative error \(error) for sizes \(sizes)")
    }

    @Test(arguments: [[4, 5], [3, 8, 8, 2]])
    func inputGradientMatchesFiniteDifferences(sizes: [Int]) throws {
        var (network, input, target) = try fixture(sizes: sizes, batch: 4, seed: 12)
        let analytic = try analyticGradients(&network, input: input, target: target)
        let numeric = finiteDifferenceGradient(at: input.storage) { values in
            loss(network, input: try! Matrix(rows: input.rows, columns: input.columns, values: values), target: target)
        }
        let error = relativeError(analytic.input, numeric)
        #expect(error < Self.gradientTolerance, "relative error \(error) for sizes \(sizes)")
    }

    @Test func skippingParameterGradientsLeavesThemUntouchedButStillGivesInputGradient() throws {
        var (network, input, target) = try fixture(sizes: [3, 8, 2], batch: 4, seed: 13)
        let full = try analyticGradients(&network, input: input, target: target)
        network.gradients = [Float](repeating: 7, count: network.parameterCount)
        let workspace = try network.makeWorkspace(batchSize: 4)
        let output = try network.forward(input, workspace: workspace)
        for i in 0..<target.count { workspace.outputGradient[i] = output.storage[i] - target[i] }
        network.backward(workspace, parameterGradients: false, inputGradient: true)
        #expect(network.gradients.allSatisfy { $0 == 7 })
        #expect(workspace.inputGradientMatrix.storage.map(Double.init) == full.input)
    }

    /// Splitting each layer's weight and input gradients across a worker pair changes nothing, bit for bit.
    @Test(arguments: [false, true])
    func backwardOnAWorkerPairEqualsTheSerialPass(accumulate: Bool) throws {
        let (network, input, target) = try fixture(sizes: [5, 32, 24, 3], batch: 16, seed: 15)
        func backward(pair: WorkerPair?) throws -> (parameters: [Float], input: [Float]) {
            var network = network
            network.gradients = [Float](repeating: 0.5, count: network.parameterCount)
            let workspace = try network.makeWorkspace(batchSize: 16)
            let output = try network.forward(input, workspace: workspace)
            for i in 0..<target.count { workspace.outputGradient[i] = output.storage[i] - target[i] }
            network.backward(workspace, inputGradient: true, accumulate: accumulate, pair: pair)
            return (network.gradients, Array(workspace.inputGradientBuffer))
        }
        let serial = try backward(pair: nil), split = try backward(pair: WorkerPair())
        #expect(serial.parameters == split.parameters && serial.input == split.input)
        #expect(serial.parameters.contains { $0 != 0.5 } && serial.input.contains { $0 != 0 })
    }

    /// An Adam step and a Polyak step taken a layer at a time as the backward pass finishes each layer give
    /// the bits of the plain pass followed by the whole-network steps, with or without a worker pair: the
    /// input gradients still come from the weights before the step, and the layers' ranges cover every
    /// parameter once, last layer first.
    @Test(arguments: [false, true])
    func steppingEachLayerAsItIsDoneEqualsSteppingAfterThePass(onPair: Bool) throws {
        let (start, input, target) = try fixture(sizes: [5, 32, 24, 3], batch: 16, seed: 17)
        let targetStart = start.parameters.map { $0 * 0.5 + 0.1 }
        func pass(_ network: inout MultilayerPerceptron) throws -> MultilayerPerceptron.Workspace {
            let workspace = try network.makeWorkspace(batchSize: 16)
            let output = try network.forward(input, workspace: workspace)
            for i in 0..<target.count { workspace.outputGradient[i] = output.storage[i] - target[i] }
            return workspace
        }
        let pair = onPair ? WorkerPair() : nil

        var plain = start, plainTarget = targetStart
        var plainAdam = Adam(parameterCount: start.parameterCount)
        let plainWorkspace = try pass(&plain)
        plain.backward(plainWorkspace, inputGradient: true, pair: pair)
        plainAdam.step(parameters: &plain.parameters, gradients: plain.gradients)
        PolyakAveraging.update(target: &plainTarget, toward: plain.parameters, tau: 0.005)

        var fused = start, fusedTarget = targetStart
        var fusedAdam = Adam(parameterCount: start.parameterCount)
        let coefficients = fusedAdam.beginStep()
        let fusedWorkspace = try pass(&fused)
        var ranges: [Range<Int>] = []
        fusedAdam.withMoments { m, v in
            fusedTarget.withUnsafeMutableBufferPointer { t in
                fused.backward(fusedWorkspace, inputGradient: true, pair: pair) { parameters, gradients, range in
                    ranges.append(range)
                    Adam.apply(coefficients, firstMoment: m, secondMoment: v, parameters: parameters, gradients: gradients, range: range)
                    PolyakAveraging.update(target: t.baseAddress!, toward: parameters, tau: 0.005, range: range)
                }
            }
        }
        #expect(
            ranges == [fused.layers[2], fused.layers[1], fused.layers[0]].map { $0.weightOffset..<($0.weightOffset + $0.parameterCount) })
        #expect(ranges.map(\.count).reduce(0, +) == start.parameterCount)
        #expect(fused.gradients == plain.gradients)
        #expect(Array(fusedWorkspace.inputGradientBuffer) == Array(plainWorkspace.inputGradientBuffer))
        #expect(fused.parameters == plain.parameters && fused.parameters != start.parameters)
        #expect(fusedTarget == plainTarget && fusedAdam == plainAdam)
    }

    /// One forward pass on a workspace computes its row views' activations; a view's backward pass is that
    /// of a workspace holding those rows alone.
    @Test func rowViewsShareTheForwardPassAndBackPropagateTheirOwnRows() throws {
        var (network, input, target) = try fixture(sizes: [4, 16, 16, 3], batch: 10, seed: 16)
        let whole = try network.makeWorkspace(batchSize: 10)
        let first = try whole.rows(0..<6), second = try whole.rows(6..<10)
        _ = try network.forward(input, workspace: whole)
        let alone = try network.makeWorkspace(batchSize: 4)
        let secondRows = try Matrix(rows: 4, columns: 4, values: Array(input.storage[24...]))
        let output = try network.forward(secondRows, workspace: alone)
        #expect(Array(second.output) == output.storage && first.output.count == 18 && second.inputBuffer[0] == input.storage[24])
        for i in 0..<12 {
            second.outputGradient[i] = output.storage[i] - target[18 + i]
            alone.outputGradient[i] = output.storage[i] - target[18 + i]
        }
        network.backward(second, inputGradient: true)
        let viewGradients = network.gradients
        network.backward(alone, inputGradient: true)
        #expect(viewGradients == network.gradients && Array(second.inputGradientBuffer) == Array(alone.inputGradientBuffer))
        #expect(viewGradients.contains { $0 != 0 })
    }

    @Test func accumulateAddsToExistingGradients() throws {
        var (network, input, target) = try fixture(sizes: [3, 8, 2], batch: 4, seed: 14)
        let once = try analyticGradients(&network, input: input, target: target).parameters
        let workspace = try network.makeWorkspace(batchSize: 4)
        let output = try network.forward(input, workspace: workspace)
        for i in 0..<target.count { workspace.outputGradient[i] = output.storage[i] - target[i] }
        network.backward(workspace, accumulate: true)
        for (twice, single) in zip(network.gradients, once) { #expect(abs(Double(twice) - 2 * single) <= 1e-5 * max(1, abs(single))) }
    }

    @Test func pytorchDefaultInitialisationBounds() throws {
        var generator = Xoshiro256StarStar(seed: 1)
        let network = try MultilayerPerceptron(layerSizes: [16, 64, 4], generator: &generator)
        for layer in network.layers {
            let bound = Float(1 / Double(layer.inputSize).squareRoot())
            let slice = network.parameters[layer.weightOffset..<(layer.weightOffset + layer.parameterCount)]
            #expect(slice.allSatisfy { abs($0) <= bound })
            // Uniform on ±bound fills the range: the extremes come close to it.
            #expect(slice.max()! > 0.9 * bound && slice.min()! < -0.9 * bound)
        }
        #expect(network.parameterCount == 16 * 64 + 64 + 64 * 4 + 4)
    }

    @Test func wrongShapesAreTypedErrors() throws {
        var generator = Xoshiro256StarStar(seed: 1)
        let network = try MultilayerPerceptron(layerSizes: [3, 4, 2], generator: &generator)
        let workspace = try network.makeWorkspace(batchSize: 2)
        #expect(throws: NetworkError.self) { try network.forward(Matrix(rows: 2, columns: 4), workspace: workspace) }
        #expect(throws: NetworkError.self) { try network.forward(Matrix(rows: 3, columns: 3), workspace: workspace) }
        #expect(throws: NetworkError.invalidLayerSizes([3])) { try MultilayerPerceptron(layerSizes: [3]) }
        #expect(throws: NetworkError.invalidLayerSizes([3, 0, 1])) { try MultilayerPerceptron(layerSizes: [3, 0, 1]) }
        #expect(throws: NetworkError.invalidBatchSize(0)) { try network.makeWorkspace(batchSize: 0) }
    }
}
