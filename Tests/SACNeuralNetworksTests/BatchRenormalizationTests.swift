import SACTestSupport
import SACNeuralNetworks
import SACRandomness
import Testing

/// Batch renormalisation inside a network (CrossQ's layers): gradients against finite differences in
/// training mode (warm-up, and renormalising with r and d at their bounds, where they are constant as the
/// analytic gradient assumes) and inference mode; the running statistics; the column-restricted and
/// two-thread backward passes.
@Suite struct BatchRenormalizationTests {
    static let gradientTolerance = 2e-3

    enum Mode { case training, inference }

    /// A normalised network with weights, scales and shifts away from their initial 1 and 0.
    static func fixture(sizes: [Int], batch: Int, seed: UInt64, warmupSteps: Int = 100_000) throws -> (
        MultilayerPerceptron, [Float], [Float]
    ) {
        var generator = Xoshiro256StarStar(seed: seed)
        var configuration = BatchRenormalization.Configuration()
        configuration.warmupSteps = warmupSteps
        var network = try MultilayerPerceptron(layerSizes: sizes, normalization: configuration, generator: &generator)
        for layer in network.normalizations {
            for j in 0..<layer.features {
                network.parameters[layer.scaleOffset + j] = Float(generator.nextUniform(in: 0.5, 1.5))
                network.parameters[layer.shiftOffset + j] = Float(generator.nextUniform(in: -0.3, 0.3))
            }
        }
        let input = (0..<(batch * sizes[0])).map { _ in Float(generator.nextUniform(in: -1, 1)) }
        let target = (0..<(batch * sizes.last!)).map { _ in Float(generator.nextUniform(in: -1, 1)) }
        return (network, input, target)
    }

