/// An error as the protocol carries it: a code and a message for humans.
public struct BridgeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, machine-readably.
    public let code: BridgeErrorCode
    /// What went wrong, for a person: expected and received values.
    public let message: String

    /// An error with `code` and `message`.
    public init(_ code: BridgeErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}
