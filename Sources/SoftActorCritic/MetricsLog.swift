import Foundation

/// `metrics.csv` of a run directory: one row per finished training episode and per evaluation, flushed
/// row by row so a run that stops early keeps everything it measured.
///
/// Columns: `kind` (`episode` or `eval`), `step` (environment steps so far), `episode_return`,
/// `episode_length`, `eval_return_std`, `critic_loss`, `actor_loss`, `value_loss`, `alpha`, `entropy`
/// (nats), `updates_per_second` (since the previous row). Loss columns hold the latest update's values
/// and are empty before learning starts.
public final class MetricsLog {
    /// The CSV header line.
    public static let header =
        "kind,step,episode_return,episode_length,eval_return_std,critic_loss,actor_loss,value_loss,alpha,entropy,updates_per_second"

    private let handle: FileHandle
    /// Path of the CSV file.
    public let path: String

    /// Creates (or truncates) the file at `path` and writes the header; with `append`, continues an
    /// existing file (a resumed run) and writes the header only if the file is new.
    public init(path: String, append: Bool = false) throws(SACError) {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !(append && exists) {
            guard FileManager.default.createFile(atPath: path, contents: Data((Self.header + "\n").utf8)) else {
                throw .io(path: path, reason: "cannot create the file (check that the run directory is writable)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw .io(path: path, reason: "cannot create the file (check that the run directory is writable)")
        }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    /// Appends one row.
    public func append(
        kind: String, step: Int, episodeReturn: Double, episodeLength: Double, evaluationStd: Double?,
        metrics: UpdateMetrics?, updatesPerSecond: Double
    ) {
        func text(_ value: Float?) -> String { value.map { "\($0)" } ?? "" }
        let fields = [
            kind, "\(step)", "\(episodeReturn)", "\(episodeLength)", evaluationStd.map { "\($0)" } ?? "",
            text(metrics?.criticLoss), text(metrics?.actorLoss), text(metrics?.valueLoss), text(metrics?.alpha),
            text(metrics?.entropy), String(format: "%.1f", updatesPerSecond),
        ]
        handle.write(Data((fields.joined(separator: ",") + "\n").utf8))
    }
}
