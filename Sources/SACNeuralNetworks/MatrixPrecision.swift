/// The number format of the matrix products in a network's forward and backward passes.
///
/// Weights, gradients, optimiser moments, activations and everything element-wise stay float32 in
/// both; only the products' inputs differ.
public enum MatrixPrecision: String, Codable, Sendable, CaseIterable {
    /// float32 products through OpenBLAS: the default, and bit-for-bit reproducible.
    case float32
    /// The matrix products take bfloat16 inputs, rounded to nearest even from the float32 values, and
    /// accumulate in float32 in libxsmm's kernels: faster than float32 only where the CPU's bfloat16 dot
    /// products outrun its float32 FMAs (AMD Zen 4 does; some Intel Xeons with AVX512_BF16 do not:
    /// docs/bf16.md). Layers with fewer than ``MatrixPrecision/bfloat16MinimumWidth`` outputs (a critic's
    /// Q, a small actor's mean and log σ) keep float32 products, and so do the gradients of layers with
    /// fewer inputs than that: there sgemm measured faster (docs/bf16.md). Reproducible run to run on the
    /// same machine, not bit-for-bit equal to float32.
    case bfloat16 = "bf16"

    /// A layer needs this many outputs for bfloat16 products, and this many inputs for bfloat16 gradients.
    public static let bfloat16MinimumWidth = 8

    /// `nil` when this machine runs bfloat16 products natively; otherwise why not, for a log line.
    public static var bfloat16Unavailability: String? { BFloat16Support.unavailability }

    /// The precision products really run in here: ``bfloat16`` falls back to ``float32`` where the
    /// machine lacks native bfloat16 (``bfloat16Unavailability`` says why).
    public var available: MatrixPrecision {
        self == .bfloat16 && Self.bfloat16Unavailability != nil ? .float32 : self
    }
}
