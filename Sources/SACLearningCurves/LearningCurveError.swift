/// Why a learning curve could not be drawn.
public enum LearningCurveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file at this path (a run's `metrics.csv`) could not be read.
    case unreadable(String)
    /// The run labelled by the first value has a `metrics.csv` that does not parse; the second says where.
    case malformed(String, String)
    /// None of the runs has a finished episode or an evaluation to draw.
    case empty

    /// The reason, for a person.
    public var description: String {
        switch self {
        case let .unreadable(path): return "cannot read \(path) (is it a run directory written by sac train?)"
        case let .malformed(label, detail): return "\(label)/metrics.csv: \(detail)"
        case .empty: return "no data to plot: the runs have no finished episodes or evaluations yet"
        }
    }
}
