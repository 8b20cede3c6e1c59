extension MultilayerPerceptron {
    /// The magic bytes that open a serialised network: ASCII "SACN".
    public static let fileMagic: [UInt8] = Array("SACN".utf8)
    /// The format version this build writes and reads.
    public static let fileFormatVersion: UInt32 = 1

    /// The network's sizes and parameters in a documented, portable little-endian layout:
    ///
    /// | offset | bytes | field |
    /// |---|---|---|
    /// | 0 | 4 | magic `"SACN"` |
    /// | 4 | 4 | format version, UInt32 (= 1) |
    /// | 8 | 4 | L, the number of layer sizes, UInt32 |
    /// | 12 | 4·L | layer sizes, UInt32 each, input first |
    /// | 12+4L | 8 | P, the parameter count, UInt64 |
    /// | 20+4L | 4·P | parameters, IEEE 754 binary32: per layer the weight (out×in, row-major), then the bias |
    /// | 20+4L+4P | 4 | CRC-32 (IEEE) of every preceding byte, UInt32 |
    ///
    /// Gradients are not stored. Reading the bytes back gives a bit-identical network.
    public func serialized() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 24 + 4 * layerSizes.count + 4 * parameters.count)
        writer.write(bytes: Self.fileMagic)
        writer.write(Self.fileFormatVersion)
        writer.write(UInt32(layerSizes.count))
        for size in layerSizes { writer.write(UInt32(size)) }
        writer.write(floats: parameters)
        writer.write(CRC32.checksum(writer.bytes))
        return writer.bytes
    }

    /// Reads a network written by ``serialized()``. Throws ``BinaryFormatError`` for anything else:
    /// wrong magic, unknown version, truncation, a checksum mismatch, or sizes that disagree with the
    /// parameter count.
    public init(serialized bytes: [UInt8]) throws(BinaryFormatError) {
        var reader = BinaryReader(bytes)
        let magic = Array(try reader.readBytes(4))
        guard magic == Self.fileMagic else { throw .badMagic(expected: "SACN network", found: magic) }
        let version = try reader.read(UInt32.self)
        guard version == Self.fileFormatVersion else {
            throw .unsupportedVersion(found: version, supported: Self.fileFormatVersion)
        }
        let sizeCount = try reader.read(UInt32.self)
        guard sizeCount >= 2, Int(sizeCount) <= reader.remaining / 4 else {
            throw .invalidField(name: "layer count", detail: "\(sizeCount) layer sizes")
        }
        var sizes: [Int] = []
        for _ in 0..<sizeCount { sizes.append(Int(try reader.read(UInt32.self))) }
        let parameters = try reader.readFloats()
        let contentEnd = reader.position
        let stored = try reader.read(UInt32.self)
        let computed = CRC32.checksum(bytes[0..<contentEnd])
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        guard let network = try? MultilayerPerceptron(layerSizes: sizes), network.parameterCount == parameters.count else {
            throw .invalidField(name: "parameters", detail: "\(parameters.count) parameters do not fit layer sizes \(sizes)")
        }
        self = network
        self.parameters = parameters
    }
}
