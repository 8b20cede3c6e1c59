/// The envbridge protocol version this build speaks. Majors must match; minors are compatible.
public enum ProtocolVersion {
    /// Incremented for incompatible changes.
    public static let major: UInt32 = 1
    /// Incremented for compatible additions.
    public static let minor: UInt32 = 0
}
