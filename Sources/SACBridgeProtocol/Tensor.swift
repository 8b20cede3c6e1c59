/// A dense tensor as it travels: dtype, shape and the raw little-endian bytes of its elements, row-major.
/// Invariant: `bytes.count == shape.product × dtype.size`.
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
    /// Element type.
    public private(set) var dtype: TensorDType
    /// Dimensions, outermost first (`[num_envs, observation_size]` for a batch).
    public private(set) var shape: [Int]
    /// The elements' little-endian bytes.
    public private(set) var bytes: [UInt8]

    /// A tensor over raw bytes; throws ``BridgeError`` (`wrongShape`) when the byte count does not fit.
    public init(dtype: TensorDType, shape: [Int], bytes: [UInt8]) throws(BridgeError) {
        guard let count = Self.elementCount(shape), count * dtype.size == bytes.count else {
            throw BridgeError(
                .wrongShape,
                "tensor of shape \(shape) and dtype \(dtype.rawValue) needs \((Self.elementCount(shape) ?? -1) * dtype.size) bytes, got \(bytes.count)"
            )
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A tensor whose byte count is known to fit (a layout `StepMessageCodec.readTensorLayout` checked).
    init(checkedDType dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
        assert(Self.elementCount(shape).map { $0 * dtype.size } == bytes.count, "shape \(shape) for \(bytes.count) bytes")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A float32 tensor; `shape` defaults to `[values.count]`.
    public init(float32 values: [Float], shape: [Int]? = nil) {
        #if _endian(little)
            // The wire's byte order is the machine's: one copy (element by element into zeroed bytes had been
            // a sixth of the server's step).
            let bytes = values.withUnsafeBytes { Array($0) }
        #else
            var bytes = [UInt8](repeating: 0, count: values.count * 4)
            bytes.withUnsafeMutableBytes { raw in
                for (i, value) in values.enumerated() {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }
        #endif
        self.dtype = .float32
        self.shape = shape ?? [values.count]
        self.bytes = bytes
        assert(Self.elementCount(self.shape) == values.count, "shape \(self.shape) for \(values.count) values")
    }

    /// A float64 tensor; `shape` defaults to `[values.count]`.
    public init(float64 values: [Double], shape: [Int]? = nil) {
        var bytes = [UInt8](repeating: 0, count: values.count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for (i, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
            }
        }
        self.dtype = .float64
        self.shape = shape ?? [values.count]
        self.bytes = bytes
        assert(Self.elementCount(self.shape) == values.count, "shape \(self.shape) for \(values.count) values")
    }

    /// This tensor becomes the one `layout` describes in `frame` (checked when the layout was read), in
    /// its own storage when its dtype and shape stay the same: a client's observations, step after step.
    mutating func replace(with layout: StepMessageCodec.TensorLayout, in frame: [UInt8]) {
        if dtype == layout.dtype, bytes.count == layout.data.count, layout.hasDimensions(shape, in: frame) {
            guard !bytes.isEmpty else { return }
            frame.withUnsafeBytes { source in
                bytes.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[layout.data])) }
            }
        } else {
            self = layout.tensor(in: frame)
        }
    }

    /// Number of elements.
    public var count: Int { bytes.count / dtype.size }

    /// The elements as `Double` (exact for both dtypes).
    public func doubles() -> [Double] {
        bytes.withUnsafeBytes { raw in (0..<count).map { Self.element($0, in: raw.baseAddress!, dtype: dtype) } }
    }

    /// Element `index` of little-endian elements of `dtype` starting at `data`, as `Double` (exact for both
    /// dtypes): what every reading of a tensor's bytes, or of a frame's in place, goes through.
    @inline(__always)
    static func element(_ index: Int, in data: UnsafeRawPointer, dtype: TensorDType) -> Double {
        switch dtype {
        case .float32: Double(Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))))
        case .float64: Double(bitPattern: UInt64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)))
        }
    }

    /// The elements as `Float`: exact for float32; for float64 a rounding the caller asks for by calling this.
    public func floats() -> [Float] {
        #if _endian(little)
            if dtype == .float32 {
                var values = [Float](repeating: 0, count: count)
                values.withUnsafeMutableBytes { target in bytes.withUnsafeBytes { target.copyMemory(from: $0) } }
                return values
            }
        #endif
        // Through Double, which holds every float32 exactly: the same Float for both dtypes.
        return bytes.withUnsafeBytes { raw in (0..<count).map { Float(Self.element($0, in: raw.baseAddress!, dtype: dtype)) } }
    }

    /// Row `index` of the outermost dimension as its own tensor.
    public func row(_ index: Int) -> Tensor {
        let rowShape = Array(shape.dropFirst())
        let rowBytes = (Self.elementCount(rowShape) ?? 0) * dtype.size
        // The slice has exactly the byte count of the row shape, so this cannot throw.
        return try! Tensor(dtype: dtype, shape: rowShape, bytes: Array(bytes[(index * rowBytes)..<((index + 1) * rowBytes)]))
    }

    /// Stacks equally shaped tensors of one dtype along a new outer dimension.
    public static func stack(_ rows: [Tensor]) throws(BridgeError) -> Tensor {
        guard let first = rows.first else { throw BridgeError(.wrongShape, "cannot stack zero tensors") }
        guard rows.allSatisfy({ $0.shape == first.shape && $0.dtype == first.dtype }) else {
            throw BridgeError(.wrongShape, "cannot stack tensors of differing shapes or dtypes")
        }
        return try Tensor(dtype: first.dtype, shape: [rows.count] + first.shape, bytes: rows.flatMap(\.bytes))
    }

    /// The product of `shape`, or nil when a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow || product > 1 << 40 { return nil }
            count = product
        }
        return count
    }

    public var description: String { "Tensor(\(dtype.rawValue), shape \(shape))" }
}
