import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Crash-safe file replacement: write a temporary file, fsync it, rename it over the target, fsync the
/// directory. A crash at any point leaves either the old file or the new one, never a torn mix.
enum AtomicFile {
    /// Writes `bytes` to `path` atomically. If `keepPrevious` names a path, the file being replaced is
    /// first renamed there, so one older generation survives.
    static func write(_ bytes: [UInt8], to path: String, keepPrevious: String? = nil) throws(SACError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw .io(path: temporary, reason: String(cString: strerror(errno))) }
        var offset = 0
        let failure: String? = bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return fsync(descriptor) == 0 ? nil : String(cString: strerror(errno))
        }
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw .io(path: temporary, reason: failure)
        }
        if let keepPrevious, access(path, F_OK) == 0, rename(path, keepPrevious) != 0 {
            throw .io(path: keepPrevious, reason: String(cString: strerror(errno)))
        }
        guard rename(temporary, path) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        let directory = (path as NSString).deletingLastPathComponent
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
