import CSACXSMM

/// One matrix product of fixed shape with bfloat16 operands and float32 accumulation and result:
/// column-major `C (m×n) ← A·B` or `C ← C + A·B`, A in libxsmm's VNNI layout (pairs along k), B `k×n`,
/// run by a kernel libxsmm compiles for the shape when the product is built.
///
/// Running it allocates nothing and uses no threads of its own; two products may run on two threads at
/// once. Callers lay their row-major operands out for it (``BFloat16LayerProducts``).
package final class BFloat16Product: @unchecked Sendable {
    package let m: Int, n: Int, k: Int
    private let kernel: UnsafeMutableRawPointer

    /// `k` must be even (VNNI pairs); `accumulate` adds the product to C instead of overwriting it.
    package init(m: Int, n: Int, k: Int, accumulate: Bool = false) throws(NetworkError) {
        guard m > 0, n > 0, k > 0, k % 2 == 0,
            let kernel = sac_xsmm_bfloat16_kernel(Int32(m), Int32(n), Int32(k), accumulate ? 1 : 0)
        else {
            throw .productUnavailable("libxsmm has no bfloat16 kernel for a \(m)×\(n)×\(k) product")
        }
        self.m = m
        self.n = n
        self.k = k
        self.kernel = kernel
    }

    /// Runs the product on these buffers (bfloat16 operands as their 16-bit patterns).
    package func run(a: UnsafePointer<UInt16>, b: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>) {
        sac_xsmm_bfloat16_run(kernel, a, b, c)
    }
}
