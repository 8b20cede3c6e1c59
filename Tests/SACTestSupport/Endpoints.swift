import Foundation
import SACZeroMQ

/// Unique endpoints per test, so parallel tests never collide.
package enum Endpoints {
    /// A TCP endpoint on a port that was free a moment ago (for servers that must come back on the same address).
    package static func freeTCP() throws -> String {
        let probe = try ZeroMQSocket(.reply)
        try probe.bind("tcp://127.0.0.1:*")
        defer { probe.close() }
        return probe.lastEndpoint!
    }
    package static func inproc() -> String { "inproc://test-\(UUID().uuidString)" }
    package static func ipc() -> String { "ipc:///tmp/sac-test-\(UUID().uuidString.prefix(8)).sock" }
    package static let tcp = "tcp://127.0.0.1:*"
}
