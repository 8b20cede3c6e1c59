import Testing
@testable import SACNeuralNetworks

@Suite struct AdamTests {
    /// Two steps of PyTorch's Adam (lr 0.1, β = (0.9, 0.999), ε = 1e-8) worked by hand in float64:
    ///
    /// step 1, g = (0.5, −3):  m = (0.05, −0.3), v = (2.5e-4, 9e-3); m̂ = (0.5, −3), √v̂ = (0.5, 3)
    ///   θ = (1, −2) − 0.1·(0.5/(0.5+ε), −3/(3+ε)) = (0.900000002, −1.9000000003)
    /// step 2, g = (−0.25, 1): m = (0.02, −0.17), v = (3.1225e-4, 9.991e-3)
    ///   bias corrections 1 − 0.9² = 0.19, 1 − 0.999² = 0.001999
    ///   θ₀ = 0.900000002 − (0.1/0.19)·0.02/(√(3.1225e-4/0.001999) + ε) = 0.8733662987
    ///   θ₁ = −1.9000000003 − (0.1/0.19)·(−0.17)/(√(9.991e-3/0.001999) + ε) = −1.8599781433
    @Test func twoStepTraceMatchesHandComputation() {
        var adam = Adam(parameterCount: 2, learningRate: 0.1)
        var parameters: [Float] = [1, -2]
        adam.step(parameters: &parameters, gradients: [0.5, -3])
        #expect(abs(parameters[0] - 0.900000002) < 1e-6 && abs(parameters[1] - -1.9000000003) < 1e-6)
        #expect(abs(adam.firstMoment[0] - 0.05) < 1e-7 && abs(adam.secondMoment[1] - 9e-3) < 1e-8)
        adam.step(parameters: &parameters, gradients: [-0.25, 1])
        #expect(abs(Double(parameters[0]) - 0.8733662987) < 1e-6)
        #expect(abs(Double(parameters[1]) - -1.8599781433) < 1e-6)
        #expect(abs(adam.firstMoment[1] - -0.17) < 1e-6 && abs(adam.secondMoment[0] - 3.1225e-4) < 1e-9)
        #expect(adam.stepCount == 2)
    }

    /// The eight-lane loop and its scalar tail (19 = 2·8 + 3 parameters) both apply the scalar formula.
    @Test func everyElementFollowsTheScalarFormula() {
        var adam = Adam(parameterCount: 19, learningRate: 0.01)
        var parameters = (0..<19).map { Float($0) * 0.37 - 3 }
        let gradients = (0..<19).map { Float($0 % 5) * 0.9 - 1.7 }
        let start = parameters
        adam.step(parameters: &parameters, gradients: gradients)
        let stepSize = Float(0.01 / (1 - 0.9))
        let inverseCorrection2 = Float(1 / (1 - 0.999).squareRoot())
        for i in 0..<19 {
            let m = 0 + Float(1 - 0.9) * (gradients[i] - 0)
            let v = Float(0.999) * 0 + Float(1 - 0.999) * gradients[i] * gradients[i]
            #expect(adam.firstMoment[i] == m && adam.secondMoment[i] == v)
            #expect(parameters[i] == start[i] - stepSize * (m / (v.squareRoot() * inverseCorrection2 + 1e-8)), "element \(i)")
        }
    }

    /// A step applied in parts (as two threads do) equals the whole step, wherever the parts split.
    @Test func aStepInPartsEqualsTheWholeStep() {
        let count = 45
        let gradients = (0..<count).map { Float(($0 * 7) % 11) * 0.3 - 1.4 }
        var whole = Adam(parameterCount: count, learningRate: 0.02)
        var expected = (0..<count).map { Float($0) * 0.11 - 2 }
        let start = expected
        for _ in 0..<3 { whole.step(parameters: &expected, gradients: gradients) }
        for split in [0, 5, 8, 16, 21, 45] {
            var parts = Adam(parameterCount: count, learningRate: 0.02)
            var parameters = start
            for _ in 0..<3 {
                let coefficients = parts.beginStep()
                parts.firstMoment.withUnsafeMutableBufferPointer { m in
                    parts.secondMoment.withUnsafeMutableBufferPointer { v in
                        parameters.withUnsafeMutableBufferPointer { p in
                            gradients.withUnsafeBufferPointer { g in
                                for range in [split..<count, 0..<split] {
                                    Adam.apply(
                                        coefficients, firstMoment: m.baseAddress!, secondMoment: v.baseAddress!,
                                        parameters: p.baseAddress!, gradients: g.baseAddress!, range: range)
                                }
                            }
                        }
                    }
                }
            }
            #expect(parameters == expected, "split at \(split)")
            #expect(parts == whole, "split at \(split)")
        }
    }

