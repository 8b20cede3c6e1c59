import Foundation
import Testing
@testable import NeuralNetworks

@Suite struct BLASKernelTests {
    @Test func aCPUThatOpenBLASDoesNotKnowGetsTheKernelItsInstructionsSupport() {
        let kernel = BLAS.kernel
        switch kernel.choice {
        case let .replacedFallback(detected):
            #expect(detected == BLASKernel.genericFallback)
            #expect(kernel.name.lowercased() == BLASKernel.kernelForThisCPU?.lowercased())
        case let .keptFallback(candidate, reason):
            #expect(kernel.name == BLASKernel.genericFallback)
            #expect(candidate != kernel.name && !reason.isEmpty)
        case .openBLAS:
            // Left alone: OpenBLAS knew the CPU, the user chose through OPENBLAS_CORETYPE, or the generic
            // kernel is right for it. Never the generic kernel on a CPU with AVX when it could be changed.
            let userChose = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil
            if !userChose, BLASKernel.canChooseAgain, BLASKernel.kernelForThisCPU != nil {
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

    @Test func kernelFamiliesFollowTheVectorInstructions() {
        #expect(BLASKernel.kernelName(vectorLevel: 4) == "Cooperlake")
        #expect(BLASKernel.kernelName(vectorLevel: 3) == "SkylakeX")
        #expect(BLASKernel.kernelName(vectorLevel: 2) == "Haswell")
        #expect(BLASKernel.kernelName(vectorLevel: 1) == "Sandybridge")
        #expect(BLASKernel.kernelName(vectorLevel: 0) == nil)
        #expect(BLASKernel.kernelName(vectorLevel: -1) == nil)
    }

    @Test func theDescriptionSaysWhenTheFallbackWasReplaced() {
        #expect(BLASKernel(name: "Haswell", choice: .openBLAS).description == "Haswell")
        #expect(BLASKernel(name: "SkylakeX", choice: .replacedFallback(detected: "Prescott")).description
                == "SkylakeX (OpenBLAS fell back to Prescott on this CPU)")
    }
}
