import Foundation

/// An envbridge server in a child process, for this package's benchmarks and tests: `sac serve` from this
/// build or `python3 -m gym_bridge serve`, started with its arguments, its endpoint read from the first
/// line it writes to standard error, stopped (SIGTERM, then SIGKILL after 5 s) when released.
package final class ServerProcess {
    package enum Program: Sendable {
        /// `python3 -m gym_bridge serve`, with `pythonPath` (a checkout's `protocol/python`) first on PYTHONPATH.
        case gymBridge(pythonPath: String?)
        /// This build's `sac serve`: the `sac` executable beside the running one.
        case sac
    }

    /// Why a server did not start.
    package struct StartFailure: Error, CustomStringConvertible {
        package let description: String
        package init(description: String) { self.description = description }
    }

    package let process = Process()
    /// The endpoint the server announced (`tcp://127.0.0.1:41234`).
    package private(set) var endpoint = ""
    private var stopped = false

    /// Starts `program` with `arguments` after `serve`; `prefix` runs it through another command (e.g.
    /// `ip netns exec NAME`). Waits up to 60 s for the endpoint.
    package init(_ program: Program, arguments: [String], prefix: [String] = []) throws {
        switch program {
        case let .gymBridge(pythonPath):
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-m", "gym_bridge", "serve"] + arguments
            if let pythonPath, FileManager.default.fileExists(atPath: pythonPath) {
                var environment = ProcessInfo.processInfo.environment
                environment["PYTHONPATH"] = pythonPath + (environment["PYTHONPATH"].map { ":" + $0 } ?? "")
                process.environment = environment
            }
        case .sac:
            let sac = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sac").path
            guard FileManager.default.isExecutableFile(atPath: sac) else {
                throw StartFailure(description: "no sac executable at \(sac): build it (swift build)")
            }
            process.executableURL = URL(fileURLWithPath: sac)
            process.arguments = ["serve"] + arguments
        }
        if let first = prefix.first, let executable = process.executableURL?.path {
            process.arguments = Array(prefix.dropFirst()) + [executable] + (process.arguments ?? [])
            process.executableURL = URL(fileURLWithPath: first)
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let handle = errors.fileHandleForReading
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "tcp://[0-9.]+:[0-9]+", options: .regularExpression) else {
            crash()
            throw StartFailure(
                description:
                    "\(([process.executableURL?.path ?? ""] + (process.arguments ?? [])).joined(separator: " ")) did not start: \(text)")
        }
        endpoint = String(text[range])
    }

    /// SIGTERM, then SIGKILL after 5 s. Polls instead of `waitUntilExit()`, which needs a run loop that
    /// test threads do not have.
    package func stop() {
        let pid = process.processIdentifier
        guard !stopped, pid > 0 else { return }
        stopped = true
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || result == -1 { return } // reaped here, or already reaped by Foundation
            usleep(10_000)
        }
        kill(pid, SIGKILL)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    package func crash() {
        let pid = process.processIdentifier
        guard !stopped, pid > 0 else { return }
        stopped = true
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    deinit { stop() }
}
