/// The envbridge protocol version this build speaks. Majors must match; minors are compatible.
public enum ProtocolVersion {
    /// Incremented for incompatible changes.
    public static let major: UInt32 = 1
    /// Incremented for compatible additions.
    /// 1: a reset may name the environments it restarts (`ResetRequest.env_indices`).
    public static let minor: UInt32 = 1
}
