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
        target.withUnsafeMutableBufferPointer { t in
            online.withUnsafeBufferPointer { o in
                update(target: t.baseAddress!, toward: o.baseAddress!, tau: tau, range: 0..<t.count)
            }
        }
    }

    /// Moves elements `range` of `target` toward the same elements of `online` (pointers to element 0 of
    /// each), as the array form does: for a caller that averages a network a layer at a time.
    public static func update(target: UnsafeMutablePointer<Float>, toward online: UnsafePointer<Float>, tau: Float, range: Range<Int>) {
        let keep = 1 - tau
        // Eight lanes at a time (the compiler cannot rule out aliasing); the same operations per element.
        let (t, o) = (UnsafeMutableRawPointer(target), UnsafeRawPointer(online))
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let ti = t.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let oi = o.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            t.storeBytes(of: ti * keep + tau * oi, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < range.upperBound {
            let ti = t.load(fromByteOffset: 4 * i, as: Float.self), oi = o.load(fromByteOffset: 4 * i, as: Float.self)
            t.storeBytes(of: ti * keep + tau * oi, toByteOffset: 4 * i, as: Float.self)
            i += 1
        }
    }

    /// Moves a whole target network toward its online network.
    public static func update(target: inout MultilayerPerceptron, toward online: MultilayerPerceptron, tau: Float) {
        update(target: &target.parameters, toward: online.parameters, tau: tau)
    }
}
