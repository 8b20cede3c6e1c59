import ArgumentParser
import BridgeProtocol
import EnvironmentBridge
import Foundation
import ZeroMQ

/// `sac bench bridge`: remote steps per second through the protocol against raw libzmq round trips of
/// the same payload sizes, on the same transport, in the same run.
struct BenchBridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Remote steps/s through the envbridge protocol vs raw libzmq REQ/REP round trips of the same payload size.")

    enum Transport: String, ExpressibleByArgument, CaseIterable { case tcp, ipc, inproc }

    @Option(help: "ZeroMQ transport: tcp, ipc or inproc.")
    var transport: Transport = .tcp

    @Option(help: "Environments stepped per request.")
    var numEnvs: Int = 1

    @Option(help: "Timed requests per measurement.")
    var requests: Int = 20_000

    @Flag(help: "Skip the Python Gymnasium server even when it is installed.")
    var noPython = false

    func validate() throws {
        guard numEnvs >= 1, requests >= 100 else { throw ValidationError("--num-envs must be >= 1 and --requests >= 100") }
    }

    func run() throws {
        let endpoint: String
        switch transport {
        case .tcp: endpoint = "tcp://127.0.0.1:*"
        case .ipc: endpoint = "ipc:///tmp/sac-bench-\(getpid()).sock"
        case .inproc: endpoint = "inproc://sac-bench"
        }
        // The protocol, against the Swift server.
        var options = EnvironmentServer.Options()
        options.environmentsPerSession = numEnvs
        let serverOptions = options
        let server = try BackgroundServer.start(endpoint: endpoint) { try EnvironmentServer(environment: "pendulum", options: serverOptions) }
        let client = try RemoteEnvironmentClient(address: server.endpoint)
        _ = try client.reset()
        let actions = Tensor(float32: [Float](repeating: 0.1, count: numEnvs), shape: [numEnvs, 1])
        for _ in 0..<200 { _ = try client.step(actions) }
        let clock = ContinuousClock()
        let serverSecondsBefore = client.serverStepSeconds
        var start = clock.now
        var lastReply: BridgeReply.Step?
        for _ in 0..<requests { lastReply = try client.step(actions) }
        let bridgeSeconds = (clock.now - start).seconds
        let serverShare = (client.serverStepSeconds - serverSecondsBefore) / bridgeSeconds
        client.close()
        server.stop()

        // Raw libzmq with the same payload sizes.
        let requestBytes = MessageCodec.encode(BridgeRequest(requestID: 1, sessionID: String(repeating: "a", count: 16), kind: .step(actions: actions)))
        let replyBytes = MessageCodec.encode(BridgeReply(requestID: 1, serverInstanceID: String(repeating: "b", count: 16), kind: .step(lastReply!)))
        let rawEndpoint = transport == .inproc ? "inproc://sac-bench-raw" : endpoint.replacingOccurrences(of: ".sock", with: "-raw.sock")
        let echo = try RawEcho.start(endpoint: rawEndpoint, reply: replyBytes)
        let socket = try ZeroMQSocket(.request)
        try socket.connect(echo.endpoint)
        for _ in 0..<200 { try socket.send(requestBytes); _ = try socket.receive() }
        start = clock.now
        for _ in 0..<requests { try socket.send(requestBytes); _ = try socket.receive() }
        let rawSeconds = (clock.now - start).seconds
        socket.close()
        echo.stop()

        let bridgeRate = Double(requests) / bridgeSeconds, rawRate = Double(requests) / rawSeconds
        var rows: [(String, String)] = [
            ("transport, environments per request", "\(transport.rawValue), \(numEnvs)"),
            ("payload bytes (request / reply)", "\(requestBytes.count) / \(replyBytes.count)"),
            ("raw libzmq round trips/s", String(format: "%.0f", rawRate)),
            ("Swift server requests/s", String(format: "%.0f (%.0f environment steps/s)", bridgeRate, bridgeRate * Double(numEnvs))),
            ("Swift server / raw", String(format: "%.2f", bridgeRate / rawRate)),
            ("share of time the server spent stepping", String(format: "%.0f%%", 100 * serverShare)),
        ]
        var json = #""bench": "bridge", "transport": "\#(transport.rawValue)", "num_envs": \#(numEnvs), "raw_round_trips_per_second": \#(Int(rawRate)), "swift_requests_per_second": \#(Int(bridgeRate)), "swift_ratio": \#(String(format: "%.3f", bridgeRate / rawRate))"#
        if !noPython, transport != .inproc, let python = try? pythonRate(transport: transport, actions: actions) {
            rows.append(("Python Gymnasium server requests/s", String(format: "%.0f (%.0f environment steps/s)", python, python * Double(numEnvs))))
            rows.append(("Python server / raw", String(format: "%.2f", python / rawRate)))
            json += #", "python_requests_per_second": \#(Int(python)), "python_ratio": \#(String(format: "%.3f", python / rawRate))"#
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        print("{" + json + "}")
    }

    /// Requests/s against `python3 -m gym_bridge serve --env Pendulum-v1`, or nil when it is not installed.
    private func pythonRate(transport: Transport, actions: Tensor) throws -> Double? {
        let bind = transport == .tcp ? "tcp://127.0.0.1:\(Int.random(in: 20_000..<40_000))" : "ipc:///tmp/sac-bench-py-\(getpid()).sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "gym_bridge", "serve", "--env", "Pendulum-v1", "--bind", bind, "--num-envs", "\(numEnvs)"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        defer { kill(process.processIdentifier, SIGKILL) }
        var options = RemoteEnvironmentClient.Options()
        options.timeoutMilliseconds = 15_000
        options.retries = 0
        guard let client = try? RemoteEnvironmentClient(address: bind, options: options) else { return nil }
        defer { client.close() }
        _ = try client.reset()
        for _ in 0..<200 { _ = try client.step(actions) }
        let clock = ContinuousClock(), start = clock.now
        let count = max(requests / 4, 100)
        for _ in 0..<count { _ = try client.step(actions) }
        return Double(count) / (clock.now - start).seconds
    }
}

