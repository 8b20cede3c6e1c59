import Foundation
import Testing
import SACTestSupport
import SACBridge
import SACEnvironments

/// One suite, parameterised over where the environment lives: the same start state and the same actions
/// must give the same observations, rewards and flags within 1e-5, whichever line made the environment.
@Suite(.serialized) struct EnvironmentSwapTests {
    enum Location: String, CaseIterable, CustomTestStringConvertible {
        case local, swiftInproc, swiftIPC, swiftTCP, swiftTCPSpinning, pythonGymnasium

        /// Every location but Gymnasium's where the Python server cannot start (said once on standard error).
        static let runnable: [Location] = {
            guard let problem = PythonModules.gymBridgeProblem else { return allCases }
            FileHandle.standardError.write(Data("EnvironmentSwapTests: Gymnasium's server left out: \(problem)\n".utf8))
            return allCases.filter { $0 != .pythonGymnasium }
        }()
        var testDescription: String { rawValue }
    }

    /// The environment at `location`, plus what keeps its server alive.
    private func makePendulum(at location: Location) throws -> (environment: any StartStateResettable, keepAlive: AnyObject?) {
        switch location {
        case .local:
            return (TimeLimit(Pendulum(), maxEpisodeSteps: 200), nil)
        case .swiftInproc, .swiftIPC, .swiftTCP:
            let endpoint = location == .swiftInproc ? Endpoints.inproc() : location == .swiftIPC ? Endpoints.ipc() : Endpoints.tcp
            let server = try BackgroundEnvironmentServer(environment: "pendulum", endpoint: endpoint)
            return (try RemoteEnvironment(address: server.endpoint), server) // the one line that differs
        case .swiftTCPSpinning:
            // A server that looks for a quick client's next request before blocking (the loop below is quick).
            var options = EnvironmentServer.Options()
            options.spinMicroseconds = 200
            let server = try BackgroundEnvironmentServer(environment: "pendulum", endpoint: Endpoints.tcp, options: options)
            return (try RemoteEnvironment(address: server.endpoint), server)
        case .pythonGymnasium:
            let server = try ServerProcess(environment: "Pendulum-v1")
            return (try RemoteEnvironment(address: server.endpoint), server)
        }
    }

    /// Actions inside and outside Pendulum's ±2 N·m, so clipping is compared too.
    static let actions: [Float] = (0..<205).map { i in Float(3 * sin(Double(i) * 0.37)) }

    private func trajectory(at location: Location) throws -> [StepResult] {
        var (environment, keepAlive) = try makePendulum(at: location)
        defer { withExtendedLifetime(keepAlive) { try? environment.close() } }
        #expect(environment.id == "Pendulum-v1")
        #expect(environment.observationSpace.shape == [3] && environment.actionSpace.high == [2])
        let first = try environment.reset(toState: [0.8, -0.4])
        #expect(abs(first[0] - Float(cos(0.8))) < 1e-6 && abs(first[2] + 0.4) < 1e-6)
        var results: [StepResult] = []
        for action in Self.actions {
            let result = try environment.step([action])
            results.append(result)
            if result.isLast { _ = try environment.reset(seed: nil) }
        }
        return results
    }

    @Test(arguments: Location.runnable)
    func sameActionsGiveSameTrajectoryAsLocal(location: Location) throws {
        let reference = try trajectory(at: .local)
        let remote = try trajectory(at: location)
        #expect(remote.count == reference.count)
        for (t, (ours, theirs)) in zip(reference, remote).enumerated() where t < 200 {
            for (a, b) in zip(ours.observation, theirs.observation) {
                #expect(abs(a - b) <= 1e-5, "\(location) step \(t): \(theirs.observation) vs local \(ours.observation)")
            }
            #expect(abs(ours.reward - theirs.reward) <= 1e-5 * max(1, abs(ours.reward)), "\(location) step \(t) reward")
            #expect(ours.terminated == theirs.terminated && ours.truncated == theirs.truncated, "\(location) step \(t) flags")
        }
        // The 200-step time limit holds everywhere, and the final observation is the real one.
        #expect(remote[199].truncated && !remote[198].truncated)
    }

    /// A seed means the same start everywhere: for 100 seeds, `reset(seed:)` and two unseeded resets that
    /// continue its stream give the same first observations, bit for bit in float32, in process, from
    /// `sac serve` and from gym_bridge serving Gymnasium's own Pendulum; and a seeded episode under the same
    /// actions agrees step for step (within 1e-5, as above: the dynamics are float64 with float32 roundings
    /// reproduced, not the same instructions).
    @Test(arguments: [Location.swiftTCP, .pythonGymnasium].filter(Location.runnable.contains))
    func seededStartsAreTheSameEverywhere(location: Location) throws {
        var (local, _) = try makePendulum(at: .local)
        var (remote, keepAlive) = try makePendulum(at: location)
        defer { withExtendedLifetime(keepAlive) { try? remote.close() } }
        for seed in UInt64(0)..<100 {
            let ours = [try local.reset(seed: seed), try local.reset(seed: nil), try local.reset(seed: nil)]
            let theirs = [try remote.reset(seed: seed), try remote.reset(seed: nil), try remote.reset(seed: nil)]
            #expect(theirs.map { $0.map(\.bitPattern) } == ours.map { $0.map(\.bitPattern) }, "\(location) seed \(seed)")
        }
        _ = try local.reset(seed: 2_026)
        _ = try remote.reset(seed: 2_026)
        for (t, action) in Self.actions.prefix(200).enumerated() {
            let (ours, theirs) = (try local.step([action]), try remote.step([action]))
            #expect(zip(ours.observation, theirs.observation).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(location) step \(t)")
            #expect(abs(ours.reward - theirs.reward) <= 1e-5 * max(1, abs(ours.reward)) && ours.truncated == theirs.truncated)
        }
    }
}

/// What the swap test needs of every location: an environment that can start from a given state.
protocol StartStateResettable: Environment {
    mutating func reset(toState state: [Double]) throws -> [Float]
}

extension TimeLimit: StartStateResettable where Base == Pendulum {}
extension RemoteEnvironment: StartStateResettable {}
