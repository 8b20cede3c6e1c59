import SACRandomness

/// An environment whose complete state — physical state, step counter, random generator — can be saved
/// and restored, so a checkpointed training run resumes mid-episode exactly where it stopped.
///
/// A snapshot is a flat array of 64-bit words (doubles as their bit patterns), opaque to callers.
/// Remote environments cannot be snapshotted: a resumed run starts a new episode in them.
public protocol SnapshottableEnvironment: Environment {
    /// The environment's complete state.
    func snapshot() -> [UInt64]
    /// Restores a state returned by ``snapshot()`` of the same kind of environment; throws
    /// ``EnvironmentError/invalidState(_:)`` for anything else.
    mutating func restore(from snapshot: [UInt64]) throws
}

extension PCG64 {
    /// The state's and the increment's high and low words.
    var words: [UInt64] {
        [
            UInt64(truncatingIfNeeded: state >> 64), UInt64(truncatingIfNeeded: state),
            UInt64(truncatingIfNeeded: increment >> 64), UInt64(truncatingIfNeeded: increment),
        ]
    }

    init(words: ArraySlice<UInt64>) {
        let w = Array(words)
        self.init(state: UInt128(w[0]) << 64 | UInt128(w[1]), increment: UInt128(w[2]) << 64 | UInt128(w[3]))
    }
}

/// The snapshots of several parts (the copies of a vector, the members of a group) as one: each part's
/// word count, then its words.
func joinedSnapshot(_ parts: [[UInt64]]) -> [UInt64] {
    parts.flatMap { [UInt64($0.count)] + $0 }
}

/// The `count` parts of a ``joinedSnapshot(_:)``; throws ``EnvironmentError/invalidState(_:)`` naming
/// `what` for a snapshot cut short or with words left over.
func splitSnapshot(_ snapshot: [UInt64], parts count: Int, of what: String) throws -> [[UInt64]] {
    var parts: [[UInt64]] = [], position = 0
    for part in 0..<count {
        guard position < snapshot.count, snapshot[position] <= UInt64(snapshot.count - position - 1) else {
            throw EnvironmentError.invalidState("a snapshot of \(what) ends early at part \(part)")
        }
        let length = Int(snapshot[position])
        parts.append(Array(snapshot[(position + 1)..<(position + 1 + length)]))
        position += 1 + length
    }
    guard position == snapshot.count else {
        throw EnvironmentError.invalidState("a snapshot of \(what) has \(snapshot.count - position) words too many")
    }
    return parts
}

/// A built-in environment's state: its generator and an optional vector of `stateCount` doubles (`nil`
/// before the first reset). Its snapshot is the generator's four words, a presence word, then the values'
/// bit patterns (zeros when absent).
protocol BuiltInEnvironmentState: SnapshottableEnvironment {
    static var stateCount: Int { get }
    var id: String { get }
    var generator: PCG64 { get set }
    var stateValues: [Double]? { get set }
}

extension BuiltInEnvironmentState {
    public func snapshot() -> [UInt64] {
        generator.words + (stateValues.map { [1] + $0.map(\.bitPattern) } ?? Array(repeating: 0, count: Self.stateCount + 1))
    }

    /// Throws ``EnvironmentError/invalidState(_:)`` for a snapshot of another length.
    public mutating func restore(from snapshot: [UInt64]) throws {
        guard snapshot.count == Self.stateCount + 5 else {
            throw EnvironmentError.invalidState("a \(id) snapshot has \(Self.stateCount + 5) words, got \(snapshot.count)")
        }
        generator = PCG64(words: snapshot[0..<4])
        stateValues = snapshot[4] == 0 ? nil : snapshot[5...].map { Double(bitPattern: $0) }
    }
}

extension Pendulum: SnapshottableEnvironment, BuiltInEnvironmentState {
    static let stateCount = 2
    var stateValues: [Double]? {
        get { state.map { [$0.angle, $0.angularVelocity] } }
        set { state = newValue.map { ($0[0], $0[1]) } }
    }
}

extension MountainCarContinuous: SnapshottableEnvironment, BuiltInEnvironmentState {
    static let stateCount = 2
    var stateValues: [Double]? {
        get { state.map { [$0.position, $0.velocity] } }
        set { state = newValue.map { ($0[0], $0[1]) } }
    }
}

extension Reach1D: SnapshottableEnvironment, BuiltInEnvironmentState {
    static let stateCount = 1
    var stateValues: [Double]? {
        get { position.map { [$0] } }
        set { position = newValue?[0] }
    }
}

extension TimeLimit: SnapshottableEnvironment where Base: SnapshottableEnvironment {
    public func snapshot() -> [UInt64] { base.snapshot() + [UInt64(elapsedSteps)] }

    public mutating func restore(from snapshot: [UInt64]) throws {
        guard let last = snapshot.last else { throw EnvironmentError.invalidState("empty \(id) snapshot") }
        try base.restore(from: Array(snapshot.dropLast()))
        elapsedSteps = Int(last)
    }
}
