/// Makes the in-process environments by name, with their Gymnasium time limits, as `gym.make` does.
public enum EnvironmentRegistry {
    /// One registered environment.
    public struct Entry: Sendable {
        /// Gymnasium-style id, e.g. "Pendulum-v1".
        public let id: String
        /// Short names accepted on the command line, lower-case.
        public let aliases: [String]
        /// Steps before truncation.
        public let maxEpisodeSteps: Int
        let make: @Sendable (UInt64) -> any Environment
    }

    /// Every in-process environment.
    public static let entries: [Entry] = [
        Entry(id: "Pendulum-v1", aliases: ["pendulum"], maxEpisodeSteps: 200) {
            TimeLimit(Pendulum(seed: $0), maxEpisodeSteps: 200)
        },
        Entry(id: "MountainCarContinuous-v0", aliases: ["mountaincar", "mountain-car-continuous"], maxEpisodeSteps: 999) {
            TimeLimit(MountainCarContinuous(seed: $0), maxEpisodeSteps: 999)
        },
        Entry(id: "Reach1D-v0", aliases: ["reach1d"], maxEpisodeSteps: 25) {
            TimeLimit(Reach1D(seed: $0), maxEpisodeSteps: 25)
        },
    ]

    /// The entry for `name` (an id or alias, case-insensitive), or `nil`.
    public static func entry(named name: String) -> Entry? {
        let key = name.lowercased()
        return entries.first { $0.id.lowercased() == key || $0.aliases.contains(key) }
    }

    /// The entry for `name`, or ``EnvironmentError/unknownEnvironment(_:known:)`` listing the known names.
    public static func requireEntry(named name: String) throws(EnvironmentError) -> Entry {
        guard let entry = entry(named: name) else {
            throw .unknownEnvironment(name, known: entries.flatMap { [$0.id] + $0.aliases })
        }
        return entry
    }

    /// A new instance of the environment `name`, seeded with `seed` until its first seeded reset.
    public static func make(_ name: String, seed: UInt64 = 0) throws(EnvironmentError) -> any Environment {
        try requireEntry(named: name).make(seed)
    }
}
