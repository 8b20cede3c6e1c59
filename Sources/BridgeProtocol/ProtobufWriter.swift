/// Appends protobuf wire-format primitives (varints, tags, fixed64, length-delimited fields) to a byte
/// array, for the hand-written step messages (`StepMessageCodec`).
struct ProtobufWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8]

    /// An empty writer whose buffer holds `capacity` bytes without growing.
    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Bytes of `value` as a base-128 varint.
    static func varintSize(_ value: UInt64) -> Int {
        // 7 payload bits per byte; zero still takes one byte.
        (64 - value.leadingZeroBitCount + 6) / 7 + (value == 0 ? 1 : 0)
    }

    /// Bytes of a length-delimited field of number `field` whose payload is `length` bytes.
    static func lengthDelimitedSize(field: Int, length: Int) -> Int {
        varintSize(UInt64(field) << 3) + varintSize(UInt64(length)) + length
    }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func tag(_ field: Int, _ wireType: ProtobufWireType) {
        varint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// A length-delimited field's tag and length; the caller appends exactly `length` payload bytes next.
    mutating func lengthDelimitedHeader(_ field: Int, length: Int) {
        tag(field, .lengthDelimited)
        varint(UInt64(length))
    }

    mutating func fixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ payload: some Collection<UInt8>) {
        bytes.append(contentsOf: payload)
    }
}
