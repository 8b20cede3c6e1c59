import Testing
import SACEnvironments

@Suite struct VectorEnvironmentGroupTests {
    private func pendulums(_ count: Int) throws -> EnvironmentVector {
        try EnvironmentVector((0..<count).map { _ in try EnvironmentRegistry.make("pendulum") })
    }

    /// Members 2 + 3 copies step exactly as one vector of 5: the same seeds, actions, transitions, episode
    /// ends and restarts, copy for copy in member order.
    @Test func membersStepAsTheirCopiesWouldInOneVector() throws {
        let group = try VectorEnvironmentGroup([try pendulums(2), try pendulums(3)])
        let single = try pendulums(5)
        #expect(group.numEnvs == 5 && group.ranges == [0..<2, 2..<5] && group.id == "Pendulum-v1")
        let seeds: [UInt64?] = [1, 2, 3, nil, 5]
        #expect(try group.reset(seeds: seeds) == single.reset(seeds: seeds))
        var ended = 0
        for t in 0..<420 {
            let actions = FloatRows(width: 1, rows: (0..<5).map { i in [Float(((t * 5 + i * 3) % 9) - 4) / 2] })
            let step = try group.step(actions)
            #expect(step == (try single.step(actions)))
            ended += (0..<5).count { step.isLast($0) }
        }
        #expect(ended == 10)
    }

    @Test func membersThatDoNotFitAreTypedErrorsNamingBoth() throws {
        #expect(throws: EnvironmentError.self) { try VectorEnvironmentGroup([]) }
        let car = EnvironmentVector(try EnvironmentRegistry.make("mountaincar"))
        do {
            _ = try VectorEnvironmentGroup([try pendulums(1), car])
            Issue.record("a Pendulum and a MountainCar were grouped")
        } catch let error as EnvironmentError {
            guard case .incompatibleMembers(let detail) = error else { Issue.record("\(error)"); return }
            #expect(detail.contains("Pendulum-v1") && detail.contains("MountainCarContinuous-v0"))
        }
        let group = try VectorEnvironmentGroup([try pendulums(1), try pendulums(2)])
        #expect(throws: EnvironmentError.copyCountMismatch(expected: 3, got: 2)) { try group.reset(seeds: [1, 2]) }
        _ = try group.reset(seeds: [])
        #expect(throws: EnvironmentError.copyCountMismatch(expected: 3, got: 1)) { _ = try group.step([[0]]) }
    }

    /// A group's snapshot is its members' snapshots; restoring it continues every copy exactly.
    @Test func snapshotRestoresEveryMember() throws {
        let group = try VectorEnvironmentGroup([try pendulums(1), try pendulums(2)])
        _ = try group.reset(seeds: [7, 8, 9])
        for t in 0..<30 { _ = try group.step(FloatRows(width: 1, rows: (0..<3).map { _ in [Float(t % 3) - 1] })) }
        let snapshot = try #require(group.snapshot())
        let after = try group.step([[0.5], [0.5], [0.5]])
        let other = try VectorEnvironmentGroup([try pendulums(1), try pendulums(2)])
        try other.restore(from: snapshot)
        #expect(try other.step([[0.5], [0.5], [0.5]]) == after)
        #expect(throws: EnvironmentError.self) { try other.restore(from: Array(snapshot.dropLast())) }
    }
}
