/// Appends fixed-width little-endian values to a byte array: the encoding of every binary file the
/// library writes (parameter files, checkpoints), independent of the host's byte order.
public struct BinaryWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer, optionally reserving capacity.
    public init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends raw bytes.
    public mutating func write(bytes other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// Appends an integer in little-endian order.
    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a `Float` as its IEEE 754 bit pattern, little-endian.
    public mutating func write(_ value: Float) { write(value.bitPattern) }

    /// Appends a `Double` as its IEEE 754 bit pattern, little-endian.
    public mutating func write(_ value: Double) { write(value.bitPattern) }

    /// Appends a count (UInt64) followed by the floats.
    public mutating func write(floats: [Float]) {
        write(UInt64(floats.count))
        bytes.reserveCapacity(bytes.count + 4 * floats.count)
        for value in floats { write(value.bitPattern) }
    }

    /// Appends a length-prefixed UTF-8 string.
    public mutating func write(string: String) {
        let utf8 = Array(string.utf8)
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}
