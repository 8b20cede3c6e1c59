import SACNeuralNetworks

/// A zip archive of uncompressed ("stored") entries, as `numpy.savez` writes `.npz` files: per entry a
/// local file header and the bytes, then the central directory and its end record (PKWARE APPNOTE 6.3,
/// sections 4.3.7, 4.3.12 and 4.3.16), every date 1980-01-01 so that the bytes depend on the contents
/// alone. Written here rather than through a zip package: the one that resolves (ZIPFoundation 0.9.20)
/// makes every build of a dependent print a warning and needs zlib headers, for a format that, without
/// compression, is these fifty lines over the CRC-32 the library's files already use.
struct StoredZipArchive {
    private var body = BinaryWriter()
    private var directory = BinaryWriter()
    private var count = 0

    /// 1980-01-01 in MS-DOS date format (years since 1980, month, day); the time is 00:00:00.
    private static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    /// Appends an entry; throws if the archive would outgrow the 32-bit zip format (4 GiB, 65,535 entries).
    mutating func append(name: String, contents: [UInt8]) throws(PolicyExportError) {
        let nameBytes = Array(name.utf8)
        let offset = body.bytes.count
        guard count < Int(UInt16.max), nameBytes.count <= Int(UInt16.max),
            offset + 30 + nameBytes.count + contents.count < Int(UInt32.max)
        else {
            throw .cannotEncode(format: "numpy", reason: "the archive would exceed 4 GiB or 65,535 entries")
        }
        let crc = CRC32.checksum(contents)
        body.write(UInt32(0x0403_4B50))
        writeCommonFields(&body, crc: crc, size: contents.count, nameLength: nameBytes.count)
        body.write(bytes: nameBytes)
        body.write(bytes: contents)

        directory.write(UInt32(0x0201_4B50))
        directory.write(UInt16(20)) // made by: MS-DOS, zip 2.0
        writeCommonFields(&directory, crc: crc, size: contents.count, nameLength: nameBytes.count)
        directory.write(UInt16(0)) // comment length
        directory.write(UInt16(0)) // disk number start
        directory.write(UInt16(0)) // internal attributes
        directory.write(UInt32(0)) // external attributes
        directory.write(UInt32(offset))
        directory.write(bytes: nameBytes)
        count += 1
    }

    /// The archive's bytes.
    var bytes: [UInt8] {
        var end = BinaryWriter()
        end.write(UInt32(0x0605_4B50))
        end.write(UInt16(0)) // this disk
        end.write(UInt16(0)) // disk with the directory
        end.write(UInt16(count))
        end.write(UInt16(count))
        end.write(UInt32(directory.bytes.count))
        end.write(UInt32(body.bytes.count))
        end.write(UInt16(0)) // comment length
        return body.bytes + directory.bytes + end.bytes
    }

    /// The fields local headers and directory entries share, from "version needed" to "extra length".
    private func writeCommonFields(_ writer: inout BinaryWriter, crc: UInt32, size: Int, nameLength: Int) {
        writer.write(UInt16(20)) // version needed to extract: 2.0
        writer.write(UInt16(0)) // flags
        writer.write(UInt16(0)) // compression: stored
        writer.write(UInt16(0)) // time 00:00:00
        writer.write(Self.dosDate)
        writer.write(crc)
        writer.write(UInt32(size)) // compressed size
        writer.write(UInt32(size)) // uncompressed size
        writer.write(UInt16(nameLength))
        writer.write(UInt16(0)) // extra field length
    }
}
