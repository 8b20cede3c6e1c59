import Foundation
import SACBridge

/// The tests' Swift servers, with the built-in Pendulum by default.
extension BackgroundEnvironmentServer {
    package convenience init(endpoint: String, options: EnvironmentServer.Options = .init()) throws {
        try self.init(environment: "pendulum", endpoint: endpoint, options: options)
    }
}

extension ServerProcess {
    /// A server of `environment` with `numEnvs` copies bound to `bind`: `gym_bridge` from this checkout
    /// (Gymnasium's environments) or this build's `sac serve` (the built-in ones).
    package convenience init(
        environment: String = "Pendulum-v1", numEnvs: Int = 1, bind: String = "tcp://127.0.0.1:*", extraArguments: [String] = [],
        program: Program = .gymBridge(pythonPath: nil), prefix: [String] = []
    ) throws {
        let arguments = ["--env", environment, "--bind", bind, "--num-envs", "\(numEnvs)"] + extraArguments
        // Always this checkout's gym_bridge, whatever version pip installed.
        let program: Program = if case .gymBridge = program { .gymBridge(pythonPath: PythonModules.checkout) } else { program }
        try self.init(program, arguments: arguments, prefix: prefix)
    }
}
