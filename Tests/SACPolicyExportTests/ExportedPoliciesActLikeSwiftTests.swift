import Foundation
import SACNeuralNetworks
@testable import SACPolicyExport
import SACRandomness
import SoftActorCritic
import Testing
import SACTestSupport

/// Every export, run outside Swift (onnxruntime, a C compiler, NumPy), takes the actions Swift's evaluator
/// takes on 1,000 observations, 900 inside the observation bounds and 100 far outside them.
@Suite(
    .enabled(
        if: PythonModules.exportCheckProblem == nil,
        Comment(
            rawValue:
                "needs python3 with numpy, onnx and onnxruntime (\(PythonModules.exportCheckProblem ?? "")): scripts/install-dependencies --python"
        ))) struct ExportedPoliciesActLikeSwiftTests
{
    /// Largest allowed |exported action − Swift's action| / ((high − low) / 2): 1e-5 of the squashed action
    /// tanh μ ∈ [−1, 1], which the rescale to the environment's bounds multiplies by the half range (5 for
    /// one dimension here, so 5e-5 in its units). The products run in float32 in a different order in each
    /// implementation (OpenBLAS blocks a batch of 1,000 differently from one row, the C header sums left to
    /// right), so μ differs by float32 roundings of its dot products; measured here up to 2.2e-6 inside the
    /// bounds, and below 1e-7 for a batch of one through NumPy and onnxruntime.
    static let tolerance = 1e-5
    /// The same for observations 10× outside the bounds: a ReLU network is nearly positively homogeneous
    /// (f(kx) ≈ k·f(x) once the biases are small beside the activations), so its activations, and the
    /// float32 rounding of the sums that make them, grow tenfold with the observation.
    static let outsideTolerance = 1e-4

    /// Plain actors of 1–3 layers, and CrossQ's (batch renormalisation before every layer).
    @Test(arguments: [([Int](), false), ([64], false), ([64, 32], false), ([], true), ([64, 32], true)])
    func onnxCAndNumPyGiveSwiftsActions(hidden: [Int], normalized: Bool) throws {
        let policy = try Self.policy(hidden: hidden, normalized: normalized)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sac-export-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var generator = Xoshiro256StarStar(seed: 7)
        let evaluator = Evaluator(actor: policy.actor, scaling: policy.scaling)
        var observations: [Float] = [], actions: [Float] = []
        for index in 0..<1000 {
            // Observation bounds [−3, 3]; the last 100 observations lie up to 30 outside them.
            let scale: Float = index < 900 ? 3 : 30
            let observation = (0..<6).map { _ in Float(generator.nextUniform(in: -1, 1)) * scale }
            observations += observation
            actions += evaluator.action(for: observation)
        }
        try policy.write(to: directory + "/policy.sacp")
        for format in PolicyExportFormat.allCases {
            try format.write(policy, to: directory + "/policy." + format.fileExtension, name: "policy")
        }
        try Data(NumPyArray(observations, shape: [1000, 2, 3]).serialized).write(to: URL(fileURLWithPath: directory + "/observations.npy"))
        try Data(NumPyArray(actions, shape: [1000, 3]).serialized).write(to: URL(fileURLWithPath: directory + "/actions.npy"))

        let report = try Self.runChecker(directory)
        for key in ["onnx_batch_one", "numpy_sacp_one", "numpy_npz_one"] {
            let difference = try #require(report[key] as? Double, "the checker reported no \(key): \(report)")
            #expect(
                difference <= Self.tolerance,
                "\(key) differs from Swift's action by \(difference) (hidden \(hidden), normalized \(normalized))")
        }
        for key in ["onnx", "c", "numpy_sacp", "numpy_npz"] {
            let regions = try #require(report[key] as? [String: Double], "the checker reported no \(key): \(report)")
            for (region, tolerance) in [("inside", Self.tolerance), ("outside", Self.outsideTolerance)] {
                let difference = try #require(regions[region])
                #expect(
                    difference <= tolerance,
                    "\(key) differs from Swift's actions by \(difference) \(region) the bounds (hidden \(hidden), normalized \(normalized))"
                )
            }
        }
        // The actions are not all near one value: the test would pass trivially on a constant policy.
        let spread = actions.max()! - actions.min()!
        #expect(spread > 5, "actions span only \(spread)")
    }

    /// A policy with asymmetric action bounds, a 2×3 observation and weights scaled up so that the means
    /// reach tanh's saturated range; a normalised one has scales, shifts and running statistics away from
    /// their initial values.
    static func policy(hidden: [Int], normalized: Bool = false) throws -> SavedPolicy {
        var generator = Xoshiro256StarStar(seed: UInt64(hidden.count + 1))
        var actor = try SquashedGaussianActor(
            observationCount: 6, actionCount: 3, hiddenSizes: hidden,
            normalization: normalized ? BatchRenormalization.Configuration() : nil, generator: &generator)
        actor.network.parameters = actor.network.parameters.map { $0 * 3 }
        for layer in actor.network.normalizations {
            for j in 0..<layer.features {
                actor.network.parameters[layer.scaleOffset + j] = Float(generator.nextUniform(in: 0.5, 1.5))
                actor.network.parameters[layer.shiftOffset + j] = Float(generator.nextUniform(in: -0.5, 0.5))
                actor.network.normalizationStatistics[layer.statisticsOffset + j] = Float(generator.nextUniform(in: -1, 1))
                actor.network.normalizationStatistics[layer.statisticsOffset + layer.features + j] = Float(
                    generator.nextUniform(in: 0.3, 3))
            }
        }
        return SavedPolicy(
            environmentID: "Test-v0", variant: "twin-q", actor: actor,
            scaling: ActionScaling(low: [-2, 0, -0.5], high: [2, 10, 0.5]),
            observationShape: [2, 3], actionShape: [3])
    }

    /// Runs check_exported_policy.py (beside this file) on `directory` and returns its JSON report.
    static func runChecker(_ directory: String) throws -> [String: Any] {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let root = here.deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", here.appendingPathComponent("check_exported_policy.py").path, directory, "900"]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = root.appendingPathComponent("protocol/python").path + (environment["PYTHONPATH"].map { ":" + $0 } ?? "")
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "the checker failed: \(errorText)")
        return try #require(
            try JSONSerialization.jsonObject(with: data) as? [String: Any], "not JSON: \(String(decoding: data, as: UTF8.self))")
    }
}
