/// Reads what ``BinaryWriter`` wrote, checking every length against the bytes that remain, so a
/// truncated or corrupt file is a ``BinaryFormatError`` and never an out-of-bounds read.
public struct BinaryReader: Sendable {
    private let bytes: [UInt8]
    /// Index of the next byte to read.
    public private(set) var position: Int = 0

    /// A reader over `bytes`, starting at the first.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - position }

    /// Reads `count` raw bytes.
    public mutating func readBytes(_ count: Int) throws(BinaryFormatError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated(needed: count, available: remaining, at: position) }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// Reads a little-endian integer.
    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(BinaryFormatError) -> T {
        let slice = try readBytes(MemoryLayout<T>.size)
        var value: T = 0
        for (shift, byte) in slice.enumerated() { value |= T(truncatingIfNeeded: byte) << (8 * shift) }
        return value
    }

    /// Reads a little-endian IEEE 754 `Float`.
    public mutating func readFloat() throws(BinaryFormatError) -> Float { Float(bitPattern: try read(UInt32.self)) }

    /// Reads a little-endian IEEE 754 `Double`.
    public mutating func readDouble() throws(BinaryFormatError) -> Double { Double(bitPattern: try read(UInt64.self)) }

    /// Reads a count-prefixed float array, refusing counts larger than the remaining bytes before allocating.
    public mutating func readFloats() throws(BinaryFormatError) -> [Float] {
        let count = try read(UInt64.self)
        guard count <= UInt64(remaining / 4) else {
            throw .truncated(needed: Int(clamping: count) &* 4, available: remaining, at: position)
        }
        let slice = try readBytes(Int(count) * 4)
        var result = [Float](repeating: 0, count: Int(count))
        var index = slice.startIndex
        for i in 0..<Int(count) {
            let bits =
                UInt32(slice[index]) | UInt32(slice[index + 1]) << 8 | UInt32(slice[index + 2]) << 16 | UInt32(slice[index + 3]) << 24
            result[i] = Float(bitPattern: bits)
            index += 4
        }
        return result
    }

    /// Reads a length-prefixed UTF-8 string.
    public mutating func readString() throws(BinaryFormatError) -> String {
        let count = Int(try read(UInt32.self))
        let slice = try readBytes(count)
        guard let string = String(validating: slice, as: UTF8.self) else { throw .invalidText(at: position - count) }
        return string
    }
}
