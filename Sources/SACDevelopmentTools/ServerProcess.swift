import Foundation

/// An envbridge server in a child process for benchmarks, on a loopback port it chose itself, terminated
/// on deinit: `sac serve` from this build, or `python3 -m gym_bridge serve`.
final class ServerProcess {
    let process = Process()
    /// The endpoint the server announced on its first line of standard error.
    private(set) var endpoint = ""

    /// Starts `sac serve` (the executable next to this one) with `arguments` after `serve`.
    static func sac(_ arguments: [String]) throws -> ServerProcess {
        let sac = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sac").path
        guard FileManager.default.isExecutableFile(atPath: sac) else { throw BenchmarkError("no sac executable next to sac-dev (\(sac)); build both") }
        return try ServerProcess(executable: sac, arguments: ["serve"] + arguments)
    }

    /// Starts `python3 -m gym_bridge serve` with `arguments`, from this checkout's `protocol/python` when run in one.
    static func gymBridge(_ arguments: [String]) throws -> ServerProcess {
        try ServerProcess(executable: "/usr/bin/env", arguments: ["python3", "-m", "gym_bridge", "serve"] + arguments,
                          pythonPath: FileManager.default.currentDirectoryPath + "/protocol/python")
    }

    private init(executable: String, arguments: [String], pythonPath: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments + ["--bind", "tcp://127.0.0.1:*"]
        if let pythonPath, FileManager.default.fileExists(atPath: pythonPath) {
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONPATH"] = pythonPath + (environment["PYTHONPATH"].map { ":" + $0 } ?? "")
            process.environment = environment
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let handle = errors.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "tcp://[0-9.]+:[0-9]+", options: .regularExpression) else {
            process.terminate()
            throw BenchmarkError("\(executable) \(arguments.joined(separator: " ")) did not start: \(text)")
        }
        endpoint = String(text[range])
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        var status: Int32 = 0
        waitpid(process.processIdentifier, &status, 0)
    }
}
