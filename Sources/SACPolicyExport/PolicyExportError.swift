/// Why a policy could not be exported.
public enum PolicyExportError: Error, Equatable, CustomStringConvertible {
    /// A weight, bias or action bound is NaN or infinite.
    case nonFiniteParameter(name: String, index: Int)
    /// The name given for the C functions and arrays is not a C identifier.
    case invalidCName(String)
    /// The export could not be encoded (the zip library failed in memory).
    case cannotEncode(format: String, reason: String)
    /// The exported file could not be written.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .nonFiniteParameter(name, index):
            "the policy's \(name) has a non-finite value at index \(index); the policy cannot be exported (was training diverging?)"
        case let .invalidCName(name):
            "'\(name)' is not a C identifier: use letters, digits and underscores, not starting with a digit (e.g. pendulum_policy)"
        case let .cannotEncode(format, reason):
            "cannot encode the \(format) export: \(reason)"
        case let .cannotWrite(path, reason):
            "cannot write \(path): \(reason)"
        }
    }
}
