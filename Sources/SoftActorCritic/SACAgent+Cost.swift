import SACNeuralNetworks

extension SACAgent {
    /// Floating-point operations of the matrix products in one ``update(batch:)`` (2·m·n·k per product),
    /// counted from the layer sizes and the batch size: what a GFLOP/s figure divides by. Element-wise work
    /// (activations, the squashing, Adam) is a few percent on top and not counted.
    public var matrixFlopsPerUpdate: Double {
        let batch = Double(configuration.batchSize)
        func forward(_ network: MultilayerPerceptron) -> Double {
            network.layers.reduce(0) { $0 + 2 * batch * Double($1.inputSize * $1.outputSize) }
        }
        /// Weight gradients of every layer plus input gradients of all layers but the first, and of
        /// `firstLayerInputColumns` columns of the first.
        func backward(_ network: MultilayerPerceptron, weights: Bool, firstLayerInputColumns: Int = 0) -> Double {
            network.layers.enumerated().reduce(0) { total, item in
                let product = 2 * batch * Double(item.element.inputSize * item.element.outputSize)
                let input = item.offset > 0 ? product : 2 * batch * Double(firstLayerInputColumns * item.element.outputSize)
                return total + (weights ? product : 0) + input
            }
        }
        let q = critics[0], pi = actor.network
        if configuration.variant == .crossQ {
            // a′ on s′; both Q networks forward and backward on the joint 2·batch rows, the first layer's
            // input gradient in full (its normalisation's scale and shift need it); every
            // `policyDelay`-th update the actor's step as in twin-q.
            let delay = Double(configuration.effectivePolicyDelay)
            var flops = forward(pi) + 2 * 2 * (forward(q) + backward(q, weights: true, firstLayerInputColumns: q.inputSize))
            flops += (forward(pi) + 2 * forward(q) + 2 * backward(q, weights: false, firstLayerInputColumns: actionCount)
                + backward(pi, weights: true, firstLayerInputColumns: pi.inputSize)) / delay
            return flops
        }
        var flops = 0.0
        if let value {
            flops += forward(pi) + 2 * forward(q) + forward(value) + backward(value, weights: true)  // J_V
            flops += forward(value)                                                                                      // V̄(s′)
        } else {
            flops += forward(pi) + 2 * forward(q)                                                                        // target
        }
        flops += 2 * (forward(q) + backward(q, weights: true))                                   // J_Q
        flops += forward(pi) + 2 * forward(q) + 2 * backward(q, weights: false, firstLayerInputColumns: actionCount)
            + backward(pi, weights: true)                                                        // J_π
        return flops
    }
}
