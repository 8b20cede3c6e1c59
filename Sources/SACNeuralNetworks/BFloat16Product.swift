import CSACOneDNN
import Synchronization

/// One matrix product of fixed shape with bfloat16 operands and float32 accumulation and result,
/// `C ← op(A)·op(B)` or `C ← C + op(A)·op(B)`, run by oneDNN's matmul primitive.
///
/// Built once (oneDNN chooses and compiles its kernel for the shape then) and run many times on
/// different buffers of that shape, with scratch memory of its own. oneDNN 2.6's C API still allocates
/// its argument map on every run (a few small blocks, freed before the run returns; ``runs`` lets the
/// allocation test tell them from ours).
/// A product runs on the calling thread alone and must not run on two threads at once (its memory
/// objects hold the buffers of the call in progress). The arguments mirror ``BLAS/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``
/// with dense operands (leading dimensions their widths).
package final class BFloat16Product: @unchecked Sendable {
    package let m: Int, n: Int, k: Int
    private let primitive: dnnl_primitive_t
    private let stream: dnnl_stream_t
    private let memories: (a: dnnl_memory_t, b: dnnl_memory_t, c: dnnl_memory_t, scratchpad: dnnl_memory_t)
    private let scratchpad: UnsafeMutableRawPointer

    /// Products run so far in this process, and how many of them accumulated (oneDNN's sum post-op
    /// allocates once more per run).
    package static let runs = Atomic<Int>(0), accumulatingRuns = Atomic<Int>(0)
    private let accumulates: Bool

    /// `accumulate`: add the product to C (β = 1) instead of overwriting it (β = 0).
    package init(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, accumulate: Bool = false) throws(NetworkError) {
        self.m = m
        self.n = n
        self.k = k
        accumulates = accumulate
        let engine = try OneDNN.engine()
        func check(_ status: dnnl_status_t, _ step: String) throws(NetworkError) {
            guard status == dnnl_success else {
                throw .productUnavailable("oneDNN \(step) failed (status \(status.rawValue)) for a bfloat16 product \(m)×\(n)×\(k)")
            }
        }
        // Row-major operands as strided 2-D memory: a transposed operand is the same buffer read with its
        // strides swapped, as BLAS's transpose flags do.
        func descriptor(rows: Int, columns: Int, transposed: Bool, leading: Int, type: dnnl_data_type_t) throws(NetworkError) -> dnnl_memory_desc_t {
            var desc = dnnl_memory_desc_t()
            var dims: (Int64, Int64) = (Int64(rows), Int64(columns))
            var strides: (Int64, Int64) = transposed ? (1, Int64(leading)) : (Int64(leading), 1)
            let status = withUnsafeMutablePointer(to: &dims) { d in
                withUnsafeMutablePointer(to: &strides) { s in
                    d.withMemoryRebound(to: Int64.self, capacity: 2) { dp in
                        s.withMemoryRebound(to: Int64.self, capacity: 2) { sp in
                            dnnl_memory_desc_init_by_strides(&desc, 2, dp, type, sp)
                        }
                    }
                }
            }
            try check(status, "memory descriptor")
            return desc
        }
        var aDesc = try descriptor(rows: m, columns: k, transposed: transposeA, leading: transposeA ? m : k, type: dnnl_bf16)
        var bDesc = try descriptor(rows: k, columns: n, transposed: transposeB, leading: transposeB ? k : n, type: dnnl_bf16)
        var cDesc = try descriptor(rows: m, columns: n, transposed: false, leading: n, type: dnnl_f32)
        var matmul = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&matmul, &aDesc, &bDesc, nil, &cDesc), "matmul descriptor")

        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "scratchpad mode")
        if accumulate {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_sum(postOps, 1), "sum post-op")
            try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "post-ops attribute")
        }
        var descriptorHandle: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&descriptorHandle, &matmul, attributes, engine, nil), "primitive descriptor")
        defer { dnnl_primitive_desc_destroy(descriptorHandle) }
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptorHandle), "primitive")

        let scratchpadDesc = dnnl_primitive_desc_query_md(descriptorHandle, dnnl_query_scratchpad_md, 0)
        let scratchpadBytes = scratchpadDesc.map { dnnl_memory_desc_get_size($0) } ?? 0
        scratchpad = .allocate(byteCount: max(scratchpadBytes, 64), alignment: 64)
        func memory(_ desc: UnsafePointer<dnnl_memory_desc_t>?, handle: UnsafeMutableRawPointer?) throws(NetworkError) -> dnnl_memory_t {
            var memory: dnnl_memory_t?
            try check(dnnl_memory_create(&memory, desc, engine, handle), "memory object")
            return memory!
        }
        // Without scratch needs, a zero descriptor (oneDNN's empty memory).
        var emptyDesc = dnnl_memory_desc_t()
        let scratchpadMemory = scratchpadBytes > 0 ? try memory(scratchpadDesc, handle: scratchpad) : try memory(&emptyDesc, handle: scratchpad)
        memories = (try memory(&aDesc, handle: nil), try memory(&bDesc, handle: nil), try memory(&cDesc, handle: nil), scratchpadMemory)
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        self.primitive = primitive!
        self.stream = stream!
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_stream_destroy(stream)
        dnnl_memory_destroy(memories.a)
        dnnl_memory_destroy(memories.b)
        dnnl_memory_destroy(memories.c)
        dnnl_memory_destroy(memories.scratchpad)
        scratchpad.deallocate()
    }

    /// Runs the product on these buffers (bfloat16 operands as their 16-bit patterns).
    package func run(a: UnsafePointer<UInt16>, b: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>) {
        omp_set_num_threads(1)
        Self.runs.add(1, ordering: .relaxed)
        if accumulates { Self.accumulatingRuns.add(1, ordering: .relaxed) }
        dnnl_memory_set_data_handle(memories.a, UnsafeMutableRawPointer(mutating: a))
        dnnl_memory_set_data_handle(memories.b, UnsafeMutableRawPointer(mutating: b))
        dnnl_memory_set_data_handle(memories.c, UnsafeMutableRawPointer(c))
        var arguments = (
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: memories.a),
            dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: memories.b),
            dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: memories.c),
            dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memories.scratchpad))
        let status = withUnsafePointer(to: &arguments) {
            $0.withMemoryRebound(to: dnnl_exec_arg_t.self, capacity: 4) { dnnl_primitive_execute(primitive, stream, 4, $0) }
        }
        // Shapes and buffers were fixed when the product was built; a failure here is a broken library.
        precondition(status == dnnl_success, "oneDNN matmul failed (status \(status.rawValue))")
    }
}
