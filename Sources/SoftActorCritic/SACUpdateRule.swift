import SACNeuralNetworks

/// One variant's gradient update on the networks every variant shares (``SACNetworks``): the twin-q
/// variant's (``TwinQUpdate``), the paper's with a soft value network (``ValueNetworkUpdate``), or
/// CrossQ's (``CrossQUpdate``). Each owns what only it has (target networks, V_ψ, the joint pass's
/// workspaces) and its order of steps; like SBX's update functions, it reads and writes nothing else.
protocol SACUpdateRule: AnyObject {
    /// The actor, Q networks, optimisers, temperature and buffers this update trains.
    var networks: SACNetworks { get }
    /// One gradient update on `batch`. Allocates nothing.
    func update(batch: ReplayBatch) -> UpdateMetrics
    /// Floating-point operations of the matrix products in one update (2·m·n·k per product).
    var matrixFlopsPerUpdate: Double { get }
}

extension SACUpdateRule {
    /// Matrix FLOPs of a forward pass of `network` on the batch.
    func forwardFlops(_ network: MultilayerPerceptron) -> Double {
        let batch = Double(networks.configuration.batchSize)
        return network.layers.reduce(0) { $0 + 2 * batch * Double($1.inputSize * $1.outputSize) }
    }

    /// Matrix FLOPs of a backward pass: weight gradients of every layer (with `weights`) plus input
    /// gradients of all layers but the first, and of `firstLayerInputColumns` columns of the first.
    func backwardFlops(_ network: MultilayerPerceptron, weights: Bool, firstLayerInputColumns: Int = 0) -> Double {
        let batch = Double(networks.configuration.batchSize)
        return network.layers.enumerated().reduce(0) { total, item in
            let product = 2 * batch * Double(item.element.inputSize * item.element.outputSize)
            let input = item.offset > 0 ? product : 2 * batch * Double(firstLayerInputColumns * item.element.outputSize)
            return total + (weights ? product : 0) + input
        }
    }
}
