/// The rectified linear unit `max(0, x)`, applied in place between dense layers.
public enum ReLU {
    /// `values[i] ← max(0, values[i])` for `count` elements.
    @inlinable
    public static func forward(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { values[i] = max(0, values[i]) }
    }

    /// Turns `∂L/∂relu(x)` into `∂L/∂x` in place, using the forward *output*: the derivative is 1 where the
    /// output is positive and 0 elsewhere (PyTorch's convention at exactly 0).
    @inlinable
    public static func backward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        // Eight lanes at a time (the pointers may alias as far as the compiler knows).
        let out = UnsafeRawPointer(output), grad = UnsafeMutableRawPointer(gradient)
        var i = 0
        while i + 8 <= count {
            let o = out.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            var g = grad.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            g.replace(with: 0, where: o .<= 0)
            grad.storeBytes(of: g, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            if output[i] <= 0 { gradient[i] = 0 }
            i += 1
        }
    }
}
