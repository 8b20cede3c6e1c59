extension VectorEnvironmentGroup {
    /// What ``VectorEnvironmentGroup/collect(timeout:)`` reports of one member.
    public enum Event {
        /// The member's step finished: one result per copy of its own, in order.
        case stepped(member: Int, step: VectorStep)
        /// The member's reset finished: the first observation of each copy of its own.
        case reset(member: Int, observations: FloatRows)
        /// The member's reset of some of its copies finished (``VectorEnvironmentGroup/beginReset(member:copies:seeds:)``):
        /// their indices among its own copies, and their first observations.
        case copiesReset(member: Int, copies: [Int], observations: FloatRows)
        /// The member's connection was lost: its copies' episodes end at their last collected step, and it
        /// is being reconnected on its own thread (``MemberState/recovering``).
        case lost(member: Int, error: any Error)
        /// The member reconnected after `seconds` and `attempts` tries and restarted every copy: the first
        /// observations of their new episodes.
        case rejoined(member: Int, observations: FloatRows, attempts: Int, seconds: Double)
        /// The member could not be reconnected in ``Options/reconnectAttempts`` tries over `seconds`; the
        /// group goes on without it.
        case dropped(member: Int, lastError: String, attempts: Int, seconds: Double)
        /// After a drop: fewer members than ``Options/minimumMembers`` remain, so the group's caller should
        /// stop (a trainer writes a checkpoint and throws).
        case tooFewMembers(remaining: Int, minimum: Int)
    }

    /// What a group has counted of one member.
    public struct MemberStatistics: Sendable, Equatable {
        /// Where the member lives; `nil` in process.
        public var address: String?
        /// Copies the member steps.
        public var copies: Int
        /// Steps answered (each for all of the member's copies).
        public var replies: Int
        /// Times the member was reconnected.
        public var reconnects: Int
        /// Seconds from sending a step to having its results, summed over ``replies``: the round trip as
        /// the caller sees it.
        public var roundTripSeconds: Double
        /// Seconds the member reported spending in its steps, summed (a server's own stepping time);
        /// `nil` when it does not report them.
        public var reportedStepSeconds: Double?
        /// Whether the member was dropped.
        public var isDropped: Bool
    }
}

extension VectorEnvironmentGroup.Event {
    /// Where the member stands once its event is collected; `nil` for the group's own event.
    var memberState: VectorEnvironmentGroup.MemberState? {
        switch self {
        case .stepped, .reset, .copiesReset, .rejoined: .ready
        case .lost: .recovering
        case .dropped: .dropped
        case .tooFewMembers: nil
        }
    }
}
