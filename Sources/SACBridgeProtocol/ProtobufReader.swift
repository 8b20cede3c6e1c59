/// Reads protobuf wire-format primitives from a byte range, for the hand-written step messages
/// (`StepMessageCodec`). Every read returns nil on anything out of the ordinary (truncation, an
/// over-long varint, a length past the end), so that its caller can leave the message to swift-protobuf,
/// which reports the precise error.
struct ProtobufReader {
    /// One field's key: its number and wire type.
    struct Key: Equatable {
        var field: Int
        var wireType: ProtobufWireType
    }

    /// The frame read, valid for the reader's lifetime (the caller holds it pinned). Through a pointer,
    /// each byte's position checked against `end` only, and with the primitives below inlined, so that a
    /// step message is read without per-byte range checks (counted by callgrind; docs/performance.md).
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    let end: Int

    /// A reader of `bytes[range]` (the whole buffer by default).
    init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil) {
        precondition(range.map { $0.lowerBound >= 0 && $0.upperBound <= bytes.count } ?? true, "range \(range!) of \(bytes.count) bytes")
        self.bytes = bytes
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { position >= end }

    @inline(__always)
    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            // The tenth byte may carry only the 64th bit.
            if shift == 63 && byte > 1 { return nil }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }

    /// The next field's key; nil also for a wire type the step messages never use.
    @inline(__always)
    mutating func key() -> Key? {
        guard let key = varint(), key >> 3 <= UInt64(Int32.max), let wireType = ProtobufWireType(rawValue: key & 7) else { return nil }
        return Key(field: Int(key >> 3), wireType: wireType)
    }

    /// The payload range of a length-delimited field whose key was just read.
    @inline(__always)
    mutating func lengthDelimited() -> Range<Int>? {
        guard let length = varint(), length <= UInt64(end - position) else { return nil }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    @inline(__always)
    mutating func fixed64() -> UInt64? {
        guard end - position >= 8 else { return nil }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return value
    }
}
