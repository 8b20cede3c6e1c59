import CSACOneDNN
import CSACOpenBLAS

/// The oneDNN library behind the bfloat16 products: its CPU engine, made once, and whether this machine
/// runs bfloat16 natively.
enum OneDNN {
    /// The CPU engine every product is built on, or why there is none.
    private static let sharedEngine: Result<EngineHandle, NetworkError> = {
        var engine: dnnl_engine_t?
        let status = dnnl_engine_create(&engine, dnnl_cpu, 0)
        guard status == dnnl_success, let engine else {
            return .failure(.productUnavailable("oneDNN could not create its CPU engine (status \(status.rawValue))"))
        }
        return .success(EngineHandle(engine: engine))
    }()

    /// The engine lives as long as the process; oneDNN allows building and running on it from any thread.
    private struct EngineHandle: @unchecked Sendable { let engine: dnnl_engine_t }

    static func engine() throws(NetworkError) -> dnnl_engine_t {
        switch sharedEngine {
        case let .success(handle): return handle.engine
        case let .failure(error): throw error
        }
    }

    /// `nil` when bfloat16 products run natively here; otherwise why not, in words for a log line. Native
    /// means the CPU converts with AVX512_BF16 and oneDNN's kernels use it (oneDNN also honours
    /// `ONEDNN_MAX_CPU_ISA`, which can forbid it). Without it oneDNN would emulate bfloat16 in float32,
    /// slower than float32 itself.
    static let bfloat16Unavailability: String? = unavailability(
        cpuHasBFloat16: sac_cpu_vector_level() >= 4, oneDNNISA: UInt32(dnnl_get_effective_cpu_isa().rawValue))

    /// The decision behind ``bfloat16Unavailability``, from the CPU's answer and oneDNN's effective ISA.
    static func unavailability(cpuHasBFloat16: Bool, oneDNNISA: UInt32) -> String? {
        guard cpuHasBFloat16 else { return "this CPU has no AVX512_BF16 instructions" }
        let bfloat16ISA = UInt32(dnnl_cpu_isa_avx512_core_bf16.rawValue)
        guard oneDNNISA & bfloat16ISA == bfloat16ISA else {
            return "oneDNN may not use AVX512_BF16 here (ONEDNN_MAX_CPU_ISA or an older oneDNN limits it)"
        }
        if case let .failure(error) = sharedEngine { return error.description }
        return nil
    }
}
