import Foundation
import SACBridge
import SACTestSupport

/// A loopback TCP port held by a socket that is bound but never listens: connecting to it is refused, and
/// no other socket can bind it until ``release()``.
final class ReservedPort: @unchecked Sendable {
    let port: Int
    private let lock = NSLock()
    private var descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes the socket, so that a server can bind the port.
    func release() {
        lock.withLock {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }

    deinit { release() }
}

/// A server started from another thread, kept until this object goes away.
final class LateServer: @unchecked Sendable {
    private let lock = NSLock()
    private var server: BackgroundEnvironmentServer?
    private var error: (any Error)?

    func start(endpoint: String) {
        do {
            let started = try BackgroundEnvironmentServer(endpoint: endpoint)
            lock.withLock { server = started }
        } catch {
            lock.withLock { self.error = error }
        }
    }

    /// Why the server did not start, if it did not.
    var failure: (any Error)? { lock.withLock { error } }
}
