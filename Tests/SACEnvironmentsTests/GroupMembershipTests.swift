import Foundation
import Testing
import SACEnvironments
import SACTestSupport

/// First-ready collection, a lost member's rejoining and its drop, on scripted in-process members: no
/// sockets, no child processes, the same events every run.
@Suite struct GroupMembershipTests {
    /// Collects until `done` holds for the events so far (at most 10 s), stepping every ready member.
    private func drive(_ group: VectorEnvironmentGroup, until done: ([VectorEnvironmentGroup.Event]) -> Bool) throws
        -> [VectorEnvironmentGroup.Event]
    {
        var events: [VectorEnvironmentGroup.Event] = []
        let deadline = Date().addingTimeInterval(10)
        while !done(events), Date() < deadline {
            for k in group.members.indices where group.state(ofMember: k) == .ready {
                try group.beginStep(member: k, actions: FloatRows(width: 1, values: Array(repeating: 0.5, count: group.ranges[k].count)))
            }
            events += try group.collect(timeout: .milliseconds(100))
        }
        return events
    }

    /// A group of `members` with these options, every copy reset.
    private func started(
        _ members: [ScriptedMember], collection: VectorEnvironmentGroup.Collection = .firstReady, reconnectAttempts: Int = 5,
        minimumMembers: Int = 1
    ) throws -> VectorEnvironmentGroup {
        var options = VectorEnvironmentGroup.Options()
        options.collection = collection
        options.reconnectAttempts = reconnectAttempts
        options.minimumMembers = minimumMembers
        let group = try VectorEnvironmentGroup(members, options: options)
        _ = try group.reset(seeds: [])
        return group
    }

    private func steps(of member: Int, in events: [VectorEnvironmentGroup.Event]) -> Int {
        events.count { if case .stepped(member, _) = $0 { true } else { false } }
    }

    /// A member ten times slower than the other: first-ready hands on the fast one's steps without waiting,
    /// sync takes one step of each per collection.
    @Test func firstReadyDoesNotWaitForTheSlowMember() throws {
        for collection in VectorEnvironmentGroup.Collection.allCases {
            let fast = ScriptedMember(copies: 1, address: "scripted://fast", script: .init(stepSeconds: 0.005))
            let slow = ScriptedMember(copies: 2, address: "scripted://slow", script: .init(stepSeconds: 0.05))
            let group = try started([fast, slow], collection: collection)
            let events = try drive(group) { steps(of: 1, in: $0) >= 5 }
            if collection == .sync {
                #expect(steps(of: 0, in: events) == steps(of: 1, in: events))
            } else {
                #expect(
                    steps(of: 0, in: events) >= 3 * steps(of: 1, in: events),
                    "fast \(steps(of: 0, in: events)), slow \(steps(of: 1, in: events))")
            }
        }
    }

    /// A member that loses its connection is reported lost, reconnected after one refused attempt, and
    /// rejoins with every copy restarted; the other member steps on meanwhile.
    @Test func aLostMemberRejoinsWhileTheOtherStepsOn() throws {
        let steady = ScriptedMember(copies: 1, address: "scripted://steady", script: .init(stepSeconds: 0.002))
        let flaky = ScriptedMember(copies: 2, address: "scripted://flaky", script: .init(loseConnectionAtStep: 3, refusedReconnects: 1))
        let group = try started([steady, flaky], reconnectAttempts: 3)
        let events = try drive(group) { events in events.contains { if case .rejoined = $0 { true } else { false } } }
        let kinds = events.compactMap { event -> String? in
            switch event {
            case .lost(1, let error): "lost \(error is ScriptedMember.ConnectionLost)"
            case let .rejoined(1, observations, attempts, _): "rejoined \(observations.rows) attempt \(attempts)"
            default: nil
            }
        }
        #expect(kinds == ["lost true", "rejoined [[0.0, 0.0], [0.0, 1.0]] attempt 2"])
        let lostAt = try #require(events.firstIndex { if case .lost = $0 { true } else { false } })
        let rejoinedAt = try #require(events.firstIndex { if case .rejoined = $0 { true } else { false } })
        #expect(steps(of: 0, in: Array(events[lostAt..<rejoinedAt])) > 0, "the steady member stepped while the other reconnected")
        #expect(steps(of: 1, in: events) == 2 && group.state(ofMember: 1) == .ready)
        #expect(group.statistics[1].reconnects == 1 && flaky.counts.withLock { $0.resets } == 2)
        _ = try drive(group) { steps(of: 1, in: $0) >= 2 }
        #expect(group.state(ofMember: 1) == .ready)
    }

    /// A member that never comes back is dropped after its attempts; the group goes on with the other.
    @Test func aMemberThatStaysLostIsDropped() throws {
        let steady = ScriptedMember(copies: 1, address: "scripted://steady", script: .init(stepSeconds: 0.002))
        let gone = ScriptedMember(copies: 1, address: "scripted://gone", script: .init(loseConnectionAtStep: 2, refusedReconnects: .max))
        let group = try started([steady, gone], reconnectAttempts: 2)
        let events = try drive(group) { events in events.contains { if case .dropped = $0 { true } else { false } } }
        guard case let .dropped(1, lastError, attempts, seconds)? = events.last(where: { if case .dropped = $0 { true } else { false } })
        else {
            Issue.record("no drop in \(events.count) events")
            return
        }
        #expect(attempts == 2 && lastError == "\(ScriptedMember.ConnectionLost())" && seconds >= 0.75)
        #expect(group.state(ofMember: 1) == .dropped && group.activeMembers == 1 && group.statistics[1].isDropped)
        let after = try drive(group) { steps(of: 0, in: $0) >= 3 }
        #expect(steps(of: 1, in: after) == 0)
    }

    /// The group enforces its minimum: a drop that leaves fewer members says so right after the drop.
    @Test func aDropBelowTheMinimumIsReportedByTheGroup() throws {
        let steady = ScriptedMember(copies: 1, address: "scripted://steady", script: .init(stepSeconds: 0.002))
        let gone = ScriptedMember(copies: 1, address: "scripted://gone", script: .init(loseConnectionAtStep: 2, refusedReconnects: .max))
        let group = try started([steady, gone], reconnectAttempts: 1, minimumMembers: 2)
        let events = try drive(group) { events in events.contains { if case .tooFewMembers = $0 { true } else { false } } }
        let dropped = try #require(events.firstIndex { if case .dropped(1, _, _, _) = $0 { true } else { false } })
        guard case let .tooFewMembers(remaining, minimum) = events[dropped + 1] else {
            Issue.record("after the drop came \(events[dropped + 1])")
            return
        }
        #expect(remaining == 1 && minimum == 2)
    }
}
