/// Element type of a ``Tensor`` on the wire. Exact: nothing is cast unless a caller asks.
public enum TensorDType: String, Sendable, CaseIterable {
    /// IEEE 754 binary32.
    case float32
    /// IEEE 754 binary64 (what MuJoCo observations are).
    case float64

    /// Bytes per element.
    public var size: Int { self == .float32 ? 4 : 8 }
}
