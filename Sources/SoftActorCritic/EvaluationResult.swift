/// Returns and lengths of a set of deterministic evaluation episodes.
public struct EvaluationResult: Equatable, Sendable {
    /// Undiscounted return of each episode.
    public var returns: [Double]
    /// Steps of each episode.
    public var lengths: [Int]

    /// A result from per-episode returns and lengths.
    public init(returns: [Double], lengths: [Int]) {
        self.returns = returns
        self.lengths = lengths
    }

    /// Mean return.
    public var mean: Double { returns.isEmpty ? 0 : returns.reduce(0, +) / Double(returns.count) }
    /// Population standard deviation of the returns (numpy's default, as the peers report).
    public var standardDeviation: Double {
        guard !returns.isEmpty else { return 0 }
        let m = mean
        return (returns.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(returns.count)).squareRoot()
    }
    /// Smallest return.
    public var minimum: Double { returns.min() ?? 0 }
    /// Largest return.
    public var maximum: Double { returns.max() ?? 0 }
    /// Mean episode length in steps.
    public var meanLength: Double { lengths.isEmpty ? 0 : Double(lengths.reduce(0, +)) / Double(lengths.count) }
}
