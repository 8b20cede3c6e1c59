import Foundation

/// The rows of a run's `metrics.csv` that a learning curve needs.
public struct RunMetrics: Equatable, Sendable {
    /// One point of a curve: environment steps and a return.
    public struct Point: Equatable, Sendable {
        public var step: Int
        public var value: Double
        public init(step: Int, value: Double) {
            self.step = step
            self.value = value
        }
    }

    /// A name for the run (its directory's name unless given).
    public var label: String
    /// Return of every finished training episode, by the step it ended at.
    public var episodes: [Point]
    /// Mean return of every deterministic evaluation, by step.
    public var evaluations: [Point]

    public init(label: String, episodes: [Point], evaluations: [Point]) {
        self.label = label
        self.episodes = episodes
        self.evaluations = evaluations
    }

    /// Parses `metrics.csv` text (header `kind,step,episode_return,…`).
    public init(csv: String, label: String) throws(LearningCurveError) {
        let lines = csv.split(whereSeparator: \.isNewline)
        guard let header = lines.first?.split(separator: ",").map(String.init),
            let kind = header.firstIndex(of: "kind"), let step = header.firstIndex(of: "step"),
            let value = header.firstIndex(of: "episode_return")
        else {
            throw .malformed(label, "the header lacks kind, step or episode_return")
        }
        var episodes: [Point] = [], evaluations: [Point] = []
        for (number, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > max(kind, step, value), let s = Int(fields[step]), let v = Double(fields[value]), v.isFinite else {
                throw .malformed(label, "line \(number + 2) is not a metrics row: \(line)")
            }
            if fields[kind] == "eval" { evaluations.append(Point(step: s, value: v)) } else { episodes.append(Point(step: s, value: v)) }
        }
        self.init(label: label, episodes: episodes, evaluations: evaluations)
    }

    /// Reads `directory/metrics.csv`; the label defaults to the directory's name.
    public init(runDirectory directory: String, label: String? = nil) throws(LearningCurveError) {
        let path = directory + "/metrics.csv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .unreadable(path) }
        try self.init(csv: text, label: label ?? URL(fileURLWithPath: directory).lastPathComponent)
    }
}
