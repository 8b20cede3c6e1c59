import ArgumentParser
import Logging

/// The `sac` command-line tool.
@main
struct SACTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sac",
        abstract: "Soft Actor-Critic for in-process and remote (ZeroMQ) environments.",
        discussion: """
            Train on the built-in Pendulum:   sac train
            Evaluate the result:              sac eval --run-dir runs/Pendulum-v1-twin-q-seed0
            Export it as ONNX:                sac export --run-dir runs/Pendulum-v1-twin-q-seed0 --format onnx
            Serve Pendulum to other processes: sac serve --env pendulum --bind tcp://127.0.0.1:5555
            Train against a remote simulator: sac train --env tcp://127.0.0.1:5555
            """,
        subcommands: [TrainCommand.self, EvalCommand.self, ExportCommand.self, PlotCommand.self, ServeCommand.self, KeygenCommand.self],
        defaultSubcommand: nil
    )
}

/// Logging to standard error, once per process.
enum Logs {
    static let bootstrap: Void = LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }

    static func logger(_ label: String, quiet: Bool = false) -> Logger {
        _ = bootstrap
        var logger = Logger(label: label)
        logger.logLevel = quiet ? .warning : .info
        return logger
    }
}
