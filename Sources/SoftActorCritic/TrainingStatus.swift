/// How a training run ended. In `summary.json` it is one string: `"completed"`, `"interrupted"` or
/// `"failed: <reason>"`.
public enum TrainingStatus: Equatable, Sendable, CustomStringConvertible {
    /// Every step was taken and the final evaluation ran.
    case completed
    /// A stop request (``Trainer/shouldStop``, SIGINT in `sac train`) ended the run with a checkpoint;
    /// `Trainer.resume(runDirectory:environment:evaluationEnvironment:totalSteps:)` continues it.
    case interrupted
    /// The run stopped on an error (written to the summary before ``Trainer/run()`` rethrows it).
    case failed(reason: String)

    public var description: String {
        switch self {
        case .completed: return "completed"
        case .interrupted: return "interrupted"
        case .failed(let reason): return "failed: \(reason)"
        }
    }
}

extension TrainingStatus: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        switch text {
        case "completed": self = .completed
        case "interrupted": self = .interrupted
        case _ where text.hasPrefix("failed: "): self = .failed(reason: String(text.dropFirst("failed: ".count)))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown run status \"\(text)\""))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
