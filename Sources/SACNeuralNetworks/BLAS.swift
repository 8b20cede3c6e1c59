import CSACOpenBLAS

/// The one place that calls OpenBLAS. Everything above speaks `Matrix` and pointers, never CBLAS enums.
public enum BLAS {
    /// Sets the number of threads OpenBLAS uses for every following product. One thread gives the
    /// same floating-point summation order on every call, which bit-for-bit reproducible runs rely on.
    public static func setThreadCount(_ count: Int) {
        _ = kernel
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The CPU kernel products run on and how it was chosen: OpenBLAS's own choice unless OpenBLAS fell
    /// back to its generic kernel on a CPU it does not know (see ``BLASKernel``). Chosen once, before the
    /// first product on any thread: every product goes through this type and touches it first.
    public static let kernel = BLASKernel.choose()

    /// The CPU kernel's name (e.g. "Haswell"), for benchmark reports; ``kernel`` says how it was chosen.
    public static var coreName: String { kernel.name }

    /// `C ← α·op(A)·op(B) + β·C` on row-major buffers, with `op(X)` = X or Xᵀ chosen by flag, so transposes
    /// cost nothing. `A` is stored `m×k` (or `k×m` when transposed), `B` is `k×n` (or `n×k`), `C` is `m×n`.
    /// The row strides `lda`, `ldb`, `ldc` default to those widths; a larger one reads or writes a block of
    /// columns inside a wider matrix.
    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil, b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        _ = kernel
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda ?? (transposeA ? m : k)),
            b, Int32(ldb ?? (transposeB ? k : n)),
            beta, c, Int32(ldc ?? n))
    }

    /// Checked matrix product `C ← α·op(A)·op(B) + β·C`; throws `NetworkError.shapeMismatch` when the
    /// shapes do not chain, instead of letting BLAS read out of bounds.
    public static func multiply(
        _ a: Matrix, transposed transposeA: Bool = false,
        _ b: Matrix, transposed transposeB: Bool = false,
        into c: inout Matrix, alpha: Float = 1, beta: Float = 0
    ) throws(NetworkError) {
        let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let (kB, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
        guard k == kB, c.rows == m, c.columns == n else {
            throw .shapeMismatch(
                operation: "BLAS.multiply",
                expected: "op(A) m×k, op(B) k×n, C m×n",
                actual: "op(A) \(m)×\(k), op(B) \(kB)×\(n), C \(c.shapeDescription)")
        }
        if m == 0 || n == 0 { return }
        if k == 0 {
            c.withUnsafeMutableBufferPointer { pc in for i in pc.indices { pc[i] *= beta } }
            return
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        alpha: alpha, a: pa.baseAddress!, b: pb.baseAddress!, beta: beta, c: pc.baseAddress!)
                }
            }
        }
    }
}