/// A server on its own thread, for benchmarks.
final class BackgroundServer: @unchecked Sendable {
    private let lock = NSLock()
    private var stopRequested = false, bound: String?, finished = false, failure: String?

    static func start(endpoint: String, make: @escaping @Sendable () throws -> EnvironmentServer) throws -> BackgroundServer {
        let box = BackgroundServer()
        Thread {
            do {
                try make().serve(on: endpoint, onBound: { e in box.lock.withLock { box.bound = e } }, until: { box.lock.withLock { box.stopRequested } })
            } catch {
                box.lock.withLock { box.failure = "\(error)" }
            }
            box.lock.withLock { box.finished = true }
        }.start()
        while box.lock.withLock({ box.bound == nil && box.failure == nil }) { usleep(1_000) }
        if let failure = box.lock.withLock({ box.failure }) { throw ValidationError("server failed: \(failure)") }
        return box
    }

    var endpoint: String { lock.withLock { bound ?? "" } }

    func stop() {
        lock.withLock { stopRequested = true }
        while !lock.withLock({ finished }) { usleep(1_000) }
    }
}

/// A REP socket that answers every request with the same bytes, on its own thread.
final class RawEcho: @unchecked Sendable {
    private let lock = NSLock()
    private var stopRequested = false, bound: String?, finished = false

    static func start(endpoint: String, reply: [UInt8]) throws -> RawEcho {
        let echo = RawEcho()
        Thread {
            defer { echo.lock.withLock { echo.finished = true } }
            guard let socket = try? ZeroMQSocket(.reply), (try? socket.bind(endpoint)) != nil else { return }
            echo.lock.withLock { echo.bound = socket.lastEndpoint ?? endpoint }
            while !echo.lock.withLock({ echo.stopRequested }) {
                guard (try? socket.waitForMessage(milliseconds: 50)) == true, (try? socket.receive()) != nil else { continue }
                try? socket.send(reply)
            }
            socket.close()
        }.start()
        while echo.lock.withLock({ echo.bound == nil && !echo.finished }) { usleep(1_000) }
        return echo
    }

    var endpoint: String { lock.withLock { bound ?? "" } }

    func stop() {
        lock.withLock { stopRequested = true }
        while !lock.withLock({ finished }) { usleep(1_000) }
    }
}
