import Foundation

/// A run's directory and everything the ``Trainer`` writes into it: `metrics.csv` (row by row, so a run that
/// stops early keeps what it measured), `summary.json` and `policy.sacp` (each replaced atomically), and
/// `checkpoint.sacc` with one older generation kept as `checkpoint.prev.sacc`.
final class RunDirectory {
    /// The directory's path.
    let path: String
    private let metrics: MetricsLog
    /// `updates_per_second` of a metrics row counts the updates since the previous row.
    private var updatesAtLastRow = 0
    private var lastRowTime: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    /// Creates the directory if needed and starts `metrics.csv` (with `appendingMetrics`, continues the one
    /// there: a resumed run).
    init(path: String, appendingMetrics: Bool) throws(SACError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .io(path: path, reason: "cannot create the run directory: \(error.localizedDescription)")
        }
        self.path = path
        metrics = try MetricsLog(path: path + "/metrics.csv", append: appendingMetrics)
    }

    /// Starts the clock of the `updates_per_second` column (a run's start, in this process).
    func startClock(updates: Int) {
        updatesAtLastRow = updates
        lastRowTime = clock.now
    }

    /// Appends one `metrics.csv` row: a finished episode or an evaluation (`std`: of the evaluation's returns).
    func appendMetrics(
        kind: String, step: Int, value: Double, length: Double, std: Double?, metrics updateMetrics: UpdateMetrics?,
        updates: Int
    ) {
        let now = clock.now
        let seconds = lastRowTime.map { (now - $0).seconds } ?? 0
        let rate = seconds > 0 ? Double(updates - updatesAtLastRow) / seconds : 0
        metrics.append(
            kind: kind, step: step, episodeReturn: value, episodeLength: length, evaluationStd: std,
            metrics: updateMetrics, updatesPerSecond: rate)
        updatesAtLastRow = updates
        lastRowTime = now
    }

    /// Replaces `summary.json` and `policy.sacp`.
    func write(_ summary: TrainingSummary, policy: SavedPolicy) throws(SACError) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let file = path + "/summary.json"
        do {
            try encoder.encode(summary).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw .io(path: file, reason: error.localizedDescription)
        }
        try policy.write(to: path + "/policy.sacp")
    }

    /// Replaces `checkpoint.sacc` with `bytes`, keeping the one it replaces as `checkpoint.prev.sacc`.
    func writeCheckpoint(_ bytes: [UInt8]) throws(SACError) {
        try AtomicFile.write(
            bytes, to: path + "/" + TrainingCheckpoint.fileName, keepPrevious: path + "/" + TrainingCheckpoint.previousFileName)
    }
}
