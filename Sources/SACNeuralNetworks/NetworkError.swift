/// Errors from the network core. Each message says what was expected and what arrived.
public enum NetworkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two operands' shapes do not fit: `operation` names the call, the shapes are (rows, columns).
    case shapeMismatch(operation: String, expected: String, actual: String)
    /// A network needs at least an input and an output size, all positive.
    case invalidLayerSizes([Int])
    /// A batch size must be positive.
    case invalidBatchSize(Int)
    /// A value that must be finite was not (e.g. a loss, a learning rate).
    case invalidHyperparameter(name: String, value: Double)
    /// A bfloat16 product could not be built (libxsmm has no kernel for its shape).
    case productUnavailable(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, expected, actual):
            return "\(operation): expected shape \(expected), got \(actual)"
        case let .invalidLayerSizes(sizes):
            return "layer sizes \(sizes) are invalid: give at least an input and an output size, each > 0"
        case let .invalidBatchSize(size):
            return "batch size \(size) is invalid: it must be > 0"
        case let .invalidHyperparameter(name, value):
            return "hyperparameter \(name) = \(value) is out of its valid range"
        case let .productUnavailable(reason):
            return "\(reason); train with float32 products instead"
        }
    }
}
