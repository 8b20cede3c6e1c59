import SoftActorCritic

/// A `SavedPolicy` as a NumPy `.npz` archive (a zip of `.npy` arrays, as `numpy.savez` writes), which
/// `numpy.load(path)` opens without `allow_pickle` and `gym_bridge.policy.load(path)` turns into a policy:
///
/// | array | dtype | contents |
/// |---|---|---|
/// | `format_version` | int64, scalar | 1 |
/// | `environment_id`, `variant` | unicode, scalar | what the policy was trained on, and how |
/// | `observation_shape`, `action_shape` | int64 | the environment's shapes |
/// | `action_low`, `action_high` | float32 | the environment's action bounds |
/// | `layer_sizes` | int64 | the actor network's sizes, input first; the last is 2·A (μ, then log σ) |
/// | `weight_0`, `bias_0`, … | float32 | layer i's weight `(out, in)` and bias `(out,)` |
///
/// The whole actor is kept (the log σ rows too), so the archive holds everything `policy.sacp` does.
/// Entries are stored uncompressed with a fixed date, so the same policy always gives the same bytes.
public struct NumPyPolicyArchive: Sendable {
    /// The value of the archive's `format_version` array.
    public static let formatVersion = 1

    private let arrays: [(name: String, array: NumPyArray)]

    /// The archive for `policy`.
    public init(_ policy: SavedPolicy) {
        let network = policy.actor.network
        var arrays: [(String, NumPyArray)] = [
            ("format_version", NumPyArray([Self.formatVersion], shape: [])),
            ("environment_id", NumPyArray(policy.environmentID)),
            ("variant", NumPyArray(policy.variant)),
            ("observation_shape", NumPyArray(policy.observationShape)),
            ("action_shape", NumPyArray(policy.actionShape)),
            ("action_low", NumPyArray(policy.scaling.low)),
            ("action_high", NumPyArray(policy.scaling.high)),
            ("layer_sizes", NumPyArray(network.layerSizes)),
        ]
        for (index, layer) in network.layers.enumerated() {
            let weight = Array(network.parameters[layer.weightOffset..<layer.biasOffset])
            let bias = Array(network.parameters[layer.biasOffset..<(layer.biasOffset + layer.outputSize)])
            arrays.append(("weight_\(index)", NumPyArray(weight, shape: [layer.outputSize, layer.inputSize])))
            arrays.append(("bias_\(index)", NumPyArray(bias)))
        }
        self.arrays = arrays
    }

    /// The `.npz` file's bytes.
    public func serialized() throws(PolicyExportError) -> [UInt8] {
        var archive = StoredZipArchive()
        for (name, array) in arrays { try archive.append(name: name + ".npy", contents: array.serialized) }
        return archive.bytes
    }
}
