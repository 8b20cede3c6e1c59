import SoftActorCritic

/// A `SavedPolicy` as a NumPy `.npz` archive (a zip of `.npy` arrays, as `numpy.savez` writes), which
/// `numpy.load(path)` opens without `allow_pickle` and `gym_bridge.policy.load(path)` turns into a policy:
///
/// | array | dtype | contents |
/// |---|---|---|
/// | `format_version` | int64, scalar | 1; 2 when the actor is normalised (CrossQ), so that a reader of 1 refuses it |
/// | `environment_id`, `variant` | unicode, scalar | what the policy was trained on, and how |
/// | `observation_shape`, `action_shape` | int64 | the environment's shapes |
/// | `action_low`, `action_high` | float32 | the environment's action bounds |
/// | `layer_sizes` | int64 | the actor network's sizes, input first; the last is 2·A (μ, then log σ) |
/// | `weight_0`, `bias_0`, … | float32 | layer i's weight `(out, in)` and bias `(out,)` |
/// | `normalization_scale_0`, `normalization_shift_0`, `normalization_mean_0`, `normalization_variance_0`, … | float32 | version 2: layer i's batch renormalisation, γ, β, running mean and variance `(in,)` |
/// | `normalization_epsilon` | float32, scalar | version 2: ε; inference is `γ·(x − mean)/√(variance + ε) + β` |
///
/// The whole actor is kept (the log σ rows too), so the archive holds everything `policy.sacp` does.
/// Entries are stored uncompressed with a fixed date, so the same policy always gives the same bytes.
public struct NumPyPolicyArchive: Sendable {
    /// The value of the archive's `format_version` array for a plain actor; a normalised one (CrossQ's) is 2.
    public static let formatVersion = 1

    private let arrays: [(name: String, array: NumPyArray)]

    /// The archive for `policy`.
    public init(_ policy: SavedPolicy) {
        let network = policy.actor.network
        var arrays: [(String, NumPyArray)] = [
            ("format_version", NumPyArray([network.isNormalized ? 2 : Self.formatVersion], shape: [])),
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
            if network.isNormalized {
                let normalization = network.normalizations[index], f = normalization.features
                let statistics = network.normalizationStatistics, p = network.parameters
                arrays.append(
                    ("normalization_scale_\(index)", NumPyArray(Array(p[normalization.scaleOffset..<(normalization.scaleOffset + f)]))))
                arrays.append(
                    ("normalization_shift_\(index)", NumPyArray(Array(p[normalization.shiftOffset..<(normalization.shiftOffset + f)]))))
                let mean = normalization.statisticsOffset
                arrays.append(("normalization_mean_\(index)", NumPyArray(Array(statistics[mean..<(mean + f)]))))
                arrays.append(("normalization_variance_\(index)", NumPyArray(Array(statistics[(mean + f)..<(mean + 2 * f)]))))
            }
        }
        if let configuration = network.normalization {
            arrays.append(("normalization_epsilon", NumPyArray([configuration.epsilon], shape: [])))
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
