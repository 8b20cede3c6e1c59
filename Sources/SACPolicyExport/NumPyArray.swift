/// One array in NumPy's `.npy` format, version 1.0: the magic `\x93NUMPY`, the version, a header
/// dictionary (`descr`, `fortran_order`, `shape`) padded to a multiple of 64 bytes, then the data
/// little-endian in C order. `numpy.load` reads it without `allow_pickle`.
struct NumPyArray: Sendable {
    /// The `descr` of the data type, e.g. `<f4`.
    let descriptor: String
    /// The array's shape; `[]` for a scalar.
    let shape: [Int]
    /// The data, already in the descriptor's encoding.
    let data: [UInt8]

    /// A float32 array.
    init(_ values: [Float], shape: [Int]? = nil) {
        descriptor = "<f4"
        self.shape = shape ?? [values.count]
        data = values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    }

    /// An int64 array.
    init(_ values: [Int], shape: [Int]? = nil) {
        descriptor = "<i8"
        self.shape = shape ?? [values.count]
        data = values.flatMap { value in withUnsafeBytes(of: Int64(value).littleEndian, Array.init) }
    }

    /// A scalar Unicode string (NumPy's `<U` type: UTF-32 little-endian code points).
    init(_ string: String) {
        let scalars = Array(string.unicodeScalars)
        descriptor = "<U\(max(scalars.count, 1))"
        shape = []
        let padded = scalars.isEmpty ? [Unicode.Scalar(0)] : scalars
        data = padded.flatMap { scalar in withUnsafeBytes(of: scalar.value.littleEndian, Array.init) }
    }

    /// The `.npy` file's bytes.
    var serialized: [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + header length (2) + header + newline: a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        return bytes + data
    }
}
