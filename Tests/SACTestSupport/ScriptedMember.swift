import Foundation
import SACEnvironments
import Synchronization

/// An in-process stand-in for a remote simulator, for socket-free tests of a `VectorEnvironmentGroup`: its
/// copies step a counter (observation `[t, copy]`, reward `action[0]`, truncated after `episodeLength`
/// steps), and a script makes it slow, lose its connection, or refuse to reconnect, so that first-ready
/// collection, a lost member's drop and its rejoining can be tested without processes or timing luck.
package final class ScriptedMember: VectorEnvironment, @unchecked Sendable {
    /// What the member does next; change it from the test while the group runs.
    package struct Script: Sendable {
        /// Seconds each step takes.
        package var stepSeconds = 0.0
        /// The step with this number (1-based, over the member's life) throws a connection loss instead of stepping.
        package var loseConnectionAtStep: Int?
        /// Reconnection attempts refused before one succeeds (`Int.max`: never comes back).
        package var refusedReconnects = 0

        package init(stepSeconds: Double = 0, loseConnectionAtStep: Int? = nil, refusedReconnects: Int = 0) {
            self.stepSeconds = stepSeconds
            self.loseConnectionAtStep = loseConnectionAtStep
            self.refusedReconnects = refusedReconnects
        }
    }

    /// A lost connection, as a remote environment would report it.
    package struct ConnectionLost: Error, CustomStringConvertible {
        package init() {}
        package var description: String { "the scripted member's connection was lost" }
    }

    package let numEnvs: Int
    package let observationSpace = try! Box(low: [-1_000, -1_000], high: [1_000, 1_000])
    package let actionSpace = try! Box(low: [-1], high: [1])
    package let id = "Scripted-v0"
    package let address: String?
    package let episodeLength: Int
    package let stepsElsewhere: Bool
    package let script: Mutex<Script>
    /// Steps taken (each for every copy), resets and reconnections so far.
    package let counts = Mutex((steps: 0, resets: 0, reconnects: 0))
    private var t: [Int]
    private var connected = true

    /// `address`: a name for messages (`nil` for an in-process member); `stepsElsewhere`: whether a group
    /// gives the member a thread of its own, as it does a remote one.
    package init(
        copies: Int, address: String? = "scripted://member", episodeLength: Int = 10, stepsElsewhere: Bool = true,
        script: Script = Script()
    ) {
        numEnvs = copies
        self.address = address
        self.episodeLength = episodeLength
        self.stepsElsewhere = stepsElsewhere
        self.script = Mutex(script)
        t = Array(repeating: 0, count: copies)
    }

    package func reset(seeds: [UInt64?]) throws -> FloatRows {
        guard connected else { throw ConnectionLost() }
        counts.withLock { $0.resets += 1 }
        t = Array(repeating: 0, count: numEnvs)
        return FloatRows(width: 2, rows: (0..<numEnvs).map { [0, Float($0)] })
    }

    package var resetsCopiesAlone: Bool { true }

    package func reset(copies: [Int], seeds: [UInt64?]) throws -> FloatRows {
        guard connected else { throw ConnectionLost() }
        for i in copies { t[i] = 0 }
        return FloatRows(width: 2, rows: copies.map { [0, Float($0)] })
    }

    package func step(_ actions: FloatRows) throws -> VectorStep {
        guard connected else { throw ConnectionLost() }
        try actionSpace.validate(actions, copies: numEnvs)
        let script = script.withLock { $0 }
        let step = counts.withLock {
            $0.steps += 1
            return $0.steps
        }
        if script.stepSeconds > 0 { Thread.sleep(forTimeInterval: script.stepSeconds) }
        if step == script.loseConnectionAtStep {
            connected = false
            throw ConnectionLost()
        }
        var result = VectorStep(
            observations: FloatRows(width: 2, count: numEnvs), rewards: Array(repeating: 0, count: numEnvs),
            terminated: Array(repeating: false, count: numEnvs), truncated: Array(repeating: false, count: numEnvs))
        for i in 0..<numEnvs {
            t[i] += 1
            result.rewards[i] = Double(actions[i].first!)
            if t[i] == episodeLength {
                result.truncated[i] = true
                result.finalObservations[i] = [Float(t[i]), Float(i)]
                t[i] = 0
            }
            result.observations[i] = [Float(t[i]), Float(i)][...]
        }
        return result
    }

    package func isConnectionLoss(_ error: any Error) -> Bool { error is ConnectionLost }

    package func reconnect() throws {
        let refused = script.withLock { script in
            guard script.refusedReconnects > 0 else { return false }
            if script.refusedReconnects != .max { script.refusedReconnects -= 1 }
            return true
        }
        if refused { throw ConnectionLost() }
        counts.withLock { $0.reconnects += 1 }
        connected = true
    }

    package func close() throws {}
}
