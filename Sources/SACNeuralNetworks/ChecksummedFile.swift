/// The framing every binary file of the library shares (networks, policies, checkpoints):
///
/// | offset | bytes | field |
/// |---|---|---|
/// | 0 | 4 | magic, naming the kind of file |
/// | 4 | 4 | format version, UInt32 |
/// | 8 | 8 | N, the body's length in bytes, UInt64 |
/// | 16 | N | the body |
/// | 16+N | 4 | CRC-32 (IEEE) of every preceding byte, UInt32 |
///
/// All integers little-endian. The length tells a truncated file from a corrupt one.
public enum ChecksummedFile {
    /// Frames the body written by `body`.
    public static func encode(
        magic: [UInt8], version: UInt32, reservingCapacity capacity: Int = 0,
        body: (inout BinaryWriter) -> Void
    ) -> [UInt8] {
        var content = BinaryWriter(reservingCapacity: capacity)
        body(&content)
        var writer = BinaryWriter(reservingCapacity: content.bytes.count + 20)
        writer.write(bytes: magic)
        writer.write(version)
        writer.write(UInt64(content.bytes.count))
        writer.write(bytes: content.bytes)
        writer.write(CRC32.checksum(writer.bytes))
        return writer.bytes
    }

    /// Checks magic, version, length and checksum, in that order, and returns a reader over the body.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - magic: the four bytes the file must start with.
    ///   - kind: what the file should be, for the bad-magic message (e.g. "SAC policy").
    ///   - version: the only format version accepted; another one is ``BinaryFormatError/unsupportedVersion(found:supported:)``.
    public static func decode(_ bytes: [UInt8], magic: [UInt8], kind: String, version: UInt32) throws(BinaryFormatError) -> BinaryReader {
        try decode(bytes, magic: magic, kind: kind, versions: version...version).reader
    }

    /// ``decode(_:magic:kind:version:)`` for a format read in several versions: returns the body's reader and
    /// the version found, one of `versions` (another is ``BinaryFormatError/unsupportedVersion(found:supported:)``,
    /// naming the newest).
    public static func decode(
        _ bytes: [UInt8], magic: [UInt8], kind: String,
        versions: ClosedRange<UInt32>
    ) throws(BinaryFormatError) -> (reader: BinaryReader, version: UInt32) {
        var header = BinaryReader(bytes)
        let found = Array(try header.readBytes(magic.count))
        guard found == magic else { throw .badMagic(expected: kind, found: found) }
        let foundVersion = try header.read(UInt32.self)
        guard versions.contains(foundVersion) else { throw .unsupportedVersion(found: foundVersion, supported: versions.upperBound) }
        let length = try header.read(UInt64.self)
        // Compared without adding to `length`, which a hostile file may set near UInt64.max.
        let room = bytes.count - header.position - 4
        guard room >= 0, length <= UInt64(room) else {
            let needed = length > UInt64(Int.max / 2) ? Int.max : header.position + Int(length) + 4
            throw .truncated(needed: needed, available: bytes.count, at: 0)
        }
        let end = header.position + Int(length)
        var trailer = BinaryReader(Array(bytes[end..<(end + 4)]))
        let stored = try trailer.read(UInt32.self)
        let computed = CRC32.checksum(bytes[0..<end])
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        return (BinaryReader(Array(bytes[header.position..<end])), foundVersion)
    }
}
