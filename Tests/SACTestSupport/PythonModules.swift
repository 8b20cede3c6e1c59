import Foundation

/// Whether this machine's `python3` can import what a test needs (this checkout's `gym_bridge` first on
/// its path), so that tests which start the Python server or check exports in Python run where they can and
/// say why they do not elsewhere. `scripts/test` installs everything, so they all run in CI.
package enum PythonModules {
    /// This checkout's `protocol/python`.
    package static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../protocol/python").standardized.path

    /// Why `python3 -m gym_bridge serve` cannot start here, or `nil` when it can.
    package static let gymBridgeProblem = problem(importing: ["gym_bridge.server", "gymnasium", "zmq", "google.protobuf"])

    /// Why the exported policies cannot be checked in Python here, or `nil` when they can.
    package static let exportCheckProblem = problem(importing: ["numpy", "onnx", "onnxruntime", "gym_bridge.policy"])

    /// What the skip of a test that needs `gym_bridge` says.
    package static let gymBridgeComment: String =
        gymBridgeProblem.map { "needs python3 with gym_bridge's dependencies (\($0)): scripts/install-dependencies --python" } ?? ""

    /// `nil` when `python3` imports every one of `modules`, otherwise what it said.
    package static func problem(importing modules: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", modules.map { "import \($0)" }.joined(separator: "; ")]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = checkout + (environment["PYTHONPATH"].map { ":" + $0 } ?? "")
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return "python3 does not run: \(error)" }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus != 0 else { return nil }
        return String(decoding: message, as: UTF8.self).split(separator: "\n").last.map(String.init)
            ?? "python3 exited with \(process.terminationStatus)"
    }
}
