import ArgumentParser
import SACZeroMQ
import SACBridge
import SACEnvironments
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// `sac serve`: serves a built-in environment over the envbridge protocol.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a built-in environment to envbridge clients over ZeroMQ until SIGINT or SIGTERM.")

    @Option(help: "Environment to serve: \(EnvironmentRegistry.entries.map(\.id).joined(separator: ", ")).")
    var env: String = "pendulum"

    @Option(help: "ZeroMQ endpoint to bind. Loopback by default; binding other interfaces must be explicit.")
    var bind: String = "tcp://127.0.0.1:5555"

    @Option(help: "Environments stepped per request in each session.")
    var numEnvs: Int = 1

    @Option(help: "Seconds after which an idle session is dropped.")
    var sessionTimeout: Double = 600

    @Option(
        help: "Sessions held at most; when all are held, a handshake evicts the least recently used one idle for --eviction-grace seconds.")
    var maxSessions = EnvironmentServer.Options().maximumSessions

    @Option(help: "Seconds a session must have been idle before a new handshake may evict it from a full server.")
    var evictionGrace = EnvironmentServer.Options().evictionGraceSeconds

    @Option(help: "Largest request frame accepted, bytes (larger ones are dropped by libzmq).")
    var maxMessageBytes: Int = 64 << 20

    @Option(help: "Microseconds to look for a quick client's next request before blocking (0: always block).")
    var spinUs = EnvironmentServer.Options().spinMicroseconds

    @Option(help: "Milliseconds every step request sleeps before stepping: a model of a slow simulator, for tests and benchmarks.")
    var stepDelayMs: Double = 0

    @Option(help: "CURVE secret key file of this server (sac keygen): encrypt traffic; clients need its .pub.")
    var curveSecretKey: String?

    @Option(help: "File of client public keys (one per line) admitted with CURVE; others are refused.")
    var allowedClients: String?

    func validate() throws {
        guard EnvironmentRegistry.entry(named: env) != nil else {
            throw ValidationError(
                "unknown environment '\(env)'; choose one of: \(EnvironmentRegistry.entries.map(\.id).joined(separator: ", "))")
        }
        guard stepDelayMs >= 0, stepDelayMs.isFinite else {
            throw ValidationError("--step-delay-ms must be a finite number >= 0, got \(stepDelayMs)")
        }
        guard spinUs >= 0 else { throw ValidationError("--spin-us must be >= 0, got \(spinUs)") }
        guard numEnvs >= 1 else { throw ValidationError("--num-envs must be at least 1, got \(numEnvs)") }
        guard sessionTimeout > 0 else { throw ValidationError("--session-timeout must be > 0, got \(sessionTimeout)") }
        guard maxSessions >= 1 else { throw ValidationError("--max-sessions must be at least 1, got \(maxSessions)") }
        guard evictionGrace >= 0, evictionGrace.isFinite else {
            throw ValidationError("--eviction-grace must be a finite number >= 0, got \(evictionGrace)")
        }
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024, got \(maxMessageBytes)") }
        if allowedClients != nil && curveSecretKey == nil {
            throw ValidationError("--allowed-clients needs --curve-secret-key: without CURVE there are no client keys to check")
        }
        if curveSecretKey != nil && bind.hasPrefix("inproc://") { throw ValidationError("CURVE needs a tcp:// or ipc:// endpoint") }
        guard bind.contains("://") else {
            throw ValidationError("--bind must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555, got '\(bind)'")
        }
    }

    func run() throws {
        var options = EnvironmentServer.Options()
        options.numEnvs = numEnvs
        options.sessionTimeoutSeconds = sessionTimeout
        options.maximumSessions = maxSessions
        options.evictionGraceSeconds = evictionGrace
        options.maximumMessageBytes = maxMessageBytes
        options.spinMicroseconds = spinUs
        options.stepDelayMilliseconds = stepDelayMs
        if let curveSecretKey { options.curveSecretKey = try CurveKeyFiles.key(curveSecretKey) }
        if let allowedClients { options.allowedClientKeys = Set(try CurveKeyFiles.keys(in: allowedClients)) }
        let server = try EnvironmentServer(environment: env, options: options)
        StopSignal.install()
        try server.serve(
            on: bind,
            onBound: { endpoint in
                FileHandle.standardError.write(
                    Data(
                        "sac serve: serving \(server.environmentID) (\(numEnvs) per session) on \(endpoint), instance \(server.instanceID)\(options.curveSecretKey == nil ? "" : ", CURVE\(options.allowedClientKeys.map { " with \($0.count) allowed clients" } ?? "")")\n"
                            .utf8))
            }, until: { StopSignal.received })
    }
}
