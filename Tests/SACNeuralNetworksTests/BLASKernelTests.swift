import Foundation
import Testing
@testable import SACNeuralNetworks

@Suite struct BLASKernelTests {
    @Test func aCPUThatOpenBLASDoesNotKnowGetsTheKernelItsInstructionsSupport() {
        let kernel = BLAS.kernel
        switch kernel.choice {
        case let .replacedFallback(detected):
            #expect(detected == BLASKernel.genericFallback)
            #expect(BLASKernel.kernelsForThisCPU.map { $0.lowercased() }.contains(kernel.name.lowercased()))
        case let .keptFallback(candidate, reason):
            #expect(kernel.name == BLASKernel.genericFallback)
            #expect(candidate != kernel.name && !reason.isEmpty)
        case .openBLAS:
            // Left alone: OpenBLAS knew the CPU, the user chose through OPENBLAS_CORETYPE, or the generic
            // kernel is right for it. Never the generic kernel on a CPU with AVX when it could be changed.
            let userChose = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil
            if !userChose, BLASKernel.canChooseAgain, !BLASKernel.kernelsForThisCPU.isEmpty {
                #expect(kernel.name != BLASKernel.genericFallback)
            }
        }
    }

    @Test func theRunningKernelsProductsPassTheCheck() {
        _ = BLAS.kernel
        let product: BLASKernel.Product = { ta, tb, m, n, k, alpha, a, b, beta, c in
            BLAS.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c)
        }
        #expect(BLASKernel.productCheckFailure(multiply: product) == nil)
    }

    @Test func theCheckCatchesAProductThatIsWrongInOneTransposeCase() {
        // Right except that it ignores β when B is transposed: the kind of fault a broken kernel path has.
        let product: BLASKernel.Product = { ta, tb, m, n, k, alpha, a, b, beta, c in
            BLAS.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: tb ? 0 : beta, c: c)
        }
        let failure = BLASKernel.productCheckFailure(multiply: product)
        #expect(failure?.contains("A·Bᵀ, 37×29×53") == true)
    }

    @Test func theCheckCatchesAnErrorInTheLastElementOfALargeProduct() {
        let product: BLASKernel.Product = { ta, tb, m, n, k, alpha, a, b, beta, c in
            BLAS.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c)
            if m * n > 10_000 { c[m * n - 1] += 1e-3 }
        }
        #expect(BLASKernel.productCheckFailure(multiply: product)?.contains("element (119, 95)") == true)
    }

    @Test func kernelFamiliesFollowTheVectorInstructionsWidestFirst() {
        #expect(BLASKernel.kernelNames(vectorLevel: 4) == ["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"])
        #expect(BLASKernel.kernelNames(vectorLevel: 3) == ["SkylakeX", "Haswell", "Sandybridge"])
        #expect(BLASKernel.kernelNames(vectorLevel: 2) == ["Haswell", "Sandybridge"])
        #expect(BLASKernel.kernelNames(vectorLevel: 1) == ["Sandybridge"])
        #expect(BLASKernel.kernelNames(vectorLevel: 0).isEmpty && BLASKernel.kernelNames(vectorLevel: -1).isEmpty)
    }

    @Test func theDescriptionSaysWhenTheFallbackWasReplaced() {
        #expect(BLASKernel(name: "Haswell", choice: .openBLAS).description == "Haswell")
        #expect(
            BLASKernel(name: "SkylakeX", choice: .replacedFallback(detected: "Prescott")).description
                == "SkylakeX (OpenBLAS fell back to Prescott on this CPU)")
    }

    @Test func anOpenBLASWithoutTheWidestKernelGetsTheNextOne() {
        var asked: [String?] = []
        let kernel = BLASKernel.choose(
            detected: "Prescott", candidates: ["Cooperlake", "SkylakeX", "Haswell"],
            select: { name in
                asked.append(name)
                return name == "Cooperlake" ? "Prescott" : (name ?? "Prescott") // a build without Cooperlake
            }, check: { nil })
        #expect(kernel == BLASKernel(name: "SkylakeX", choice: .replacedFallback(detected: "Prescott")))
        #expect(asked == ["Cooperlake", "SkylakeX"])
    }

    @Test func kernelsWhoseProductsDisagreeAreGivenUpAndTheDetectionRestored() {
        var asked: [String?] = []
        let kernel = BLASKernel.choose(
            detected: "Prescott", candidates: ["SkylakeX", "Haswell"],
            select: { name in
                asked.append(name)
                return name ?? "Prescott"
            }, check: { "A·B, 37×29×53, element (0, 0): 1.0 instead of 2.0" })
        #expect(asked == ["SkylakeX", "Haswell", nil])
        #expect(kernel.name == "Prescott")
        guard case let .keptFallback(candidate, reason) = kernel.choice else {
            Issue.record("expected the fallback kept, got \(kernel.choice)")
            return
        }
        #expect(
            candidate == "SkylakeX" && reason.contains("SkylakeX's products disagreed") && reason.contains("Haswell's products disagreed"))
    }

    @Test func aKnownCPUOrNoCandidateIsLeftAlone() {
        var asked = 0
        let select: (String?) -> String = { _ in
            asked += 1; return "x"
        }
        #expect(BLASKernel.choose(detected: "Haswell", candidates: ["Cooperlake"], select: select, check: { nil }).choice == .openBLAS)
        #expect(BLASKernel.choose(detected: "Prescott", candidates: [], select: select, check: { nil }).choice == .openBLAS)
        #expect(asked == 0)
    }
}
