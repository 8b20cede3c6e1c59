import SACNeuralNetworks

/// The value-network variant's own parts (Haarnoja et al., 2018, section 4.2): the soft value network V_ψ,
/// its Polyak-averaged target V_ψ̄, V_ψ's optimiser and their batch workspaces. A twin-q agent has none.
struct SoftValueNetwork {
    /// V_ψ: `s → V`.
    var network: MultilayerPerceptron
    /// V_ψ̄, the target that the critics' regression target y reads (eq. 8).
    var target: MultilayerPerceptron
    var optimizer: Adam
    /// V_ψ on the batch's observations s, for J_V.
    let workspace: MultilayerPerceptron.Workspace
    /// V_ψ̄ on the batch's next observations s′, for y.
    let targetWorkspace: MultilayerPerceptron.Workspace

    /// A freshly initialised V_ψ, with V_ψ̄ = V_ψ.
    init(
        observationCount: Int, hiddenSizes: [Int], batchSize: Int, precision: MatrixPrecision, learningRate: Float,
        generator: inout some RandomNumberGenerator
    ) throws(NetworkError) {
        network = try MultilayerPerceptron(layerSizes: [observationCount] + hiddenSizes + [1], generator: &generator)
        target = network
        optimizer = Adam(parameterCount: network.parameterCount, learningRate: learningRate)
        workspace = try network.makeWorkspace(batchSize: batchSize, precision: precision)
        targetWorkspace = try network.makeWorkspace(batchSize: batchSize, precision: precision)
    }

    /// ψ ← ψ − λ∇J_V(ψ), with the gradient the last `valueLoss(batch:)` left in `network`.
    mutating func step() {
        optimizer.step(parameters: &network.parameters, gradients: network.gradients)
    }

    /// ψ̄ ← τψ + (1 − τ)ψ̄.
    mutating func updateTarget(tau: Float) {
        PolyakAveraging.update(target: &target, toward: network, tau: tau)
    }
}
