extension MultilayerPerceptron {
    /// The magic bytes that open a serialised network: ASCII "SACN".
    public static let fileMagic: [UInt8] = Array("SACN".utf8)
    /// The newest format version this build writes and reads: 2 for a normalised network, 1 for a plain
    /// one (so that readers of version 1 still read every plain network).
    public static let fileFormatVersion: UInt32 = 2

    /// The network's sizes and parameters in a documented, portable little-endian layout: a
    /// ``ChecksummedFile`` with magic `"SACN"`, version 1 for a plain network, and the body
    ///
    /// | bytes | field |
    /// |---|---|
    /// | 4 | L, the number of layer sizes, UInt32 |
    /// | 4·L | layer sizes, UInt32 each, input first |
    /// | 8 | P, the parameter count, UInt64 |
    /// | 4·P | parameters, IEEE 754 binary32: per layer the weight (out×in, row-major), then the bias |
    ///
    /// A normalised network is version 2: its parameters hold, per layer, the normalisation's scale γ and
    /// shift β (one per input feature each) before the weight, and the body continues with
    ///
    /// | bytes | field |
    /// |---|---|
    /// | 4, 4 | momentum, ε (binary32) |
    /// | 8 | warm-up steps, UInt64 |
    /// | 4, 4 | r_max, d_max (binary32) |
    /// | 8 | training passes so far, UInt64 |
    /// | 8 + 4·S | S, then the running statistics: per layer the mean of each input feature, then the variance |
    ///
    /// Gradients are not stored. Reading the bytes back gives a bit-identical network.
    public func serialized() -> [UInt8] {
        ChecksummedFile.encode(
            magic: Self.fileMagic, version: normalization == nil ? 1 : 2,
            reservingCapacity: 60 + 4 * layerSizes.count + 4 * parameters.count + 4 * normalizationStatistics.count
        ) { writer in
            writer.write(UInt32(layerSizes.count))
            for size in layerSizes { writer.write(UInt32(size)) }
            writer.write(floats: parameters)
            if let normalization {
                writer.write(normalization.momentum)
                writer.write(normalization.epsilon)
                writer.write(UInt64(normalization.warmupSteps))
                writer.write(normalization.rMax)
                writer.write(normalization.dMax)
                writer.write(UInt64(normalizationSteps))
                writer.write(floats: normalizationStatistics)
            }
        }
    }

    /// Reads a network written by ``serialized()``. Throws ``BinaryFormatError`` for anything else:
    /// wrong magic, unknown version, truncation, a checksum mismatch, or sizes that disagree with the
    /// parameter count.
    public init(serialized bytes: [UInt8]) throws(BinaryFormatError) {
        var (reader, version) = try ChecksummedFile.decode(
            bytes, magic: Self.fileMagic, kind: "SACN network", versions: 1...Self.fileFormatVersion)
        let sizeCount = try reader.read(UInt32.self)
        guard sizeCount >= 2, Int(sizeCount) <= reader.remaining / 4 else {
            throw .invalidField(name: "layer count", detail: "\(sizeCount) layer sizes")
        }
        var sizes: [Int] = []
        for _ in 0..<sizeCount { sizes.append(Int(try reader.read(UInt32.self))) }
        let parameters = try reader.readFloats()
        var normalization: BatchRenormalization.Configuration?
        var steps = 0, statistics: [Float] = []
        if version >= 2 {
            var configuration = BatchRenormalization.Configuration()
            configuration.momentum = try reader.readFloat()
            configuration.epsilon = try reader.readFloat()
            configuration.warmupSteps = Int(clamping: try reader.read(UInt64.self))
            configuration.rMax = try reader.readFloat()
            configuration.dMax = try reader.readFloat()
            steps = Int(clamping: try reader.read(UInt64.self))
            statistics = try reader.readFloats()
            guard configuration.epsilon > 0, configuration.momentum >= 0, configuration.momentum <= 1, configuration.rMax >= 1,
                configuration.dMax >= 0
            else {
                throw .invalidField(
                    name: "normalization",
                    detail:
                        "momentum \(configuration.momentum), epsilon \(configuration.epsilon), r_max \(configuration.rMax), d_max \(configuration.dMax)"
                )
            }
            normalization = configuration
        }
        guard let network = try? MultilayerPerceptron(layerSizes: sizes, normalization: normalization),
            network.parameterCount == parameters.count
        else {
            throw .invalidField(name: "parameters", detail: "\(parameters.count) parameters do not fit layer sizes \(sizes)")
        }
        guard network.normalizationStatistics.count == statistics.count || normalization == nil else {
            throw .invalidField(name: "normalization statistics", detail: "\(statistics.count) values for layer sizes \(sizes)")
        }
        self = network
        self.parameters = parameters
        if normalization != nil {
            normalizationStatistics = statistics
            normalizationSteps = steps
        }
    }
}
