extension MultilayerPerceptron {
    /// The magic bytes that open a serialised network: ASCII "SACN".
    public static let fileMagic: [UInt8] = Array("SACN".utf8)
    /// The format version this build writes and reads.
    public static let fileFormatVersion: UInt32 = 1

    /// The network's sizes and parameters in a documented, portable little-endian layout: a
    /// ``ChecksummedFile`` with magic `"SACN"`, version 1, and the body
    ///
    /// | bytes | field |
    /// |---|---|
    /// | 4 | L, the number of layer sizes, UInt32 |
    /// | 4·L | layer sizes, UInt32 each, input first |
    /// | 8 | P, the parameter count, UInt64 |
    /// | 4·P | parameters, IEEE 754 binary32: per layer the weight (out×in, row-major), then the bias |
    ///
    /// Gradients are not stored. Reading the bytes back gives a bit-identical network.
    public func serialized() -> [UInt8] {
        ChecksummedFile.encode(magic: Self.fileMagic, version: Self.fileFormatVersion,
                               reservingCapacity: 12 + 4 * layerSizes.count + 4 * parameters.count) { writer in
            writer.write(UInt32(layerSizes.count))
            for size in layerSizes { writer.write(UInt32(size)) }
            writer.write(floats: parameters)
        }
    }

    /// Reads a network written by ``serialized()``. Throws ``BinaryFormatError`` for anything else:
    /// wrong magic, unknown version, truncation, a checksum mismatch, or sizes that disagree with the
    /// parameter count.
    public init(serialized bytes: [UInt8]) throws(BinaryFormatError) {
        var reader = try ChecksummedFile.decode(bytes, magic: Self.fileMagic, kind: "SACN network", version: Self.fileFormatVersion)
        let sizeCount = try reader.read(UInt32.self)
        guard sizeCount >= 2, Int(sizeCount) <= reader.remaining / 4 else {
            throw .invalidField(name: "layer count", detail: "\(sizeCount) layer sizes")
        }
        var sizes: [Int] = []
        for _ in 0..<sizeCount { sizes.append(Int(try reader.read(UInt32.self))) }
        let parameters = try reader.readFloats()
        guard let network = try? MultilayerPerceptron(layerSizes: sizes), network.parameterCount == parameters.count else {
            throw .invalidField(name: "parameters", detail: "\(parameters.count) parameters do not fit layer sizes \(sizes)")
        }
        self = network
        self.parameters = parameters
    }
}
