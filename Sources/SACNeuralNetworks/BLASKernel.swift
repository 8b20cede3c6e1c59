import CSACOpenBLAS
#if canImport(Glibc)
    import Glibc
#endif

/// The OpenBLAS CPU kernel this process's matrix products run on, and how it came to be that one.
///
/// OpenBLAS picks a kernel for the CPU when it loads. A release older than the CPU does not know its model
/// and falls back to its generic Prescott kernel (SSE3 only), several times slower than the kernel the CPU
/// supports (`sac-dev bench updates`; the figures are in docs/performance.md). So before the first product (``BLAS/kernel``), when OpenBLAS
/// fell back that way and `OPENBLAS_CORETYPE` is not set, the kernel family that the CPU's vector
/// instructions support is chosen instead — as newer OpenBLAS releases do for models they do not know —
/// and kept only if its products agree with a plain reference product. Setting `OPENBLAS_CORETYPE`
/// (`Prescott` to keep the fallback) leaves OpenBLAS's choice alone.
public struct BLASKernel: Sendable, Equatable, CustomStringConvertible {
    /// How the running kernel was chosen.
    public enum Choice: Sendable, Equatable {
        /// OpenBLAS's own choice: its detection, or `OPENBLAS_CORETYPE`.
        case openBLAS
        /// OpenBLAS fell back to the generic kernel `detected`; this one suits the CPU and replaced it.
        case replacedFallback(detected: String)
        /// `candidate` was tried in place of the generic fallback and given up, for `reason`.
        case keptFallback(candidate: String, reason: String)
    }

    /// OpenBLAS's name of the kernel products run on ("SkylakeX", "Haswell", "Prescott", …).
    public let name: String
    /// How it was chosen.
    public let choice: Choice

    /// The name, with how it was chosen when that was not OpenBLAS's own doing.
    public var description: String {
        switch choice {
        case .openBLAS: return name
        case let .replacedFallback(detected): return "\(name) (OpenBLAS fell back to \(detected) on this CPU)"
        case let .keptFallback(candidate, reason): return "\(name) (\(candidate) was not used: \(reason))"
        }
    }

    /// The kernel OpenBLAS falls back to on an x86-64 CPU it does not know.
    static let genericFallback = "Prescott"

    /// OpenBLAS's kernel families for `sac_cpu_vector_level()`'s answer, widest first: each later one runs on
    /// the same CPU, for an OpenBLAS build that lacks the earlier ones (Cooperlake came in 0.3.10). Empty
    /// where the generic kernel is right.
    static func kernelNames(vectorLevel: Int32) -> [String] {
        let families = ["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]
        guard vectorLevel >= 1 else { return [] }
        return Array(families.suffix(Int(min(vectorLevel, 4))))
    }

    /// The kernel families this CPU's vector instructions support, widest first; empty where the generic
    /// kernel is right.
    static var kernelsForThisCPU: [String] { kernelNames(vectorLevel: sac_cpu_vector_level()) }

    /// Whether this OpenBLAS build can choose its kernel again (it has DYNAMIC_ARCH).
    static var canChooseAgain: Bool { sac_openblas_can_choose_kernel() != 0 }

    /// Chooses the kernel once; ``BLAS/kernel`` holds the result. Must run before any product.
    static func choose() -> BLASKernel {
        let detected = currentName()
        guard getenv("OPENBLAS_CORETYPE") == nil, canChooseAgain else { return BLASKernel(name: detected, choice: .openBLAS) }
        return choose(
            detected: detected, candidates: kernelsForThisCPU,
            select: { name in
                // OpenBLAS reads the variable while it chooses; it is removed again so that child processes (a
                // Python simulator with its own OpenBLAS) make their own choice.
                if let name { setenv("OPENBLAS_CORETYPE", name, 1) }
                sac_openblas_choose_kernel_again()
                if name != nil { unsetenv("OPENBLAS_CORETYPE") }
                return currentName()
            }, check: { productCheckFailure(multiply: cblasProduct) })
    }

    /// The choice itself: when `detected` is the generic fallback, the first of `candidates` that
    /// `select(name)` (which asks OpenBLAS for a kernel and answers the one now running) really gives and
    /// whose products pass `check` (nil: they agree); if none does, `select(nil)` restores OpenBLAS's own
    /// detection.
    static func choose(detected: String, candidates: [String], select: (String?) -> String, check: () -> String?) -> BLASKernel {
        guard detected.equalsIgnoringCase(genericFallback), !candidates.isEmpty else {
            return BLASKernel(name: detected, choice: .openBLAS)
        }
        var reasons: [String] = []
        for candidate in candidates {
            let chosen = select(candidate)
            if !chosen.equalsIgnoringCase(candidate) {
                reasons.append("this OpenBLAS build has no \(candidate) kernel")
            } else if let failure = check() {
                reasons.append("\(candidate)'s products disagreed with a reference product (\(failure))")
            } else {
                return BLASKernel(name: chosen, choice: .replacedFallback(detected: detected))
            }
        }
        let restored = select(nil)
        return BLASKernel(name: restored, choice: .keptFallback(candidate: candidates[0], reason: reasons.joined(separator: "; ")))
    }

    private static func currentName() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// A row-major `C ← α·op(A)·op(B) + β·C` (arguments as ``BLAS/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``).
    typealias Product = (
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ beta: Float, _ c: UnsafeMutablePointer<Float>
    ) -> Void

    /// cblas_sgemm itself: the check runs while ``BLAS/kernel`` is being initialised, so it cannot go
    /// through ``BLAS/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
    private static func cblasProduct(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ beta: Float, _ c: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }

    /// Compares `multiply` with a double-precision reference on shapes that reach both of OpenBLAS's
    /// paths (its small-matrix kernels and the blocked one) with ragged edges, in every transpose
    /// combination; nil when every element agrees, else which product and element did not.
    static func productCheckFailure(multiply: Product) -> String? {
        for (m, n, k) in [(37, 29, 53), (120, 96, 160)] {
            for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = (0..<(m * k)).map { Float(($0 * 7919 + 13) % 1000) / 500 - 1 }
                let b = (0..<(k * n)).map { Float(($0 * 6271 + 7) % 1000) / 500 - 1 }
                let start = (0..<(m * n)).map { Float(($0 * 3967 + 5) % 1000) / 500 - 1 }
                let (alpha, beta): (Float, Float) = (0.75, -0.5)
                var c = start
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            multiply(transposeA, transposeB, m, n, k, alpha, pa.baseAddress!, pb.baseAddress!, beta, pc.baseAddress!)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0, magnitude = 0.0
                        for p in 0..<k {
                            let x = Double(transposeA ? a[p * m + i] : a[i * k + p])
                            let y = Double(transposeB ? b[j * k + p] : b[p * n + j])
                            sum += x * y
                            magnitude += abs(x * y)
                        }
                        let expected = Double(alpha) * sum + Double(beta) * Double(start[i * n + j])
                        let tolerance = 1e-5 * (Double(abs(alpha)) * magnitude + Double(abs(beta * start[i * n + j]))) + 1e-6
                        let got = Double(c[i * n + j])
                        if !(abs(got - expected) <= tolerance) {
                            let shape = "\(transposeA ? "Aᵀ" : "A")·\(transposeB ? "Bᵀ" : "B"), \(m)×\(n)×\(k)"
                            return "\(shape), element (\(i), \(j)): \(got) instead of \(expected)"
                        }
                    }
                }
            }
        }
        return nil
    }
}

private extension String {
    func equalsIgnoringCase(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
