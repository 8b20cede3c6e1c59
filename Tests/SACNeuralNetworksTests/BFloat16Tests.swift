import SACTestSupport
import CSACOpenBLAS
import CSACVectorKernels
import Testing
@testable import SACNeuralNetworks
import SACRandomness

/// bfloat16 products (`MatrixPrecision.bfloat16`): rounding, gradients against float32's, the split and
/// row views, and the fallback where the machine has no native bfloat16.
@Suite struct BFloat16Tests {
    static let native = MatrixPrecision.bfloat16Unavailability == nil

    /// The float32 value of a bfloat16 bit pattern.
    private func value(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    @Test func roundingIsToNearestEvenAndKeepsSpecialValues() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3f80), (-2, 0xc000), (0, 0x0000), (-0.0, 0x8000), (.infinity, 0x7f80), (-.infinity, 0xff80),
            (Float(bitPattern: 0x3f80_8000), 0x3f80), // halfway, even below: stays
            (Float(bitPattern: 0x3f81_8000), 0x3f82), // halfway, odd below: rounds up to even
            (Float(bitPattern: 0x3f80_8001), 0x3f81), // above halfway: up
            (Float(bitPattern: 0x3f80_7fff), 0x3f80), // below halfway: down
            (.greatestFiniteMagnitude, 0x7f80), // rounds past the largest bfloat16 to infinity
        ]
        for useVectors in [Int32(0), Self.native ? 1 : 0] {
            // 40 values: 32 through the vector loop (when used), the rest through the scalar tail.
            let source = (0..<40).map { cases[$0 % cases.count].0 }
            var rounded = [UInt16](repeating: 0, count: 40)
            sac_bfloat16_from_float(source, &rounded, 40, useVectors)
            for i in 0..<40 { #expect(rounded[i] == cases[i % cases.count].1, "element \(i), vectors \(useVectors)") }
            var nan = [UInt16](repeating: 0, count: 33)
            sac_bfloat16_from_float([Float](repeating: .nan, count: 33), &nan, 33, useVectors)
            #expect(nan.allSatisfy { value($0).isNaN })
        }
    }

    /// libxsmm's operand layouts, whole vector blocks and masked partial ones alike, against a plain
    /// reference: every rounded element where libxsmm reads it, every padding element zero. The scalar
    /// path always, the AVX-512 one where the CPU has AVX512_BF16.
    @Test(arguments: [(37, 70), (64, 64), (33, 17), (16, 32), (256, 23), (12, 256), (1, 5), (128, 6), (7, 33)])
    func packedLayoutsHoldEachRoundedElementWhereLibxsmmReadsIt(rows: Int, columns: Int) {
        var generator = Xoshiro256StarStar(seed: 9)
        let source = (0..<(rows * columns)).map { _ in Float(generator.nextUniform(in: -3, 3)) }
        var rounded = [UInt16](repeating: 0, count: rows * columns)
        sac_bfloat16_from_float(source, &rounded, rows * columns, 0)
        func element(_ r: Int, _ c: Int) -> UInt16 { r < rows && c < columns ? rounded[r * columns + c] : 0 }
        for vectors: Int32 in Self.native ? [0, 1] : [0] {
            let evenRows = rows + rows % 2, evenColumns = columns + columns % 2
            var rowPairs = [UInt16](repeating: 1, count: evenRows * columns)
            var columnPairs = [UInt16](repeating: 1, count: rows * evenColumns)
            var transposed = [UInt16](repeating: 1, count: columns * (rows + 3))
            var padded = [UInt16](repeating: 1, count: rows * (columns + 3))
            sac_bfloat16_pack_row_pairs(source, rows, columns, &rowPairs, vectors)
            sac_bfloat16_pack_column_pairs(source, rows, columns, &columnPairs, vectors)
            sac_bfloat16_round_transposed(source, rows, columns, &transposed, rows + 3, &padded, columns + 3, vectors)
            var mismatches = 0
            for r in 0..<evenRows {
                for c in 0..<columns where rowPairs[((r / 2) * columns + c) * 2 + r % 2] != element(r, c) { mismatches += 1 }
            }
            for r in 0..<rows {
                for c in 0..<evenColumns where columnPairs[((c / 2) * rows + r) * 2 + c % 2] != element(r, c) { mismatches += 1 }
            }
            for c in 0..<columns { for r in 0..<(rows + 3) where transposed[c * (rows + 3) + r] != element(r, c) { mismatches += 1 } }
            for r in 0..<rows { for c in 0..<(columns + 3) where padded[r * (columns + 3) + c] != element(r, c) { mismatches += 1 } }
            #expect(mismatches == 0, "\(rows)×\(columns), vectors \(vectors): \(mismatches) misplaced elements")
        }
    }

    /// A layer's bias and ReLU in one pass: NaN becomes 0 as in `ReLU.forward`, and the masked tail of a
    /// row that is not a multiple of 16 wide is handled like the rest. The scalar path always, the AVX-512
    /// one where the CPU has it.
    @Test func biasAndReLUInOnePass() {
        let rows = 3, columns = 21
        let bias = (0..<columns).map { Float($0) - 10 }
        var input = (0..<(rows * columns)).map { Float($0 % 7) - 3 }
        input[5] = .nan
        var sums = input
        for r in 0..<rows { for c in 0..<columns { sums[r * columns + c] = input[r * columns + c] + bias[c] } }
        for vectors: Int32 in sac_cpu_vector_level() >= 3 ? [0, 1] : [0] {
            var output = input, linear = input
            sac_add_bias(&output, bias, rows, columns, 1, vectors)
            sac_add_bias(&linear, bias, rows, columns, 0, vectors)
            #expect(output == sums.map { max(0, $0) } && output[5] == 0, "vectors \(vectors)")
            #expect(
                zip(linear, sums).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) } && linear[5].isNaN && linear.contains { $0 < 0 },
                "vectors \(vectors)")
        }
    }

    /// The vector conversion gives the scalar one's bits on ordinary values.
    @Test(.enabled(if: native, "needs AVX512_BF16")) func vectorAndScalarRoundingAgree() {
        var generator = Xoshiro256StarStar(seed: 5)
        let source = (0..<1_000).map { _ in Float(generator.nextUniform(in: -1e3, 1e3)) }
        var vector = [UInt16](repeating: 0, count: 1_000), scalar = vector
        sac_bfloat16_from_float(source, &vector, 1_000, 1)
        sac_bfloat16_from_float(source, &scalar, 1_000, 0)
        #expect(vector == scalar)
    }

    private func gradients(
        sizes: [Int], batch: Int, precision: MatrixPrecision, normalized: Bool = false,
        pair: WorkerPair? = nil
    ) throws -> (output: [Float], parameters: [Float], input: [Float], precision: MatrixPrecision) {
        var generator = Xoshiro256StarStar(seed: 21)
        var network = try MultilayerPerceptron(layerSizes: sizes, normalization: normalized ? .init() : nil, generator: &generator)
        let workspace = try network.makeWorkspace(batchSize: batch, precision: precision)
        for i in 0..<workspace.inputBuffer.count { workspace.inputBuffer[i] = Float(generator.nextUniform(in: -1, 1)) }
        network.forwardTraining(workspace)
        let output = Array(workspace.output)
        for i in 0..<output.count { workspace.outputGradient[i] = output[i] - Float(i % 3) * 0.1 }
        network.backward(workspace, parameterGradients: true, inputGradient: true, pair: pair)
        return (output, network.gradients, Array(workspace.inputGradientBuffer), workspace.precision)
    }

    /// A bfloat16 layer's products round their inputs to 8 significant bits (relative error ≤ 2⁻⁹ each) and
    /// accumulate in float32, so its output and gradients stay within 1 % (in norm) of float32's; about
    /// 0.3 % is typical. One linear layer is checked, since in a deeper network a ReLU whose input lies
    /// within rounding of zero can switch and move one row's gradient further (the learning runs in
    /// docs/bf16.md show what that does to training).
    @Test(
        .enabled(if: native, "needs AVX512_BF16"),
        arguments: [([64, 48], false), ([96, 64], false), ([4, 48], false), ([64, 48], true), ([23, 12], false), ([17, 33], false)])
    func layerGradientsAgreeWithFloat32(sizes: [Int], normalized: Bool) throws {
        // An odd batch, and odd widths in the last two cases: libxsmm's operands are padded to pairs.
        let single = try gradients(sizes: sizes, batch: 41, precision: .float32, normalized: normalized)
        let half = try gradients(sizes: sizes, batch: 41, precision: .bfloat16, normalized: normalized)
        #expect(half.precision == .bfloat16)
        func error(_ a: [Float], _ b: [Float]) -> Double { relativeError(a.map(Double.init), b.map(Double.init)) }
        let errors = [error(half.output, single.output), error(half.parameters, single.parameters), error(half.input, single.input)]
        #expect(errors.allSatisfy { $0 < 0.01 }, "relative errors \(errors) (output, parameters, input)")
        // …and they do differ: the product really ran in bfloat16.
        #expect(errors.allSatisfy { $0 > 1e-5 }, "relative errors \(errors)")
    }

    /// The split backward pass and a pass on row views give the unsplit pass's bits, as in float32.
    @Test(.enabled(if: native, "needs AVX512_BF16")) func splitAndViewsMatchTheWholePass() throws {
        let sizes = [6, 64, 64, 2]
        let whole = try gradients(sizes: sizes, batch: 32, precision: .bfloat16)
        let split = try gradients(sizes: sizes, batch: 32, precision: .bfloat16, pair: WorkerPair())
        #expect(split.parameters == whole.parameters && split.input == whole.input)

        var generator = Xoshiro256StarStar(seed: 21)
        var network = try MultilayerPerceptron(layerSizes: sizes, generator: &generator)
        let workspace = try network.makeWorkspace(batchSize: 32, precision: .bfloat16)
        for i in 0..<workspace.inputBuffer.count { workspace.inputBuffer[i] = Float(generator.nextUniform(in: -1, 1)) }
        network.forward(workspace)
        for i in 0..<workspace.outputGradient.count { workspace.outputGradient[i] = workspace.output[i] - Float(i % 3) * 0.1 }
        let top = try workspace.rows(0..<20), bottom = try workspace.rows(20..<32)
        network.backward(top, inputGradient: true)
        let topGradients = network.gradients
        network.backward(bottom, inputGradient: true, accumulate: true)
        // Two products summed differ from one in the last bits; the input gradients are row-wise and equal.
        #expect(Array(workspace.inputGradientBuffer) == whole.input)
        #expect(relativeError(network.gradients.map(Double.init), whole.parameters.map(Double.init)) < 1e-5)
        #expect(topGradients != network.gradients)
    }

    @Test func withoutNativeBFloat16TheProductsStayFloat32() throws {
        #expect(BFloat16Support.unavailability(cpuHasBFloat16: false, libxsmmTarget: 1022) == "this CPU has no AVX512_BF16 instructions")
        #expect(BFloat16Support.unavailability(cpuHasBFloat16: true, libxsmmTarget: 1020)?.contains("LIBXSMM_TARGET") == true)
        #expect(BFloat16Support.unavailability(cpuHasBFloat16: true, libxsmmTarget: 1022) == nil)
        // On this machine: a bfloat16 workspace is bfloat16 exactly when the machine has it.
        var generator = Xoshiro256StarStar(seed: 1)
        let network = try MultilayerPerceptron(layerSizes: [4, 64, 1], generator: &generator)
        let workspace = try network.makeWorkspace(batchSize: 8, precision: .bfloat16)
        #expect(workspace.precision == (Self.native ? .bfloat16 : .float32))
        #expect(MatrixPrecision.float32.available == .float32)
    }

    /// Layers with fewer than `bfloat16MinimumWidth` outputs stay float32; those with fewer inputs round
    /// their forward product only.
    @Test(.enabled(if: native, "needs AVX512_BF16")) func narrowLayersKeepFloat32Products() throws {
        var generator = Xoshiro256StarStar(seed: 1)
        for (sizes, products, gradients) in [
            ([3, 256, 256, 2], [true, true, false], [false, true]),
            ([17, 256, 256, 12], [true, true, true], [true, true, true]),
        ] {
            let network = try MultilayerPerceptron(layerSizes: sizes, generator: &generator)
            let workspace = try network.makeWorkspace(batchSize: 8, precision: .bfloat16)
            #expect(workspace.bfloat16Layers.map { $0 != nil } == products, "\(sizes)")
            #expect(workspace.bfloat16Layers.compactMap { $0?.roundsGradients } == gradients, "\(sizes)")
        }
    }
}
