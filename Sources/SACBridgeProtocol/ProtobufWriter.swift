/// Writes protobuf wire-format primitives (varints, tags, fixed64, length-delimited fields) straight into
/// a new or reused array's storage, for the hand-written step messages (`StepMessageCodec`), which compute a
/// message's exact size first: at most one allocation per message and no capacity check per byte.
struct ProtobufWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    private init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// The `size` bytes `body` writes. Writing more than `size`, or fewer, is a bug in the caller's size
    /// computation (never in its input), and traps.
    static func bytes(size: Int, _ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var bytes: [UInt8] = []
        write(size: size, into: &bytes, body)
        return bytes
    }

    /// ``bytes(size:_:)`` into `buffer`, replacing its contents; its storage is kept when it is already
    /// `size` bytes long, as a step message of one session is, step after step.
    static func write(size: Int, into buffer: inout [UInt8], _ body: (inout ProtobufWriter) -> Void) {
        // Zeroed and overwritten: Array(unsafeUninitializedCapacity:) is not specialised and cost more.
        if buffer.count != size { buffer = [UInt8](repeating: 0, count: size) }
        guard size > 0 else { return }
        buffer.withUnsafeMutableBufferPointer { buffer in
            var writer = ProtobufWriter(base: buffer.baseAddress!, capacity: size)
            body(&writer)
            precondition(writer.count == size, "step message of \(writer.count) bytes, computed as \(size)")
        }
    }

    /// Bytes of `value` as a base-128 varint.
    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        // 7 payload bits per byte; zero still takes one byte.
        (64 - value.leadingZeroBitCount + 6) / 7 + (value == 0 ? 1 : 0)
    }

    /// Bytes of a length-delimited field of number `field` whose payload is `length` bytes.
    @inline(__always)
    static func lengthDelimitedSize(field: Int, length: Int) -> Int {
        varintSize(UInt64(field) << 3) + varintSize(UInt64(length)) + length
    }

    @inline(__always)
    private mutating func byte(_ value: UInt8) {
        precondition(count < capacity, "step message longer than its computed size \(capacity)")
        base[count] = value
        count += 1
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            byte(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        byte(UInt8(value))
    }

    @inline(__always)
    mutating func tag(_ field: Int, _ wireType: ProtobufWireType) {
        varint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// A length-delimited field's tag and length; the caller appends exactly `length` payload bytes next.
    @inline(__always)
    mutating func lengthDelimitedHeader(_ field: Int, length: Int) {
        tag(field, .lengthDelimited)
        varint(UInt64(length))
    }

    @inline(__always)
    mutating func fixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { append($0) }
    }

    @inline(__always)
    mutating func append(_ payload: UnsafeRawBufferPointer) {
        guard let source = payload.baseAddress, !payload.isEmpty else { return }
        precondition(count + payload.count <= capacity, "step message longer than its computed size \(capacity)")
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: payload.count)
        count += payload.count
    }

    mutating func append(_ payload: UnsafeBufferPointer<UInt8>) {
        append(UnsafeRawBufferPointer(payload))
    }
}
