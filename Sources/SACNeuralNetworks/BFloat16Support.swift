import CSACOpenBLAS
import CSACXSMM

/// Whether this machine runs bfloat16 products natively.
enum BFloat16Support {
    /// `nil` when bfloat16 products run natively here; otherwise why not, in words for a log line. Native
    /// means the CPU rounds with AVX512_BF16 and libxsmm's kernels use it (libxsmm honours
    /// `LIBXSMM_TARGET`, which can forbid it). Without it libxsmm would emulate bfloat16 in float32,
    /// slower than float32 itself.
    static let unavailability: String? = {
        libxsmm_init()
        return unavailability(cpuHasBFloat16: sac_cpu_vector_level() >= 4, libxsmmTarget: libxsmm_get_target_archid())
    }()

    /// The decision behind ``unavailability``, from the CPU's answer and libxsmm's target architecture.
    static func unavailability(cpuHasBFloat16: Bool, libxsmmTarget: Int32) -> String? {
        guard cpuHasBFloat16 else { return "this CPU has no AVX512_BF16 instructions" }
        guard libxsmmTarget >= LIBXSMM_X86_AVX512_CPX else {
            return "libxsmm may not use AVX512_BF16 here (LIBXSMM_TARGET limits it)"
        }
        return nil
    }
}