    @Test func zeroGradientLeavesParametersAtRest() {
        var adam = Adam(parameterCount: 3)
        var parameters: [Float] = [0.1, 0.2, 0.3]
        adam.step(parameters: &parameters, gradients: [0, 0, 0])
        #expect(parameters == [0.1, 0.2, 0.3])
    }
}

@Suite struct PolyakAveragingTests {
    @Test func movesTargetTauOfTheWay() {
        var target: [Float] = [0, 10, -4]
        PolyakAveraging.update(target: &target, toward: [1, 0, 4], tau: 0.25)
        #expect(target == [0.25, 7.5, -2])
        PolyakAveraging.update(target: &target, toward: [1, 0, 4], tau: 1)
        #expect(target == [1, 0, 4])
    }

    /// The eight-lane loop and its scalar tail give the scalar formula on every element.
    @Test func longVectorsFollowTheScalarFormula() {
        let online = (0..<21).map { Float($0) * 0.3 - 2 }
        let start = (0..<21).map { Float($0 % 4) - 1.5 }
        var target = start
        PolyakAveraging.update(target: &target, toward: online, tau: 0.005)
        #expect(target == zip(start, online).map { $0 * (1 - 0.005) + 0.005 * $1 })
    }

    /// The pointer form over a range changes that range exactly as the array form would, and nothing else.
    @Test func aRangeMovesOnlyItsElements() {
        let online = (0..<40).map { Float($0) * 0.3 - 2 }
        let start = (0..<40).map { Float($0 % 4) - 1.5 }
        var whole = start, part = start
        PolyakAveraging.update(target: &whole, toward: online, tau: 0.005)
        part.withUnsafeMutableBufferPointer { t in
            online.withUnsafeBufferPointer {
                PolyakAveraging.update(target: t.baseAddress!, toward: $0.baseAddress!, tau: 0.005, range: 3..<29)
            }
        }
        #expect(Array(part[3..<29]) == Array(whole[3..<29]))
        #expect(Array(part[..<3]) == Array(start[..<3]) && Array(part[29...]) == Array(start[29...]))
    }

    /// The sixteen-lane AVX-512 kernel (where the CPU has one) and the portable eight-lane Swift give the
    /// same bits, over ranges that start and end off the lane boundaries, for ten steps in a row.
    @Test func theWideKernelGivesThePortableBits() {
        let count = 1_000
        var generator = SystemRandomNumberGenerator()
        func values(_ scale: Float) -> [Float] { (0..<count).map { _ in Float.random(in: -scale...scale, using: &generator) } }
        var adam = Adam(parameterCount: count, learningRate: 3e-4)
        var wide = values(2)
        var portable = wide
        let start = wide
        var (mWide, vWide) = ([Float](repeating: 0, count: count), [Float](repeating: 0, count: count))
        var (mPortable, vPortable) = (mWide, vWide)
        for step in 0..<10 {
            var gradients = values(step % 2 == 0 ? 1 : 1e-3)
            gradients[step] = 0
            let coefficients = adam.beginStep()
            for range in [3..<517, 517..<999, 0..<3, 999..<1_000] {
                Adam.apply(coefficients, firstMoment: &mWide, secondMoment: &vWide, parameters: &wide, gradients: gradients, range: range)
                Adam.applyPortably(
                    coefficients, firstMoment: &mPortable, secondMoment: &vPortable, parameters: &portable,
                    gradients: gradients, range: range)
            }
        }
        #expect(wide.map(\.bitPattern) == portable.map(\.bitPattern))
        #expect(mWide.map(\.bitPattern) == mPortable.map(\.bitPattern) && vWide.map(\.bitPattern) == vPortable.map(\.bitPattern))
        #expect(wide != start)
        // The AVX-512 kernel runs exactly where BLAS chooses an AVX-512 kernel family for this CPU.
        let avx512Family = ["SkylakeX", "Cooperlake"].contains(BLASKernel.kernelsForThisCPU.first ?? "")
        #expect(Adam.hasAVX512 == avx512Family)
    }
}
