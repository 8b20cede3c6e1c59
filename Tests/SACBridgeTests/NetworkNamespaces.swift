import Foundation
import SACBridge

/// Hosts of their own on this machine: network namespaces, each joined to the host by a veth pair with an
/// address of its own (10.77.k.2, the host side 10.77.k.1), removed on deinit. Needs root and `ip netns`.
final class NetworkNamespaces {
    struct Host {
        var namespace: String
        /// The host side of the link, which ``NetworkNamespaces/cut(_:)`` takes down.
        var link: String
        var address: String
    }

    private(set) var hosts: [Host] = []

    /// Whether namespaces can be made here (root, `ip`, a kernel with veth), probed once.
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: ip) else { return false }
        let name = "sacprobe\(getpid())"
        defer { _ = try? run(["netns", "delete", name]) }
        return (try? run(["netns", "add", name])) != nil
    }()

    private static let ip = "/usr/sbin/ip"

    init(count: Int) throws {
        let tag = getpid() % 10_000
        for k in 0..<count {
            let namespace = "sac\(tag)h\(k)", link = "sac\(tag)v\(k)", subnet = "10.77.\(50 + k)"
            hosts.append(Host(namespace: namespace, link: link, address: subnet + ".2"))
            try Self.run(["netns", "add", namespace])
            try Self.run(["link", "add", link, "type", "veth", "peer", "name", link + "p"])
            try Self.run(["link", "set", link + "p", "netns", namespace])
            try Self.run(["addr", "add", subnet + ".1/24", "dev", link])
            try Self.run(["link", "set", link, "up"])
            try Self.run(["-n", namespace, "addr", "add", subnet + ".2/24", "dev", link + "p"])
            try Self.run(["-n", namespace, "link", "set", link + "p", "up"])
            try Self.run(["-n", namespace, "link", "set", "lo", "up"])
        }
    }

    deinit {
        for host in hosts {
            _ = try? Self.run(["link", "delete", host.link])
            _ = try? Self.run(["netns", "delete", host.namespace])
        }
    }

    /// Takes host k's link down: its packets are dropped, as on a cut cable.
    func cut(_ k: Int) throws { try Self.run(["link", "set", hosts[k].link, "down"]) }

    /// Brings host k's link back.
    func restore(_ k: Int) throws { try Self.run(["link", "set", hosts[k].link, "up"]) }

    /// `ip netns exec` prefix that runs a command on host k.
    func exec(_ k: Int) -> [String] { [Self.ip, "netns", "exec", hosts[k].namespace] }

    @discardableResult
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var status: Int32 = 0
        waitpid(process.processIdentifier, &status, 0)
        guard status == 0 else {
            throw ServerProcess.StartFailure(description: "ip \(arguments.joined(separator: " ")) exited with \(status)")
        }
        return status
    }
}
