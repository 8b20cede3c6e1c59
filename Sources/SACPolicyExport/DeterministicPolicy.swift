import SoftActorCritic

/// The deterministic policy of a `SavedPolicy` in the form every export writes: the actor's dense layers
/// with the last one cut to the rows of the mean μ (the log σ rows are not needed to act), and the affine
/// map from the squashed action to the environment's bounds:
/// ```
/// h₀ = s,  hᵢ = ReLU(Wᵢ nᵢ(hᵢ₋₁) + bᵢ),  μ = W_L n_L(h_{L−1}) + b_L
/// a  = low + (tanh μ + 1) · halfRange,   halfRange = (high − low) / 2
/// ```
/// where nᵢ is the identity, or for CrossQ's actor the batch renormalisation in inference mode,
/// `nᵢ(x) = scale ⊙ x + shift` (`BatchRenormalization.inferenceCoefficients`).
/// which is what `sac eval` and the trainer's evaluation compute (`Evaluator`), in the same float32
/// operations. Observations are flattened row-major (shape ``observationShape``), actions likewise.
public struct DeterministicPolicy: Equatable, Sendable {
    /// One dense layer `y = W x + b`.
    public struct Layer: Equatable, Sendable {
        /// The weight, `outputSize × inputSize`, row-major.
        public var weight: [Float]
        /// The bias, `outputSize`.
        public var bias: [Float]
        /// Input features.
        public var inputSize: Int
        /// Output features.
        public var outputSize: Int
        /// The inference-mode normalisation before the layer, `x ↦ scale ⊙ x + shift` (`inputSize` each);
        /// `nil` for a plain network.
        public var normalizationScale: [Float]?, normalizationShift: [Float]?
    }

    /// The layers, input first; ReLU follows every one but the last, whose outputs are μ.
    public var layers: [Layer]
    /// The environment's lower action bounds.
    public var actionLow: [Float]
    /// `(high − low) / 2` per action dimension, in float32 as the evaluator computes it.
    public var halfRange: [Float]
    /// The environment's observation shape (the network sees it flattened).
    public var observationShape: [Int]
    /// The environment's action shape (the network's actions, reshaped).
    public var actionShape: [Int]
    /// The environment the policy was trained on, e.g. `"Pendulum-v1"`.
    public var environmentID: String
    /// The SAC variant that trained it.
    public var variant: String

    /// The deterministic policy of `policy`. Throws ``PolicyExportError/nonFiniteParameter(name:index:)`` if a
    /// weight, bias or bound is NaN or infinite: no format can act sensibly on it.
    public init(_ policy: SavedPolicy) throws(PolicyExportError) {
        let network = policy.actor.network
        let actions = policy.actor.actionCount
        var layers: [Layer] = []
        for (index, layer) in network.layers.enumerated() {
            let isLast = index == network.layers.count - 1
            let rows = isLast ? actions : layer.outputSize
            let weightStart = layer.weightOffset, biasStart = layer.biasOffset
            let normalization = network.inferenceNormalization(ofLayer: index)
            layers.append(
                Layer(
                    weight: Array(network.parameters[weightStart..<(weightStart + rows * layer.inputSize)]),
                    bias: Array(network.parameters[biasStart..<(biasStart + rows)]),
                    inputSize: layer.inputSize, outputSize: rows,
                    normalizationScale: normalization?.scale, normalizationShift: normalization?.shift))
        }
        self.layers = layers
        actionLow = policy.scaling.low
        halfRange = zip(policy.scaling.low, policy.scaling.high).map { low, high in 0.5 * (high - low) }
        observationShape = policy.observationShape
        actionShape = policy.actionShape
        environmentID = policy.environmentID
        variant = policy.variant
        for (index, layer) in layers.enumerated() {
            try Self.checkFinite(layer.weight, name: "layer \(index) weight")
            try Self.checkFinite(layer.bias, name: "layer \(index) bias")
            try Self.checkFinite(layer.normalizationScale ?? [], name: "layer \(index) normalisation scale")
            try Self.checkFinite(layer.normalizationShift ?? [], name: "layer \(index) normalisation shift")
        }
        try Self.checkFinite(actionLow, name: "action low bound")
        try Self.checkFinite(halfRange, name: "action range")
    }

    /// Observation features the policy takes.
    public var observationCount: Int { layers[0].inputSize }
    /// Action features it returns.
    public var actionCount: Int { actionLow.count }
    /// The widest layer output (the scratch an implementation needs per hidden activation).
    public var widestLayer: Int { layers.map(\.outputSize).max() ?? 0 }
    /// Whether the layers are preceded by normalisations (CrossQ's actor).
    public var isNormalized: Bool { layers.first?.normalizationScale != nil }
    /// The widest layer input (the scratch for a normalised input).
    public var widestInput: Int { layers.map(\.inputSize).max() ?? 0 }

    private static func checkFinite(_ values: [Float], name: String) throws(PolicyExportError) {
        if let index = values.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteParameter(name: name, index: index) }
    }
}
