/// Why a binary file could not be read.
public enum BinaryFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data ended early: `needed` bytes at offset `at`, only `available` left.
    case truncated(needed: Int, available: Int, at: Int)
    /// The file does not start with the expected magic bytes: it is not this kind of file.
    case badMagic(expected: String, found: [UInt8])
    /// The file's format version is not one this build reads.
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// The stored checksum does not match the contents: the file is corrupt.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// A string field is not valid UTF-8.
    case invalidText(at: Int)
    /// A field holds a value that cannot be right (e.g. layer sizes that disagree with the parameter count).
    case invalidField(name: String, detail: String)

    public var description: String {
        switch self {
        case let .truncated(needed, available, offset):
            return "file is truncated: needed \(needed) bytes at offset \(offset), only \(available) remain"
        case let .badMagic(expected, found):
            return "not a \(expected) file (starts with bytes \(found))"
        case let .unsupportedVersion(found, supported):
            return "format version \(found) is not supported (this build reads version \(supported))"
        case let .checksumMismatch(stored, computed):
            return "file is corrupt: stored CRC-32 \(String(stored, radix: 16)) but contents give \(String(computed, radix: 16))"
        case let .invalidText(offset):
            return "invalid UTF-8 text at offset \(offset)"
        case let .invalidField(name, detail):
            return "invalid field \(name): \(detail)"
        }
    }
}
