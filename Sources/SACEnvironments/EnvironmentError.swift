/// Why an environment refused a call. Messages say what was expected, what arrived, and what to do.
public enum EnvironmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The action has the wrong number of elements.
    case actionShapeMismatch(expected: [Int], count: Int)
    /// The action has a NaN or infinite element.
    case nonFiniteAction(index: Int, value: Float)
    /// `step` was called before the first `reset`, or after a failure.
    case resetNeeded(id: String)
    /// No environment is registered under this name.
    case unknownEnvironment(String, known: [String])
    /// A space's bounds are inconsistent.
    case invalidSpace(String)
    /// A state set from outside (e.g. reference trajectories) has the wrong size or is not finite.
    case invalidState(String)
    /// A vector environment got a number of actions (or seeds) other than its number of copies.
    case copyCountMismatch(expected: Int, got: Int)
    /// The members of a ``VectorEnvironmentGroup`` do not fit together: different spaces or environment
    /// ids (`detail` names both members), the same address twice, or no member at all.
    case incompatibleMembers(String)
    /// A vector environment was asked to reset some copies alone and cannot (e.g. an envbridge 1.0 server),
    /// or the copies named are out of range or not strictly increasing.
    case cannotResetCopiesAlone(String)
    /// A ``VectorEnvironmentGroup`` member was asked for a request while not ready (`state`: busy,
    /// recovering or dropped).
    case memberUnavailable(String, state: String)

    public var description: String {
        switch self {
        case let .actionShapeMismatch(expected, count):
            return "action has \(count) elements but the action space has shape \(expected)"
        case let .nonFiniteAction(index, value):
            return "action element \(index) is \(value); actions must be finite (check the policy for NaN)"
        case let .resetNeeded(id):
            return "\(id): call reset() before step() (at the start and after a failed call)"
        case let .unknownEnvironment(name, known):
            return
                "unknown environment '\(name)'; known: \(known.joined(separator: ", ")), or a ZeroMQ address such as tcp://127.0.0.1:5555"
        case let .invalidSpace(detail):
            return "invalid space: \(detail)"
        case let .invalidState(detail):
            return "invalid state: \(detail)"
        case let .copyCountMismatch(expected, got):
            return "got \(got) entries for a vector environment of \(expected) copies (one action or seed per copy)"
        case let .incompatibleMembers(detail):
            return "these environments cannot be stepped as one: \(detail)"
        case let .cannotResetCopiesAlone(detail):
            return "cannot reset these copies alone: \(detail)"
        case let .memberUnavailable(member, state):
            return "\(member) cannot take a request now: it is \(state) (collect its last request's result first)"
        }
    }
}
