/// Several vector environments stepped as one: any mix of remote sessions (one per simulator server) and
/// local ``EnvironmentVector``s, whose copies become one run's copies in a stable order, member by member.
///
/// ``beginStep(_:)`` starts every member's step before ``finishStep()`` collects any, so M servers step at
/// the same time, and the caller's work between the two (a trainer's updates) overlaps with all of them.
/// Every step takes every member's results (synchronous collection): with deterministic members the group
/// steps exactly as its copies would in one process.
///
/// Losing a member's connection is reported as a connection loss of the group; ``reconnect()`` re-opens the
/// members whose connection is lost, and every copy then needs a reset.
public final class VectorEnvironmentGroup: VectorEnvironment {
    /// The members, in the order their copies appear.
    public let members: [any VectorEnvironment]
    public let numEnvs: Int
    public let observationSpace: Box
    public let actionSpace: Box
    public var id: String { members[0].id }
    /// Copy indices of each member: member k owns `ranges[k]`.
    public let ranges: [Range<Int>]
    /// Members whose last call lost their connection, to be re-opened by ``reconnect()``.
    private var lost: Set<Int> = []

    /// Groups `members`, which must serve the same environment id and spaces, at distinct addresses.
    public init(_ members: [any VectorEnvironment]) throws(EnvironmentError) {
        guard let first = members.first else { throw .incompatibleMembers("a group needs at least one member") }
        var addresses: [String: Int] = [:]
        for (k, member) in members.enumerated() {
            if let address = member.address {
                if let other = addresses[address] { throw .incompatibleMembers("members \(other) and \(k) are both \(address)") }
                addresses[address] = k
            }
            guard member.id == first.id, member.observationSpace == first.observationSpace, member.actionSpace == first.actionSpace else {
                throw .incompatibleMembers("""
                    \(Self.name(member, k)) serves \(member.id) with observations \(member.observationSpace) and actions \
                    \(member.actionSpace), \(Self.name(first, 0)) serves \(first.id) with \(first.observationSpace) and \(first.actionSpace)
                    """)
            }
        }
        self.members = members
        var start = 0
        ranges = members.map { member in
            defer { start += member.numEnvs }
            return start..<(start + member.numEnvs)
        }
        numEnvs = start
        observationSpace = first.observationSpace
        actionSpace = first.actionSpace
    }

    private static func name(_ member: any VectorEnvironment, _ k: Int) -> String {
        member.address ?? "member \(k) (in process)"
    }

    public func reset(seeds: [UInt64?]) throws -> [[Float]] {
        guard seeds.isEmpty || seeds.count == numEnvs else { throw EnvironmentError.copyCountMismatch(expected: numEnvs, got: seeds.count) }
        var observations: [[Float]] = []
        observations.reserveCapacity(numEnvs)
        for (k, member) in members.enumerated() {
            observations += try calling(k) { try member.reset(seeds: seeds.isEmpty ? [] : Array(seeds[ranges[k]])) }
        }
        return observations
    }

    public func beginStep(_ actions: [[Float]]) throws {
        guard actions.count == numEnvs else { throw EnvironmentError.copyCountMismatch(expected: numEnvs, got: actions.count) }
        for (k, member) in members.enumerated() {
            do {
                try calling(k) { try member.beginStep(Array(actions[ranges[k]])) }
            } catch {
                // The members already stepping must be answered before they can be reset.
                finishQuietly(0..<k)
                throw error
            }
        }
    }

    public func finishStep() throws -> [VectorStepResult] {
        var results: [VectorStepResult] = []
        results.reserveCapacity(numEnvs)
        for (k, member) in members.enumerated() {
            do {
                results += try calling(k) { try member.finishStep() }
            } catch {
                finishQuietly((k + 1)..<members.count)
                throw error
            }
        }
        return results
    }

    /// Collects (and drops) the steps of members whose step began, after another member failed.
    private func finishQuietly(_ indices: Range<Int>) {
        for k in indices { _ = try? calling(k) { try members[k].finishStep() } }
    }

    /// Runs member k's call, remembering a lost connection for ``reconnect()``.
    private func calling<T>(_ k: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            if members[k].isConnectionLoss(error) { lost.insert(k) }
            throw error
        }
    }

    public var stepsConcurrently: Bool { members.contains { $0.stepsConcurrently } }

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
        for k in targets.sorted() { try members[k].reconnect() }
        lost = []
    }

    /// Every member's snapshot, each after its length, if every member has one.
    public func snapshot() -> [UInt64]? {
        var parts: [[UInt64]] = []
        for member in members {
            guard let own = member.snapshot() else { return nil }
            parts.append(own)
        }
        return joinedSnapshot(parts)
    }

    public func restore(from snapshot: [UInt64]) throws {
        let parts = try splitSnapshot(snapshot, parts: members.count, of: "a group of \(members.count) members of \(id)")
        for (member, part) in zip(members, parts) { try member.restore(from: part) }
    }

    public func close() throws {
        for member in members { try member.close() }
    }
}
