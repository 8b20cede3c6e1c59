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
        for i in 0..<count { gradient[i] = output[i] > 0 ? gradient[i] : 0 }
    }
}
