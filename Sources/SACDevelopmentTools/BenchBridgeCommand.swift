import ArgumentParser
import SACBridgeProtocol
import SACBridge
import Foundation
import SACZeroMQ

/// `sac-dev bench bridge`: remote steps per second through the protocol against raw libzmq round trips of
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

    @Option(
        help: ArgumentHelp(
            "Run every server process (raw echoes, sac serve, gym_bridge) on this CPU (taskset -c), as one would pin a simulator.",
            discussion:
                "The client stays unpinned. A process that the scheduler moves between cores between requests meets cold caches after every wake-up."
        ))
    var serverCPU: Int?

    @Option(
        help: ArgumentHelp(
            "gym_bridge worker processes (its --workers) in the extra target with --num-envs above 1.",
            discussion: "Default: the cores beside one, at least one."))
    var pythonWorkers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)

    func validate() throws {
        guard pythonWorkers >= 1 else { throw ValidationError("--python-workers must be >= 1") }
        guard numEnvs >= 1, requests >= 100 else { throw ValidationError("--num-envs must be >= 1 and --requests >= 100") }
    }

    /// The window of the spinning targets: gym_bridge's `--spin-us` when it spins, and the spinning echo's.
    static let spinWindowMicroseconds = 200

    /// One thing to measure round trips against: `roundTrip` does one request and its reply.
    private struct Target {
        let name: String
        let roundTrip: () throws -> Void
        var seconds = 0.0
        var count = 0
        /// Round trips per second in each round, for ratios within a round.
        var roundRates: [Double] = []
        var rate: Double { Double(count) / seconds }
    }

    /// A client stepping as ``RemoteEnvironment`` and ``RemoteVectorEnvironment`` do: float32 actions
    /// written into the request in place, every reply read into one reused step.
    private final class Stepper {
        let client: RemoteEnvironmentClient
        let actions: [Float]
        var reply = BridgeReply.Step.empty

        init(_ client: RemoteEnvironmentClient, actions: Tensor) {
            self.client = client
            self.actions = actions.floats()
        }

        func step() throws {
            try actions.withUnsafeBufferPointer { actions throws(RemoteEnvironmentError) in try client.sendStep(float32: actions) }
            try client.receiveStep(into: &reply)
        }
    }

    /// `target ÷ reference` in each round, sorted.
    private static func sortedRoundRatios(_ target: Target, _ reference: Target) -> [Double] {
        zip(target.roundRates, reference.roundRates).map { $0 / $1 }.sorted()
    }

    /// `target ÷ reference` per round as "median (lowest–highest) over N rounds": how much of a ratio is
    /// the machine's changing load rather than the protocol.
    private static func roundRatios(_ target: Target, _ reference: Target) -> String {
        let ratios = sortedRoundRatios(target, reference)
        guard let low = ratios.first, let high = ratios.last else { return "" }
        return String(format: "per round %.2f (%.2f–%.2f over %d)", median(ratios), low, high, ratios.count)
    }

    /// Orders of `count` targets in which every target takes every place equally often and follows every
    /// other target equally often: the rows of a Williams design (`count` rows for an even count; for an
    /// odd one, those rows and their reverses).
    static func balancedOrders(_ count: Int) -> [[Int]] {
        guard count > 1 else { return [Array(0..<count)] }
        // 0, 1, n−1, 2, n−2, …: consecutive differences that are all distinct modulo n (for even n).
        let first = (0..<count).map { j in j % 2 == 1 ? (j + 1) / 2 : (count - j / 2) % count }
        let rows = (0..<count).map { shift in first.map { ($0 + shift) % count } }
        return count % 2 == 0 ? rows : rows + rows.map { $0.reversed() }
    }

    /// The median of `target ÷ reference` over the rounds.
    private static func medianRoundRatio(_ target: Target, _ reference: Target) -> Double {
        median(sortedRoundRatios(target, reference))
    }

    func run() throws {
        let endpoint: String
        switch transport {
        case .tcp: endpoint = "tcp://127.0.0.1:*"
        case .ipc: endpoint = "ipc:///tmp/sac-bench-\(getpid()).sock"
        case .inproc: endpoint = "inproc://sac-bench"
        }
        var options = EnvironmentServer.Options()
        options.numEnvs = numEnvs
        let serverOptions = options
        let actions = Tensor(float32: [Float](repeating: 0.1, count: numEnvs), shape: [numEnvs, 1])
        let handleMicroseconds = try Self.serverHandleMicroseconds(options: serverOptions, actions: actions, requests: requests)
        var cleanups: [() -> Void] = []
        defer { cleanups.reversed().forEach { $0() } }

        // The protocol against the Swift server on a thread of this process.
        let server = try BackgroundEnvironmentServer(endpoint: endpoint) {
            try EnvironmentServer(environment: "pendulum", options: serverOptions)
        }
        cleanups.append { server.stop() }
        let client = try RemoteEnvironmentClient(address: server.endpoint)
        cleanups.append { client.close() }
        _ = try client.reset()
        for _ in 0..<200 { _ = try client.step(actions) }
        let lastReply = try client.step(actions)
        // Raw libzmq with the same payload sizes.
        let (sessionID, instanceID) = (client.session.sessionID, client.serverInstanceID)
        let requestBytes = MessageCodec.encode(BridgeRequest(requestID: 1, sessionID: sessionID, kind: .step(actions: actions)))
        let replyBytes = MessageCodec.encode(BridgeReply(requestID: 1, serverInstanceID: instanceID, kind: .step(lastReply)))
        let codecMicroseconds = Self.clientCodecMicroseconds(
            actions: actions, sessionID: sessionID, replyBytes: replyBytes,
            requests: requests)
        let rawEndpoint = transport == .inproc ? "inproc://sac-bench-raw" : endpoint.replacingOccurrences(of: ".sock", with: "-raw.sock")
        let echo = try RawEcho.start(endpoint: rawEndpoint, reply: replyBytes)
        cleanups.append { echo.stop() }
        let socket = try ZeroMQSocket(.request)
        cleanups.append { socket.close() }
        try socket.connect(echo.endpoint)
        // The client checks for its reply this long before blocking (inproc only); the raw reference
        // receives the same way, and in this process also the other way, for comparison.
        let spin = RemoteEnvironmentClient.Options.automaticSpinMicroseconds
        let clientSpin = RemoteEnvironmentClient.Options().spinMicroseconds(for: server.endpoint)
        var targets = [
            Target(name: "raw") {
                try socket.send(requestBytes); _ = try socket.receive()
            },
            Target(name: "raw-spin") {
                try socket.send(requestBytes); _ = try socket.receive(spinMicroseconds: spin)
            },
            Target(name: "swift", roundTrip: Stepper(client, actions: actions).step),
        ]
        // The remote servers' clients by target name, for the time the servers report stepping.
        var remoteClients: [String: RemoteEnvironmentClient] = [:]
        if transport != .inproc {
            // A simulator runs in a process of its own: there the reference is an echo in another process
            // too (as libzmq's own local_lat/remote_lat measure), with its own I/O thread and wake-ups.
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            // `sac serve` is the product users run; it is built beside this tool (`swift build --product sac`).
            let sac = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("sac").path
            guard FileManager.default.isExecutableFile(atPath: sac) else {
                throw ValidationError("\(sac) is missing: build it first (swift build -c release --product sac)")
            }
            // Two echoes: one blocking in every receive (the reference), one looking for a quick client's
            // next request first, as gym_bridge does (`--spin-us`; the Swift server blocks by default).
            for (name, spinUs) in [("raw-remote", 0), ("raw-remote-spin", Self.spinWindowMicroseconds)] {
                let bind = processEndpoint()
                let echoProcess = try start([
                    executable, "bench", "echo", "--bind", bind, "--reply-bytes", "\(replyBytes.count)", "--spin-us", "\(spinUs)",
                ])
                cleanups.append {
                    kill(echoProcess.processIdentifier, SIGKILL); echoProcess.waitUntilExit()
                }
                let remoteSocket = try ZeroMQSocket(.request)
                cleanups.append { remoteSocket.close() }
                try remoteSocket.connect(bind)
                targets.append(
                    Target(name: name) {
                        try remoteSocket.send(requestBytes); _ = try remoteSocket.receive()
                    })
            }
            func gymBridge(numEnvs: Int, spinUs: Int, workers: Int = 0) -> [String] {
                [
                    "/usr/bin/env", "python3", "-m", "gym_bridge", "serve", "--env", "Pendulum-v1", "--num-envs", "\(numEnvs)",
                    "--spin-us", "\(spinUs)", "--workers", "\(workers)", "--bind",
                ]
            }
            var servers = [("swift-remote", [sac, "serve", "--env", "pendulum", "--num-envs", "\(numEnvs)", "--bind"], actions)]
            // gym_bridge blocking, and as it runs by default: spinning while that measures quicker (its --spin-us).
            if !noPython {
                servers += [
                    ("python", gymBridge(numEnvs: numEnvs, spinUs: 0), actions),
                    ("python-spin", gymBridge(numEnvs: numEnvs, spinUs: Self.spinWindowMicroseconds), actions),
                ]
            }
            if numEnvs > 1 {
                // What batching buys, in this run: the same servers with one environment per request, and
                // gym_bridge stepping its copies in worker processes beside its own.
                let one = Tensor(float32: [0.1], shape: [1, 1])
                servers.append(("swift-remote-one", [sac, "serve", "--env", "pendulum", "--num-envs", "1", "--bind"], one))
                if !noPython {
                    servers += [
                        ("python-spin-one", gymBridge(numEnvs: 1, spinUs: Self.spinWindowMicroseconds), one),
                        (
                            "python-workers", gymBridge(numEnvs: numEnvs, spinUs: Self.spinWindowMicroseconds, workers: pythonWorkers),
                            actions
                        ),
                    ]
                }
            }
            for (name, arguments, actions) in servers {
                let bind = processEndpoint()
                guard let process = try? start(arguments + [bind]) else { continue }
                cleanups.append {
                    kill(process.processIdentifier, SIGKILL); process.waitUntilExit()
                }
                var clientOptions = RemoteEnvironmentClient.Options()
                clientOptions.timeoutMilliseconds = 15_000
                clientOptions.retries = 0
                // No server (Python's gym_bridge not installed): that row is left out.
                guard let remote = try? RemoteEnvironmentClient(address: bind, options: clientOptions) else { continue }
                cleanups.append { remote.close() }
                _ = try remote.reset()
                targets.append(Target(name: name, roundTrip: Stepper(remote, actions: actions).step))
                remoteClients[name] = remote
            }
        }
        // Rounds of a few hundred round trips each, target after target, so that the machine's changing
        // load falls on every target alike and the ratios hold within one run. The rounds' orders are the
        // rows of a Williams design: every target takes every place equally often and follows every other
        // target equally often: a target runs faster or slower after some others (docs/performance.md).
        for index in targets.indices { for _ in 0..<200 { try targets[index].roundTrip() } }
        let orders = Self.balancedOrders(targets.count)
        let rounds = orders.count * ((10 + orders.count - 1) / orders.count)
        let chunk = max(requests / (2 * rounds), 20)
        let clock = ContinuousClock()
        let serverSecondsBefore = client.serverStepSeconds
        let remoteSecondsBefore = remoteClients.mapValues(\.serverStepSeconds)
        for round in 0..<rounds {
            for index in orders[round % orders.count] {
                let begin = clock.now
                for _ in 0..<chunk { try targets[index].roundTrip() }
                let seconds = (clock.now - begin).seconds
                targets[index].seconds += seconds
                targets[index].count += chunk
                targets[index].roundRates.append(Double(chunk) / seconds)
            }
        }
        let measured = Dictionary(uniqueKeysWithValues: targets.map { ($0.name, $0) })
        let rate = measured.mapValues(\.rate)
        let raw = rate["raw"]!, rawSpin = rate["raw-spin"]!, swift = rate["swift"]!
        let referenceTarget = measured[clientSpin > 0 ? "raw-spin" : "raw"]!
        let reference = referenceTarget.rate
        let serverShare = (client.serverStepSeconds - serverSecondsBefore) / measured["swift"]!.seconds
        var rows: [(String, String)] = [
            ("transport, environments per request", "\(transport.rawValue), \(numEnvs)"),
            ("payload bytes (request / reply)", "\(requestBytes.count) / \(replyBytes.count)"),
            ("round trips per target", "\(rounds * chunk), in \(rounds) interleaved rounds (orders balanced)"),
            ("server thread in this process:", ""),
            ("  raw libzmq round trips/s, blocking receive", String(format: "%.0f", raw) + (clientSpin > 0 ? "" : " (reference)")),
            ("  raw, checking \(spin) µs before blocking", String(format: "%.0f", rawSpin) + (clientSpin > 0 ? " (reference)" : "")),
            ("  Swift server requests/s", String(format: "%.0f (%.0f environment steps/s)", swift, swift * Double(numEnvs))),
            (
                "  Swift server / reference",
                String(format: "%.2f; ", swift / reference) + Self.roundRatios(measured["swift"]!, referenceTarget)
            ),
            ("  share of time the server spent stepping", String(format: "%.0f%%", 100 * serverShare)),
            ("  Swift server's handle() per step request", String(format: "%.1f µs (decode, step, encode)", handleMicroseconds)),
            ("  Swift client's codec per step", String(format: "%.2f µs (encode request, decode reply)", codecMicroseconds)),
        ]
        var record = BenchmarkRecord("bridge")
        record.set("transport", transport.rawValue)
        record.set("num_envs", numEnvs)
        record.set("raw_round_trips_per_second", Int(raw))
        record.set("raw_spin_round_trips_per_second", Int(rawSpin))
        record.set("client_spin_us", clientSpin)
        record.set("swift_requests_per_second", Int(swift))
        record.set("swift_ratio", swift / reference, digits: 3)
        record.set("swift_round_median_ratio", Self.medianRoundRatio(measured["swift"]!, referenceTarget), digits: 3)
        record.set("server_handle_us", handleMicroseconds, digits: 2)
        record.set("client_codec_us", codecMicroseconds, digits: 2)
        if let rawRemote = rate["raw-remote"], let rawRemoteSpin = rate["raw-remote-spin"] {
            let serverSpin = Self.spinWindowMicroseconds
            rows.append(("server in another process:", ""))
            rows.append(("  raw libzmq round trips/s, blocking receive", String(format: "%.0f (reference)", rawRemote)))
            rows.append(
                ("  raw, echo spinning as gym_bridge does", String(format: "%.0f (%d µs adaptive spin)", rawRemoteSpin, serverSpin)))
            record.set("raw_remote_round_trips_per_second", Int(rawRemote))
            record.set("raw_remote_spin_round_trips_per_second", Int(rawRemoteSpin))
            record.set("echo_spin_us", serverSpin)
            if let swiftRemote = rate["swift-remote"] {
                rows.append(("  Swift server (sac serve) requests/s", String(format: "%.0f", swiftRemote)))
                rows.append(
                    (
                        "  Swift server / raw (/ spinning raw)",
                        String(format: "%.2f (%.2f); ", swiftRemote / rawRemote, swiftRemote / rawRemoteSpin)
                            + Self.roundRatios(measured["swift-remote"]!, measured["raw-remote"]!)
                    ))
                record.set("swift_remote_requests_per_second", Int(swiftRemote))
                record.set("swift_remote_ratio", swiftRemote / rawRemote, digits: 3)
                record.set(
                    "swift_remote_round_median_ratio", Self.medianRoundRatio(measured["swift-remote"]!, measured["raw-remote"]!), digits: 3)
                record.set("swift_remote_spin_ratio", swiftRemote / rawRemoteSpin, digits: 3)
            }
            let origin = Self.checkoutPython == nil ? "installed gym_bridge" : "gym_bridge of this checkout"
            if let python = rate["python"] {
                rows.append(
                    (
                        "  Python Gymnasium server, blocking, requests/s",
                        String(format: "%.0f (%.0f environment steps/s), %@", python, python * Double(numEnvs), origin)
                    ))
                rows.append(
                    (
                        "  Python server blocking / raw",
                        String(format: "%.2f; ", python / rawRemote) + Self.roundRatios(measured["python"]!, measured["raw-remote"]!)
                    ))
                record.set("python_requests_per_second", Int(python))
                record.set("python_ratio", python / rawRemote, digits: 3)
                record.set("python_round_median_ratio", Self.medianRoundRatio(measured["python"]!, measured["raw-remote"]!), digits: 3)
            }
            if let pythonSpin = rate["python-spin"] {
                rows.append(
                    (
                        "  Python server by default (--spin-us \(serverSpin)), requests/s",
                        String(format: "%.0f (%.0f environment steps/s)", pythonSpin, pythonSpin * Double(numEnvs))
                    ))
                rows.append(
                    (
                        "  Python server by default / raw (/ spinning raw)",
                        String(format: "%.2f (%.2f); ", pythonSpin / rawRemote, pythonSpin / rawRemoteSpin)
                            + Self.roundRatios(measured["python-spin"]!, measured["raw-remote"]!)
                    ))
                record.set("python_spin_requests_per_second", Int(pythonSpin))
                record.set("python_spin_ratio", pythonSpin / rawRemote, digits: 3)
                record.set(
                    "python_spin_round_median_ratio", Self.medianRoundRatio(measured["python-spin"]!, measured["raw-remote"]!), digits: 3)
                record.set("python_spin_to_spinning_raw_ratio", pythonSpin / rawRemoteSpin, digits: 3)
            }
            if numEnvs > 1 {
                // Environment steps per second with numEnvs per request over those with one.
                func batching(_ name: String, _ batched: String, _ single: String, _ key: String) {
                    guard let b = rate[batched], let o = rate[single] else { return }
                    let gain = b * Double(numEnvs) / o
                    let rounds = Self.sortedRoundRatios(measured[batched]!, measured[single]!).map { $0 * Double(numEnvs) }
                    rows.append(
                        (
                            name,
                            String(
                                format: "%.1f× (%.0f against %.0f environment steps/s); per round %.1f× (%.1f–%.1f over %d)",
                                gain, b * Double(numEnvs), o, median(rounds), rounds.first ?? .nan, rounds.last ?? .nan, rounds.count)
                        ))
                    record.set(key, gain, digits: 2)
                }
                // Where a Python request's time goes: gym_bridge reports how long it stepped the copies.
                for (name, label) in [("python-spin", "without workers"), ("python-workers", "--workers \(pythonWorkers)")] {
                    guard let remote = remoteClients[name], let before = remoteSecondsBefore[name], let target = measured[name] else {
                        continue
                    }
                    let stepping = (remote.serverStepSeconds - before) / Double(target.count)
                    rows.append(
                        (
                            "  Python server stepping its copies, \(label)",
                            String(
                                format: "%.0f of %.0f µs per request (%.1f µs per copy)",
                                stepping * 1e6, target.seconds / Double(target.count) * 1e6, stepping * 1e6 / Double(numEnvs))
                        ))
                    record.set(name.replacingOccurrences(of: "-", with: "_") + "_stepping_us", stepping * 1e6, digits: 1)
                }
                rows.append(("\(numEnvs) per request ÷ one per request, environment steps/s:", ""))
                batching("  Swift server (sac serve)", "swift-remote", "swift-remote-one", "swift_batching_gain")
                batching("  Python server by default", "python-spin", "python-spin-one", "python_batching_gain")
                batching("  Python server, --workers \(pythonWorkers)", "python-workers", "python-spin-one", "python_workers_batching_gain")
                if let workers = rate["python-workers"], let alone = rate["python-spin"] {
                    rows.append(("  Python, --workers \(pythonWorkers) ÷ without", String(format: "%.2f", workers / alone)))
                    record.set("python_workers", pythonWorkers)
                    record.set("python_workers_speedup", workers / alone, digits: 3)
                }
            }
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        print(record.line)
    }

    /// Microseconds the Swift server takes to answer one step request, without any transport.
    private static func serverHandleMicroseconds(options: EnvironmentServer.Options, actions: Tensor, requests: Int) throws -> Double {
        let server = try EnvironmentServer(environment: "pendulum", options: options)
        let hello = try? MessageCodec.decodeReply(
            server.handle(MessageCodec.encode(BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init())))))
        guard case let .handshake(session)? = hello?.kind else { throw ValidationError("the server refused a handshake") }
        _ = server.handle(MessageCodec.encode(BridgeRequest(requestID: 2, sessionID: session.sessionID, kind: .reset(.init()))))
        let frames = (0..<requests).map {
            MessageCodec.encode(BridgeRequest(requestID: UInt64(3 + $0), sessionID: session.sessionID, kind: .step(actions: actions)))
        }
        let clock = ContinuousClock(), begin = clock.now
        var bytes = 0
        for frame in frames { bytes &+= server.handle(frame).count }
        let seconds = (clock.now - begin).seconds
        guard bytes > 0 else { throw ValidationError("the server sent empty replies") }
        return seconds / Double(requests) * 1e6
    }

    /// Microseconds the client spends encoding a step request and reading its reply, without any transport,
    /// as ``Stepper`` does: into a reused request buffer, and read in place into a reused step.
    private static func clientCodecMicroseconds(
        actions: Tensor, sessionID: String, replyBytes: [UInt8],
        requests: Int
    ) -> Double {
        let floats = actions.floats()
        var requestBytes: [UInt8] = []
        var step = BridgeReply.Step.empty
        let clock = ContinuousClock(), begin = clock.now
        var bytes = 0
        for id in 0..<requests {
            floats.withUnsafeBufferPointer {
                MessageCodec.encodeStepRequest(
                    requestID: UInt64(id), sessionID: sessionID, actions: $0, actionShape: actions.shape, into: &requestBytes)
            }
            bytes &+= requestBytes.count
            MessageCodec.viewStepReply(replyBytes)?.read(into: &step)
            bytes &+= step.rewards.count
        }
        let seconds = (clock.now - begin).seconds
        return bytes > 0 ? seconds / Double(requests) * 1e6 : .nan
    }

    /// A fresh endpoint on this transport for a server process.
    private func processEndpoint() -> String {
        transport == .tcp
            ? "tcp://127.0.0.1:\(Int.random(in: 20_000..<40_000))"
            : "ipc:///tmp/sac-bench-\(getpid())-\(Int.random(in: 0..<1_000_000)).sock"
    }

    /// `protocol/python` of the checkout this runs in, if any: gym_bridge is served from there rather
    /// than from an installed copy that may predate the sources.
    private static let checkoutPython: String? = {
        let folder = FileManager.default.currentDirectoryPath + "/protocol/python"
        return FileManager.default.fileExists(atPath: folder + "/gym_bridge/server.py") ? folder : nil
    }()

    private func start(_ arguments: [String]) throws -> Process {
        let arguments = serverCPU.map { ["/usr/bin/taskset", "-c", "\($0)"] + arguments } ?? arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        if let checkout = Self.checkoutPython {
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONPATH"] = checkout + (environment["PYTHONPATH"].map { ":" + $0 } ?? "")
            process.environment = environment
        }
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// `sac-dev bench echo`: a raw libzmq REP socket answering every request with the same bytes, in a process of
/// its own, for `sac-dev bench bridge` (not listed in the help).
struct BenchEchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo", abstract: "Raw libzmq REP echo for sac-dev bench bridge.", shouldDisplay: false)

    @Option(help: "ZeroMQ endpoint to bind.")
    var bind: String

    @Option(help: "Bytes of every reply.")
    var replyBytes: Int = 92

    @Option(help: "Microseconds to look for a quick client's next request before blocking, as the servers do (0: block).")
    var spinUs: Int = 0

    func run() throws {
        let socket = try ZeroMQSocket(.reply)
        try socket.bind(bind)
        let reply = [UInt8](repeating: 0, count: max(0, replyBytes))
        var spin = AdaptiveSpin(windowMicroseconds: spinUs)
        while true {
            _ = try socket.receive(spinMicroseconds: spin.nextSpinMicroseconds)
            spin.requestArrived()
            try socket.send(reply)
            spin.replied()
        }
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
