import Foundation

/// Several vector environments stepped as one: any mix of remote sessions (one per simulator server) and
/// local ``EnvironmentVector``s, whose copies become one run's copies in a stable order, member by member.
///
/// Every member that steps elsewhere (``VectorEnvironment/stepsElsewhere``) gets a thread of its own
/// that sends its requests and waits for its replies, so M servers step at the same time and the caller's
/// work meanwhile (a trainer's updates) overlaps with all of them; in-process members step on the caller's
/// thread.
///
/// Two ways to drive a group:
/// - As a ``VectorEnvironment`` (``reset(seeds:)``, ``step(_:)``): every call takes
///   every member's result. With deterministic members the group steps exactly as its copies would in one
///   process. A lost connection is thrown; ``reconnect()`` re-opens the lost members.
/// - Member by member (``beginStep(member:actions:)``, ``beginReset(member:seeds:)``, ``collect(timeout:)``),
///   as the trainer does: ``collect(timeout:)`` waits for every member in flight (``Collection/sync``) or
///   for the first to answer (``Collection/firstReady``), and a lost member is reconnected with back-off
///   on its own thread while the others go on stepping (``Event``).
public final class VectorEnvironmentGroup: VectorEnvironment {
    /// The members, in the order their copies appear.
    public let members: [any VectorEnvironment]
    public let numEnvs: Int
    public let observationSpace: Box
    public let actionSpace: Box
    public var id: String { members[0].id }
    /// Copy indices of each member: member k owns `ranges[k]`.
    public let ranges: [Range<Int>]
    /// How the group collects and recovers.
    public let options: Options

    private let parts: [GroupMember]
    private let mailbox = GroupMailbox()
    /// Where each member stands; changed only by the caller's thread.
    private var states: [MemberState]
    /// Members whose connection was lost in a ``VectorEnvironment`` call, for ``reconnect()``.
    private var lost: Set<Int> = []

    /// Groups `members`, which must serve the same environment id and spaces, at distinct addresses.
    public init(_ members: [any VectorEnvironment], options: Options = Options()) throws(EnvironmentError) {
        guard let first = members.first else { throw .incompatibleMembers("a group needs at least one member") }
        var addresses: [String: Int] = [:]
        for (k, member) in members.enumerated() {
            if let address = member.address {
                if let other = addresses[address] { throw .incompatibleMembers("members \(other) and \(k) are both \(address)") }
                addresses[address] = k
            }
            guard member.id == first.id, member.observationSpace == first.observationSpace, member.actionSpace == first.actionSpace else {
                throw .incompatibleMembers(
                    """
                    \(Self.name(member, k)) serves \(member.id) with observations \(member.observationSpace) and actions \
                    \(member.actionSpace), \(Self.name(first, 0)) serves \(first.id) with \(first.observationSpace) and \(first.actionSpace)
                    """)
            }
        }
        guard options.reconnectAttempts >= 0 else {
            throw .incompatibleMembers("reconnect attempts \(options.reconnectAttempts) must be >= 0")
        }
        self.members = members
        self.options = options
        var start = 0
        ranges = members.map { member in
            defer { start += member.numEnvs }
            return start..<(start + member.numEnvs)
        }
        numEnvs = start
        observationSpace = first.observationSpace
        actionSpace = first.actionSpace
        parts = members.enumerated().map { [mailbox] k, member in
            GroupMember(
                index: k, environment: member, mailbox: mailbox, reconnectAttempts: options.reconnectAttempts,
                threaded: member.stepsElsewhere)
        }
        states = Array(repeating: .ready, count: members.count)
    }

    deinit { stopThreads() }

    /// Ends every member's thread once its request in flight is done, and any reconnection's waiting.
    private func stopThreads() {
        mailbox.close()
        for part in parts { part.close() }
    }

    private static func name(_ member: any VectorEnvironment, _ k: Int) -> String {
        member.address ?? "member \(k) (in process)"
    }

    /// Member k's address, or its place in the group for an in-process member.
    public func name(ofMember k: Int) -> String { Self.name(members[k], k) }

    // MARK: Member by member

    /// Where member `k` stands.
    public func state(ofMember k: Int) -> MemberState { states[k] }

    /// Members not dropped.
    public var activeMembers: Int { states.count { $0 != .dropped } }

