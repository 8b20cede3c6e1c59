/// Polyak (exponential moving) averaging of target-network parameters, SAC's soft target update:
///
/// ```
/// θ̄ ← τ·θ + (1 − τ)·θ̄
/// ```
/// computed as Stable-Baselines3's `polyak_update` does (`θ̄·(1 − τ) + τ·θ`).
public enum PolyakAveraging {
    /// Moves `target` a fraction `tau` ∈ [0, 1] of the way toward `online`, element by element.
    public static func update(target: inout [Float], toward online: [Float], tau: Float) {
        precondition(target.count == online.count, "Polyak averaging of \(target.count) target and \(online.count) online parameters")
        let keep = 1 - tau
        target.withUnsafeMutableBufferPointer { t in
            online.withUnsafeBufferPointer { o in
                for i in 0..<t.count { t[i] = t[i] * keep + tau * o[i] }
            }
        }
    }

    /// Moves a whole target network toward its online network.
    public static func update(target: inout MultilayerPerceptron, toward online: MultilayerPerceptron, tau: Float) {
        update(target: &target.parameters, toward: online.parameters, tau: tau)
    }
}