    /// L = ½ Σ (y − target)² after a pass in `mode` (on a copy: a training pass moves the statistics).
    static func loss(_ network: MultilayerPerceptron, input: [Float], target: [Float], mode: Mode) -> Double {
        var network = network
        let workspace = try! network.makeWorkspace(batchSize: input.count / network.inputSize)
        _ = input.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
        if mode == .training { network.forwardTraining(workspace) } else { network.forward(workspace) }
        return zip(workspace.output, target).map { 0.5 * Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
    }

    static func analytic(_ network: MultilayerPerceptron, input: [Float], target: [Float], mode: Mode) throws -> (
        parameters: [Double], input: [Double]
    ) {
        var network = network
        let workspace = try network.makeWorkspace(batchSize: input.count / network.inputSize)
        _ = input.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
        if mode == .training { network.forwardTraining(workspace) } else { network.forward(workspace) }
        for i in 0..<target.count { workspace.outputGradient[i] = workspace.output[i] - target[i] }
        network.backward(workspace, parameterGradients: true, inputGradient: true)
        return (network.gradients.map(Double.init), workspace.inputGradientBuffer.map(Double.init))
    }

    static func check(_ network: MultilayerPerceptron, input: [Float], target: [Float], mode: Mode, step: Float = 1e-3) throws {
        let analytic = try analytic(network, input: input, target: target, mode: mode)
        let parameters = finiteDifferenceGradient(at: network.parameters, step: step) { p in
            var probe = network
            probe.parameters = p
            return loss(probe, input: input, target: target, mode: mode)
        }
        let inputs = finiteDifferenceGradient(at: input, step: step) { loss(network, input: $0, target: target, mode: mode) }
        let parameterError = relativeError(analytic.parameters, parameters), inputError = relativeError(analytic.input, inputs)
        #expect(parameterError < gradientTolerance, "parameter gradient relative error \(parameterError) (\(mode))")
        #expect(inputError < gradientTolerance, "input gradient relative error \(inputError) (\(mode))")
    }

    @Test(arguments: [[4, 6, 2], [3, 8, 8, 1]])
    func trainingModeDuringTheWarmUpMatchesFiniteDifferences(sizes: [Int]) throws {
        let (network, input, target) = try Self.fixture(sizes: sizes, batch: 7, seed: 21)
        try Self.check(network, input: input, target: target, mode: .training)
    }

    /// Past the warm-up, with running statistics far from the batch's: r and d sit at their bounds, so
    /// they are constant near this point and the finite differences see what the analytic gradient
    /// (which holds them constant) computes — the renormalising terms included. One normalised dense
    /// layer: shifted by d·σ/r, a hidden layer's ReLU columns turn nearly constant over the batch, where the
    /// term d/(rσ) curves the loss beyond what a finite difference resolves (the warm-up test covers the
    /// layers' composition). x̂ lands near d, so β = −γ·d brings the outputs back near 0, and without a
    /// ReLU the loss is smooth: with a step of 1e-2 float32 rounding stays out of the differences.
    @Test(arguments: [(-1000.0, 1e4, "r = 1/rMax, d = dMax"), (1000.0, 1e-4, "r = rMax, d = −dMax")])
    func trainingModeWhileRenormalisingMatchesFiniteDifferences(runningMean: Double, runningVariance: Double, label: String) throws {
        var (network, input, target) = try Self.fixture(sizes: [4, 3], batch: 7, seed: 22, warmupSteps: 0)
        network.normalizationSteps = 1
        let d: Float = runningMean < 0 ? 5 : -5
        for layer in network.normalizations {
            for j in 0..<layer.features {
                network.parameters[layer.shiftOffset + j] = -d * network.parameters[layer.scaleOffset + j]
                network.normalizationStatistics[layer.statisticsOffset + j] = Float(runningMean)
                network.normalizationStatistics[layer.statisticsOffset + layer.features + j] = Float(runningVariance)
            }
        }
        try Self.check(network, input: input, target: target, mode: .training, step: 1e-2)
    }

    @Test func inferenceModeMatchesFiniteDifferences() throws {
        var (network, input, target) = try Self.fixture(sizes: [3, 8, 8, 1], batch: 5, seed: 23)
        var generator = Xoshiro256StarStar(seed: 5)
        for i in network.normalizationStatistics.indices {
            network.normalizationStatistics[i] = Float(generator.nextUniform(in: 0.2, 2))
        }
        try Self.check(network, input: input, target: target, mode: .inference)
    }

    @Test func aTrainingPassMovesTheRunningStatisticsByTheMomentum() throws {
        var (network, input, _) = try Self.fixture(sizes: [3, 4, 1], batch: 6, seed: 24)
        let workspace = try network.makeWorkspace(batchSize: 6)
        _ = input.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
        network.forwardTraining(workspace)
        #expect(network.normalizationSteps == 1)
        for j in 0..<3 {
            let column = (0..<6).map { Double(input[$0 * 3 + j]) }
            let mean = column.reduce(0, +) / 6
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
            #expect(abs(Double(network.normalizationStatistics[j]) - 0.01 * mean) < 1e-6)
            #expect(abs(Double(network.normalizationStatistics[3 + j]) - (0.99 + 0.01 * variance)) < 1e-6)
        }
        // Inference leaves them alone and gives the same output every time.
        let statistics = network.normalizationStatistics
        network.forward(workspace)
        let first = Array(workspace.output)
        network.forward(workspace)
        #expect(Array(workspace.output) == first && network.normalizationStatistics == statistics)
    }

    /// The actor loss asks a critic for ∂Q/∂a alone: those columns equal the full pass's, in both modes.
    @Test(arguments: [Mode.training, Mode.inference])
    func inputColumnsAloneEqualTheFullPass(mode: Mode) throws {
        let (network, input, target) = try Self.fixture(sizes: [5, 8, 1], batch: 6, seed: 25)
        let full = try Self.analytic(network, input: input, target: target, mode: mode).input
        var probe = network
        let workspace = try probe.makeWorkspace(batchSize: 6)
        _ = input.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
        if mode == .training { probe.forwardTraining(workspace) } else { probe.forward(workspace) }
        for i in 0..<target.count { workspace.outputGradient[i] = workspace.output[i] - target[i] }
        probe.backward(workspace, parameterGradients: false, inputGradient: true, inputColumns: 3..<5)
        for row in 0..<6 {
            for column in 3..<5 { #expect(Double(workspace.inputGradientBuffer[row * 5 + column]) == full[row * 5 + column]) }
        }
    }

    @Test func backwardOnAWorkerPairEqualsTheSerialPass() throws {
        let (network, input, target) = try Self.fixture(sizes: [5, 32, 24, 3], batch: 16, seed: 26)
        func backward(pair: WorkerPair?) throws -> [Float] {
            var network = network
            let workspace = try network.makeWorkspace(batchSize: 16)
            _ = input.withUnsafeBufferPointer { workspace.inputBuffer.update(fromContentsOf: $0) }
            network.forwardTraining(workspace)
            for i in 0..<target.count { workspace.outputGradient[i] = workspace.output[i] - target[i] }
            network.backward(workspace, inputGradient: true, pair: pair)
            return network.gradients + Array(workspace.inputGradientBuffer)
        }
        #expect(try backward(pair: nil) == backward(pair: WorkerPair()))
    }
}
