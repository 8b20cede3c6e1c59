import Testing
import SACNeuralNetworks
import SACRandomness

@Suite struct DenseLayerTests {
    /// A layer with a narrow input computes ∂L/∂x through the transposed product and a scratch buffer
    /// (to keep OpenBLAS from allocating); it must agree with the direct product.
    @Test(arguments: [1, 4, 15, 16, 40])
    func inputGradientWithScratchAgreesWithTheDirectProduct(inputSize: Int) {
        let layer = DenseLayer(inputSize: inputSize, outputSize: 32, offset: 0)
        let batch = 7
        var generator = Xoshiro256StarStar(seed: UInt64(inputSize))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(generator.nextUniform(in: -1, 1)) } }
        let parameters = random(layer.parameterCount), input = random(batch * inputSize), outputGradient = random(batch * 32)
        var direct = [Float](repeating: .nan, count: batch * inputSize)
        var viaScratch = [Float](repeating: .nan, count: batch * inputSize)
        var scratch = [Float](repeating: 0, count: batch * inputSize)
        layer.backward(
            input: input, outputGradient: outputGradient, batch: batch, parameters: parameters, gradients: nil, inputGradient: &direct)
        layer.backward(
            input: input, outputGradient: outputGradient, batch: batch, parameters: parameters, gradients: nil,
            inputGradient: &viaScratch, transposeScratch: &scratch)
        for i in direct.indices {
            var expected: Float = 0
            for j in 0..<32 { expected += outputGradient[i / inputSize * 32 + j] * parameters[j * inputSize + i % inputSize] }
            #expect(
                abs(direct[i] - expected) <= 1e-5 && abs(viaScratch[i] - expected) <= 1e-5,
                "element \(i): \(direct[i]), \(viaScratch[i]), expected \(expected)")
        }
    }

    /// A block of input columns (∂Q/∂a of a critic fed [s, a]): each column as the full gradient has it,
    /// through the scratch below 16 columns and the direct product from 16 on; the other columns untouched.
    @Test(arguments: [(23, 17..<23), (4, 3..<4), (40, 4..<24), (40, 0..<40), (20, 19..<20)])
    func aBlockOfInputColumnsMatchesTheFullGradient(inputSize: Int, columns: Range<Int>) {
        let layer = DenseLayer(inputSize: inputSize, outputSize: 32, offset: 0)
        let batch = 9
        var generator = Xoshiro256StarStar(seed: UInt64(inputSize * 100 + columns.lowerBound))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(generator.nextUniform(in: -1, 1)) } }
        let parameters = random(layer.parameterCount), input = random(batch * inputSize), outputGradient = random(batch * 32)
        var full = [Float](repeating: 0, count: batch * inputSize)
        var block = [Float](repeating: .nan, count: batch * inputSize)
        var scratch = [Float](repeating: 0, count: batch * min(inputSize, DenseLayer.narrowInputLimit - 1))
        layer.backward(
            input: input, outputGradient: outputGradient, batch: batch, parameters: parameters, gradients: nil, inputGradient: &full)
        layer.backward(
            input: input, outputGradient: outputGradient, batch: batch, parameters: parameters, gradients: nil,
            inputGradient: &block, inputColumns: columns, transposeScratch: &scratch)
        for row in 0..<batch {
            for column in 0..<inputSize {
                let value = block[row * inputSize + column]
                if columns.contains(column) {
                    #expect(
                        abs(value - full[row * inputSize + column]) <= 1e-5,
                        "row \(row) column \(column): \(value) vs \(full[row * inputSize + column])")
                } else {
                    #expect(value.isNaN, "row \(row) column \(column) outside \(columns) was written")
                }
            }
        }
    }
}
