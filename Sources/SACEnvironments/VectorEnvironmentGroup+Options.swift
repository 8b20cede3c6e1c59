extension VectorEnvironmentGroup {
    /// How a group collects its members' results and recovers a lost member.
    public struct Options: Sendable, Equatable {
        /// When ``VectorEnvironmentGroup/collect(timeout:)`` returns.
        public var collection: Collection = .sync
        /// Reconnection attempts for a lost member (back-off 0.25 s doubling up to 8 s) before it is
        /// dropped; 0 drops it at once.
        public var reconnectAttempts = 5
        /// Members that must remain: when a drop leaves fewer, ``VectorEnvironmentGroup/collect(timeout:)``
        /// reports ``VectorEnvironmentGroup/Event/tooFewMembers(remaining:minimum:)`` (a trainer then stops
        /// with a checkpoint).
        public var minimumMembers = 1

        /// The defaults: synchronous collection, 5 attempts, at least one member.
        public init() {}
    }

    /// When ``VectorEnvironmentGroup/collect(timeout:)`` returns, and so which results a step takes.
    public enum Collection: String, Sendable, CaseIterable, Codable {
        /// Every member in flight answers first: with deterministic members a run is reproducible from
        /// its seeds bit for bit, and each step costs the slowest member's time.
        case sync
        /// Whichever members have answered, as soon as one has (EnvPool's asynchronous mode): a slow or hung
        /// member never stalls the others, and the results' order depends on timing, so runs are not
        /// reproducible bit for bit.
        case firstReady = "first-ready"
    }

    /// Where a member stands between its requests.
    public enum MemberState: String, Sendable, Equatable {
        /// Up and waiting for its next request; its copies' last results have been collected.
        case ready
        /// A request is in flight.
        case busy
        /// Its connection was lost and it is being reconnected on its own thread.
        case recovering
        /// Lost for good: its reconnection attempts ran out.
        case dropped
    }
}
