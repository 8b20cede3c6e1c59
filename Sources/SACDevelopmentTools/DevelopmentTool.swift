import ArgumentParser
import SACNeuralNetworks

/// `sac-dev`: the project's benchmarks and the protocol fuzzer, kept out of the `sac` tool users run.
@main
struct DevelopmentTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sac-dev",
        abstract: "SwiftSAC's benchmarks and protocol fuzzer (build with -c release for anything timed).",
        discussion: """
            Gradient updates per second:    sac-dev bench updates --env pendulum --threads 2
            The bridge against raw libzmq:  sac-dev bench bridge --transport tcp
            Fuzz the codec and the server:  sac-dev fuzz --inputs 1000000
            """,
        subcommands: [BenchCommand.self, FuzzCommand.self]
    )
}

import ArgumentParser
import SoftActorCritic

/// `--variant twin-q|value-network`, by the variant's raw value.
extension SACVariant: ExpressibleByArgument {}
extension MatrixPrecision: ExpressibleByArgument {}
