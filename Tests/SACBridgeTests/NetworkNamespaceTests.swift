import SACTestSupport
import Foundation
import SACBridge
import SACEnvironments
import SoftActorCritic
import Testing

/// Servers on hosts of their own (network namespaces joined by veth pairs), one of whose links is cut for
/// longer than the timeout and then restored. This machine's kernel has no `tc netem`, so the links add
/// no latency. Skipped where namespaces cannot be made (not root, no `ip netns`).
@Suite(.serialized, .enabled(if: NetworkNamespaces.available, "needs root and ip netns to make hosts of their own"))
struct NetworkNamespaceTests {
    /// Three servers on three hosts; host 1's link is down for 2 s (the timeout is 300 ms): the other two
    /// keep stepping, host 1's copies pause and rejoin, and every step taken is stored.
    @Test(.timeLimit(.minutes(2))) func aCutLinkPausesOnlyItsHostsCopies() throws {
        let hosts = try NetworkNamespaces(count: 3)
        let servers = try (0..<3).map { k in
            try ServerProcess(
                environment: "pendulum", bind: "tcp://\(hosts.hosts[k].address):5555", extraArguments: ["--step-delay-ms", "1"],
                program: .sac, prefix: hosts.exec(k))
        }
        let addresses = servers.map(\.endpoint)
        #expect(addresses == hosts.hosts.map { "tcp://\($0.address):5555" })
        var options = VectorEnvironmentGroup.Options()
        options.reconnectAttempts = 20
        let watch = ServerFaultIsolationTests.start(
            addresses, options: options, steps: 8_000, learningStarts: 200,
            client: ServerFaultIsolationTests.clientOptions())
        watch.wait(forStep: 500)
        try hosts.cut(1)
        usleep(2_000_000)
        try hosts.restore(1)
        watch.waitUntilDone()
        withExtendedLifetime(servers) {}
        #expect(watch.error == nil, "\(watch.error.map { "\($0)" } ?? "")")
        let summary = try #require(watch.summary)
        let perServer = try #require(summary.servers)
        let lost = watch.warnings.first { $0.text.contains("lost \(addresses[1])") }
        let rejoined = watch.warnings.first { $0.text.contains("reconnected \(addresses[1])") }
        #expect(lost != nil && rejoined != nil, "\(watch.warnings.map(\.text))")
        #expect(
            (rejoined?.step ?? 0) - (lost?.step ?? 0) > 50,
            "the other hosts stepped \((rejoined?.step ?? 0) - (lost?.step ?? 0)) times during the cut")
        #expect(perServer.map(\.reconnects) == [0, 1, 0] && perServer.allSatisfy { $0.state == .ok }, "\(perServer)")
        #expect(perServer.map(\.envSteps).reduce(0, +) == summary.transitionsStored && summary.transitionsStored == summary.envSteps)
    }
}
