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

extension Xoshiro256StarStar {
    var words: [UInt64] { [state.0, state.1, state.2, state.3] }
    init(words: ArraySlice<UInt64>) {
        self.init(seed: 0)
        let w = Array(words)
        state = (w[0], w[1], w[2], w[3])
    }
}

/// Encodes an optional state vector: a presence word, then the values' bit patterns.
func encodeState(_ values: [Double]?, count: Int) -> [UInt64] {
    guard let values else { return [0] + Array(repeating: 0, count: count) }
    return [1] + values.map(\.bitPattern)
}

func decodeState(_ words: ArraySlice<UInt64>, count: Int) -> [Double]? {
    let w = Array(words)
    return w[0] == 0 ? nil : (1...count).map { Double(bitPattern: w[$0]) }
}

func checkSnapshot(_ snapshot: [UInt64], count: Int, id: String) throws {
    guard snapshot.count == count else {
        throw EnvironmentError.invalidState("a \(id) snapshot has \(count) words, got \(snapshot.count)")
    }
}

extension Pendulum: SnapshottableEnvironment {
    public func snapshot() -> [UInt64] {
        generator.words + encodeState(state.map { [$0.angle, $0.angularVelocity] }, count: 2)
    }

    public mutating func restore(from snapshot: [UInt64]) throws {
        try checkSnapshot(snapshot, count: 7, id: id)
        generator = Xoshiro256StarStar(words: snapshot[0..<4])
        state = decodeState(snapshot[4...], count: 2).map { ($0[0], $0[1]) }
    }
}

extension MountainCarContinuous: SnapshottableEnvironment {
    public func snapshot() -> [UInt64] {
        generator.words + encodeState(state.map { [$0.position, $0.velocity] }, count: 2)
    }

    public mutating func restore(from snapshot: [UInt64]) throws {
        try checkSnapshot(snapshot, count: 7, id: id)
        generator = Xoshiro256StarStar(words: snapshot[0..<4])
        state = decodeState(snapshot[4...], count: 2).map { ($0[0], $0[1]) }
    }
}

extension Reach1D: SnapshottableEnvironment {
    public func snapshot() -> [UInt64] {
        generator.words + encodeState(position.map { [$0] }, count: 1)
    }

    public mutating func restore(from snapshot: [UInt64]) throws {
        try checkSnapshot(snapshot, count: 6, id: id)
        generator = Xoshiro256StarStar(words: snapshot[0..<4])
        position = decodeState(snapshot[4...], count: 1)?[0]
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
