import Foundation
import SoftActorCritic

/// The formats a trained policy exports to. Each holds the deterministic policy (``DeterministicPolicy``)
/// and acts exactly as `sac eval` does, up to float32 rounding.
public enum PolicyExportFormat: String, CaseIterable, Sendable {
    /// An ONNX model (``ONNXPolicyModel``): input `observation` `[batch, obs]`, output `action` `[batch, act]`.
    case onnx
    /// A dependency-free C99 header (``CPolicyHeader``) with `void NAME_act(const float *, float *)`.
    case c
    /// A NumPy `.npz` archive (``NumPyPolicyArchive``) that `gym_bridge.policy.load` reads.
    case numpy

    /// The file extension the format is written with, without the dot.
    public var fileExtension: String {
        switch self {
        case .onnx: "onnx"
        case .c: "h"
        case .numpy: "npz"
        }
    }

    /// The exported file's bytes for `policy`; `name` names the C header's functions and arrays (other
    /// formats ignore it).
    public func export(_ policy: SavedPolicy, name: String = "policy") throws(PolicyExportError) -> [UInt8] {
        let deterministic = try DeterministicPolicy(policy)
        switch self {
        case .onnx: return ONNXPolicyModel(deterministic).serialized()
        case .c: return Array(try CPolicyHeader(deterministic, name: name).text.utf8)
        case .numpy: return try NumPyPolicyArchive(policy).serialized()
        }
    }

    /// Exports `policy` to the file at `path`, atomically (a temporary file renamed over the target).
    public func write(_ policy: SavedPolicy, to path: String, name: String = "policy") throws(PolicyExportError) {
        let bytes = try export(policy, name: name)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}