    /// Starts a step of member `k`, which must be ``MemberState/ready``, with one action per copy of its
    /// own; its result arrives as ``Event/stepped(member:step:)`` from ``collect(timeout:)``. The member
    /// validates the actions (an invalid one is thrown by ``collect(timeout:)``).
    public func beginStep(member k: Int, actions: FloatRows) throws {
        guard states[k] == .ready else { throw EnvironmentError.memberUnavailable(name(ofMember: k), state: "\(states[k])") }
        guard actions.count == ranges[k].count else {
            throw EnvironmentError.copyCountMismatch(expected: ranges[k].count, got: actions.count)
        }
        states[k] = .busy
        parts[k].submit(.step(actions, recover: true))
    }

    /// Starts a reset of every copy of member `k` (`seeds`: empty, or one per copy of its own); the first
    /// observations arrive as ``Event/reset(member:observations:)``.
    public func beginReset(member k: Int, seeds: [UInt64?]) throws {
        guard states[k] == .ready else { throw EnvironmentError.memberUnavailable(name(ofMember: k), state: "\(states[k])") }
        guard seeds.isEmpty || seeds.count == ranges[k].count else {
            throw EnvironmentError.copyCountMismatch(expected: ranges[k].count, got: seeds.count)
        }
        states[k] = .busy
        parts[k].submit(.reset(seeds, recover: true))
    }

    /// Starts a reset of some copies of member `k` alone (`copies`: strictly increasing indices among its own;
    /// `seeds`: empty or one per copy), which must be ready and ``VectorEnvironment/resetsCopiesAlone``; the
    /// others' episodes go on. The first observations arrive as ``Event/copiesReset(member:copies:observations:)``.
    public func beginReset(member k: Int, copies: [Int], seeds: [UInt64?]) throws {
        guard states[k] == .ready else { throw EnvironmentError.memberUnavailable(name(ofMember: k), state: "\(states[k])") }
        guard members[k].resetsCopiesAlone else {
            throw EnvironmentError.cannotResetCopiesAlone("\(name(ofMember: k)) resets only every copy at once")
        }
        try checkCopies(copies, of: ranges[k].count)
        states[k] = .busy
        parts[k].submit(.resetCopies(copies, seeds: seeds))
    }

    /// Starts reconnecting member `k`, which must be ready, after `error`, a connection loss that one of the
    /// group's own ``VectorEnvironment`` calls threw: with back-off on the member's thread, as a member lost
    /// while stepping is. ``collect(timeout:)`` then reports ``Event/rejoined(member:observations:attempts:seconds:)``
    /// (every copy reset) or ``Event/dropped(member:lastError:attempts:seconds:)``.
    public func beginRecovery(member k: Int, after error: any Error) throws {
        guard states[k] == .ready else { throw EnvironmentError.memberUnavailable(name(ofMember: k), state: "\(states[k])") }
        states[k] = .recovering
        lost.remove(k)
        parts[k].submit(.rejoin(after: error))
    }

    /// What happened since the last call: with ``Collection/sync`` once every busy member has answered,
    /// with ``Collection/firstReady`` as soon as any has (both: or a recovering member rejoined or was
    /// dropped). Returns nothing when `timeout` passes first (the answers stay for the next call), so a
    /// caller can check for a stop request. Events come in member order. Throws the first error of a
    /// member that is not a connection loss.
    public func collect(timeout: Duration) throws -> [Event] {
        try events(from: wait(timeout: timeout, forAll: options.collection == .sync))
    }

    /// The postings once the busy members have answered (`forAll`) or anything arrived; none after `timeout`.
    private func wait(timeout: Duration, forAll: Bool) -> [GroupMailbox.Posting] {
        let busy = Set(states.indices.filter { states[$0] == .busy })
        let deadline = Date(timeIntervalSinceNow: timeout.seconds)
        let postings = mailbox.take(until: deadline) { postings in
            guard forAll, !busy.isEmpty else { return !postings.isEmpty }
            return busy.isSubset(of: postings.lazy.filter(\.outcome.answersRequest).map(\.member))
        }
        // Stable: a member's own outcomes keep their order.
        return postings.enumerated().sorted { ($0.element.member, $0.offset) < ($1.element.member, $1.offset) }.map(\.element)
    }

    private func events(from postings: [GroupMailbox.Posting]) throws -> [Event] {
        var events: [Event] = []
        var firstFailure: (any Error)?
        for posting in postings {
            let k = posting.member
            switch posting.outcome {
            case let .event(event):
                states[k] = event.memberState ?? states[k]
                events.append(event)
                if case .dropped = event, activeMembers < options.minimumMembers {
                    events.append(.tooFewMembers(remaining: activeMembers, minimum: options.minimumMembers))
                }
            case .reconnected:
                states[k] = .ready
            case let .failed(error):
                states[k] = .ready
                if members[k].isConnectionLoss(error) { lost.insert(k) }
                if firstFailure == nil { firstFailure = error }
            }
        }
        if let firstFailure { throw firstFailure }
        return events
    }

