import ArgumentParser
import Foundation
import SACRandomness
import SoftActorCritic

/// `sac-dev bench memory`: resident memory of a full replay buffer against the raw bytes of its transitions.
struct BenchMemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Resident memory of a replay buffer filled with HalfCheetah-shaped transitions, against their raw bytes.")

    @Option(help: "Transitions to store.")
    var transitions: Int = 1_000_000

    func run() throws {
        let (o, a) = (17, 6)
        let before = Self.residentBytes()
        let buffer = try ReplayBuffer(capacity: transitions, observationCount: o, actionCount: a)
        var generator = Xoshiro256StarStar(seed: 1)
        var observation = [Float](repeating: 0, count: o), next = observation, action = [Float](repeating: 0, count: a)
        for _ in 0..<transitions {
            for i in 0..<o { observation[i] = Float(generator.nextUnitDouble()); next[i] = observation[i] + 0.01 }
            for i in 0..<a { action[i] = Float(generator.nextUnitDouble()) }
            buffer.add(observation: observation, action: action, reward: 1, nextObservation: next, terminated: false)
        }
        let grown = Self.residentBytes() - before
        // Raw bytes of what a transition is: s and s′ (17 floats each), a (6), r and terminated (1 each), float32.
        let raw = transitions * (2 * o + a + 2) * 4
        print(
            String(
                format: "%d HalfCheetah transitions: raw %.1f MB, resident growth %.1f MB, ratio %.3f", transitions,
                Double(raw) / 1e6, Double(grown) / 1e6, Double(grown) / Double(raw)))
        var record = BenchmarkRecord("memory")
        record.set("transitions", transitions)
        record.set("raw_bytes", raw)
        record.set("resident_growth_bytes", grown)
        record.set("ratio", Double(grown) / Double(raw), digits: 4)
        print(record.line)
        withExtendedLifetime(buffer) {}
    }

    /// VmRSS of this process from /proc/self/status, bytes.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }
}