    /// What the group has counted of each member so far.
    public var statistics: [MemberStatistics] {
        parts.enumerated().map { k, part in
            var statistics = part.statistics.withLock { $0 }
            statistics.isDropped = states[k] == .dropped
            return statistics
        }
    }

    // MARK: VectorEnvironment

    /// Resets every copy of every member (the members at the same time).
    public func reset(seeds: [UInt64?]) throws -> FloatRows {
        guard seeds.isEmpty || seeds.count == numEnvs else { throw EnvironmentError.copyCountMismatch(expected: numEnvs, got: seeds.count) }
        try requireAllReady()
        for k in members.indices {
            states[k] = .busy
            parts[k].submit(.reset(seeds.isEmpty ? [] : Array(seeds[ranges[k]]), recover: false))
        }
        var observations = FloatRows(width: observationSpace.count, count: numEnvs)
        for event in try events(from: wait(timeout: .seconds(1 << 30), forAll: true)) {
            if case let .reset(k, rows) = event { observations[rows: ranges[k]] = rows.values[...] }
        }
        return observations
    }

    /// Steps every copy of every member (the members at the same time; each validates its actions).
    public func step(_ actions: FloatRows) throws -> VectorStep {
        guard actions.count == numEnvs else { throw EnvironmentError.copyCountMismatch(expected: numEnvs, got: actions.count) }
        try requireAllReady()
        for k in members.indices {
            states[k] = .busy
            parts[k].submit(.step(members.count == 1 ? actions : actions.rows(ranges[k]), recover: false))
        }
        var steps: [VectorStep] = []
        for event in try events(from: wait(timeout: .seconds(1 << 30), forAll: true)) {
            if case let .stepped(_, step) = event { steps.append(step) }
        }
        return steps.count == 1 ? steps[0] : VectorStep(concatenating: steps, width: observationSpace.count)
    }

    private func requireAllReady() throws {
        if let k = states.firstIndex(where: { $0 != .ready }) {
            throw EnvironmentError.memberUnavailable(name(ofMember: k), state: "\(states[k])")
        }
    }

    public var stepsElsewhere: Bool { members.contains { $0.stepsElsewhere } }

    /// The members' addresses, comma-separated; `nil` when every member is in process.
    public var address: String? {
        let addresses = members.compactMap(\.address)
        return addresses.isEmpty ? nil : addresses.joined(separator: ", ")
    }

    public func isConnectionLoss(_ error: any Error) -> Bool {
        members.contains { $0.isConnectionLoss(error) }
    }

    /// Re-opens every member whose connection was lost (all remote members if none is known to be).
    public func reconnect() throws {
        let targets = lost.isEmpty ? Set(members.indices.filter { members[$0].address != nil }) : lost
        for k in targets where states[k] == .ready {
            states[k] = .busy
            parts[k].submit(.reconnect)
        }
        lost = []
        _ = try events(from: wait(timeout: .seconds(1 << 30), forAll: true))
    }

    /// Seconds the members reported spending in their steps, summed, if any reported.
    public var reportedStepSeconds: Double? {
        let reported = statistics.compactMap(\.reportedStepSeconds)
        return reported.isEmpty ? nil : reported.reduce(0, +)
    }

    /// Every member's snapshot, each after its length, if every member has one and none is in flight.
    public func snapshot() -> [UInt64]? {
        guard states.allSatisfy({ $0 == .ready }) else { return nil }
        var parts: [[UInt64]] = []
        for member in members {
            guard let own = member.snapshot() else { return nil }
            parts.append(own)
        }
        return joinedSnapshot(parts)
    }

    public func restore(from snapshot: [UInt64]) throws {
        try requireAllReady()
        let parts = try splitSnapshot(snapshot, parts: members.count, of: "a group of \(members.count) members of \(id)")
        for (member, part) in zip(members, parts) { try member.restore(from: part) }
    }

    /// Ends the members' threads and closes every member that is not in flight; one still waiting for a
    /// reply (or reconnecting) is closed when it is released.
    public func close() throws {
        stopThreads()
        for k in members.indices where states[k] == .ready || states[k] == .dropped { try members[k].close() }
    }
}
