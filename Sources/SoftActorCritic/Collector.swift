import Foundation
import SACEnvironments

/// Collects transitions from the training environment for the ``Trainer``'s loop: owns the
/// `VectorEnvironmentGroup`, each copy's episode in flight, the mapping of a member's copies to the run's
/// copy indices, and the rules for what the simulators report:
///
/// - A copy whose simulator failed (the server restarted it alone) abandons its episode; nothing is stored
///   for that step and the run's other copies go on.
/// - A copy that returned a NaN or infinite value stops the run (``TrainerConfiguration/NonFinitePolicy/fail``)
///   or abandons its episode and restarts: alone where its member can restart one copy, with its member's
///   other copies otherwise.
/// - A member whose connection was lost ends its copies' episodes as truncated at their last stored
///   transition while the group reconnects it; a member dropped for good stops the run when fewer than
///   the group's `minimumMembers` remain (one alone: when it goes).
///
/// One pass of the loop calls ``send(actions:)`` (every ready member gets its reset or its actions) and then
/// ``collect(after:)``, which returns what arrived as ``Event``s with run-wide copy indices, in order.
final class Collector {
    /// What a collection hands the loop, in the order it happened.
    enum Event {
        /// Copy `copy` took a step: store it. `observation` is the one the action (normalised) was chosen
        /// from, `nextObservation` where the step went (the final one when the episode ended here; an
        /// ``episodeEnded(copy:return:length:)`` follows). Slices of the batch's rows: no array per copy.
        case transition(
            copy: Int, observation: ArraySlice<Float>, action: ArraySlice<Float>, reward: Double,
            nextObservation: ArraySlice<Float>, terminated: Bool)
        /// Copy `copy`'s episode finished with this return over `length` steps.
        case episodeEnded(copy: Int, return: Double, length: Int)
        /// Copy `copy`'s episode was abandoned without its last step (`message` says why); nothing was stored
        /// for that step.
        case episodeAbandoned(copy: Int, message: String)
        /// A member's connection was lost; its copies' episodes ended (as ``episodeEnded(copy:return:length:)``
        /// events before this one) and it is being reconnected.
        case lost(server: String, error: any Error, othersGoOn: Bool)
        /// A lost member is back after `seconds` and `attempts` tries; its copies start new episodes.
        case rejoined(server: String, attempts: Int, seconds: Double)
        /// A member could not be reconnected and is out of the run; `remaining` members go on.
        case dropped(SACError.LostServer, remaining: Int, of: Int)
        /// The run cannot go on: everything before this event is to be stored, then `error` thrown.
        case stop(SACError)
    }

    /// The training environment's members.
    let group: VectorEnvironmentGroup
    /// Every copy's episode in flight (saved in checkpoints).
    var episodes: EpisodesInFlight
    private let onNonFinite: TrainerConfiguration.NonFinitePolicy
    private let seed: UInt64
    private let scaling: ActionScaling
    /// Per member: its copies need a reset before their next step; the observations and actions
    /// (normalised) of its step in flight; transitions handed out from it by this process; copies (among
    /// its own) to restart alone.
    private var memberNeedsReset: [Bool], memberObservations: [FloatRows], memberActions: [FloatRows], storedPerMember: [Int]
    private var copiesToReset: [[Int]]
    /// Members dropped after their reconnection attempts ran out.
    private var droppedServers: [SACError.LostServer] = []

    init(group: VectorEnvironmentGroup, scaling: ActionScaling, seed: UInt64, onNonFinite: TrainerConfiguration.NonFinitePolicy) {
        self.group = group
        self.scaling = scaling
        self.seed = seed
        self.onNonFinite = onNonFinite
        episodes = EpisodesInFlight(copies: group.numEnvs, width: group.observationSpace.count)
        let members = group.members.count
        memberNeedsReset = Array(repeating: false, count: members)
        memberObservations = group.ranges.map { FloatRows(width: group.observationSpace.count, count: $0.count) }
        memberActions = group.ranges.map { FloatRows(width: group.actionSpace.count, count: $0.count) }
        storedPerMember = Array(repeating: 0, count: members)
        copiesToReset = Array(repeating: [], count: members)
    }

    /// Whether some copy's episode must start before the loop can store from it.
    private var anyMemberNeedsReset: Bool { memberNeedsReset.contains(true) }

    /// After a start, or a resume without the environments' state: every copy starts a new episode with
    /// its next request (with `seeded`, copy i's seeded `seed + i`, as Stable-Baselines3 seeds its
    /// vectorised environments at the start of a run). Returns whether the loop should start them all
    /// before its first step (``isStartingEpisodes``), as one environment would: with synchronous collection.
    func prepareNewEpisodes(seeded: Bool) -> Bool {
        guard episodes.needsReset else { return false }
        memberNeedsReset = Array(repeating: true, count: group.members.count)
        episodes = EpisodesInFlight(copies: group.numEnvs, width: group.observationSpace.count)
        episodes.needsReset = false
        seedFirstResets = seeded
        return group.options.collection == .sync
    }

    /// Whether a member that is not dropped still waits for its copies' new episodes.
    var isStartingEpisodes: Bool {
        memberNeedsReset.indices.contains { memberNeedsReset[$0] && group.state(ofMember: $0) != .dropped }
    }

    /// Whether the next full resets are the run's first (seeded).
    private var seedFirstResets = false

    /// Sends every ready member its next request: a reset when its copies need one, a reset of the copies
    /// that must restart alone, otherwise one action per copy in (−1, 1)ᴬ, which `actions` chooses for the
    /// observations of every stepping member's copies at once (one row each, in copy order).
    func send(actions: (FloatRows) throws -> FloatRows) throws {
        var stepping: [Int] = []
        for k in group.members.indices where group.state(ofMember: k) == .ready {
            let copies = group.ranges[k]
            if memberNeedsReset[k] {
                try group.beginReset(member: k, seeds: seedFirstResets ? copies.map { seed &+ UInt64($0) } : [])
            } else if !copiesToReset[k].isEmpty {
                try group.beginReset(member: k, copies: copiesToReset[k], seeds: [])
            } else {
                stepping.append(k)
            }
        }
        guard !stepping.isEmpty else { return }
        let observations: FloatRows
        if stepping.count == group.members.count {
            observations = episodes.observations
        } else {
            var values: [Float] = []
            values.reserveCapacity(stepping.reduce(0) { $0 + group.ranges[$1].count } * episodes.observations.width)
            for k in stepping { values += episodes.observations[rows: group.ranges[k]] }
            observations = FloatRows(width: episodes.observations.width, values: values)
        }
        let chosen = try actions(observations)
        var row = 0
        for k in stepping {
            let copies = group.ranges[k].count, rows = row..<(row + copies)
            memberObservations[k][rows: 0..<copies] = observations[rows: rows]
            memberActions[k][rows: 0..<copies] = chosen[rows: rows]
            row += copies
            try group.beginStep(member: k, actions: scaling.toEnvironment(memberActions[k]))
        }
    }

    /// What the members answered (waiting up to 250 ms, so the loop can check for a stop request), as
    /// events; `step` is the number of transitions stored so far, for messages.
    func collect(after step: Int) throws -> [Event] {
        var events: [Event] = []
        var step = step
        for event in try group.collect(timeout: .milliseconds(250)) {
            if !handle(event, step: &step, into: &events) { break }
        }
        return events
    }

    /// Appends what one group event means for the run; false after a ``Event/stop(_:)``.
    private func handle(_ event: VectorEnvironmentGroup.Event, step: inout Int, into events: inout [Event]) -> Bool {
        do throws(SACError) {
            switch event {
            case let .stepped(k, result):
                try store(result, member: k, step: &step, into: &events)
            case let .reset(k, observations):
                try startEpisodes(member: k, copies: Array(0..<group.ranges[k].count), observations: observations, step: step)
                memberNeedsReset[k] = false
            case let .copiesReset(k, copies, observations):
                try startEpisodes(member: k, copies: copies, observations: observations, step: step)
            case let .lost(k, error):
                endEpisodes(member: k, into: &events)
                events.append(.lost(server: group.name(ofMember: k), error: error, othersGoOn: group.members.count > 1))
            case let .rejoined(k, observations, attempts, seconds):
                events.append(.rejoined(server: group.name(ofMember: k), attempts: attempts, seconds: seconds))
                try startEpisodes(member: k, copies: Array(0..<group.ranges[k].count), observations: observations, step: step)
                memberNeedsReset[k] = false
            case let .dropped(k, lastError, attempts, seconds):
                let lost = SACError.LostServer(
                    address: group.name(ofMember: k), attempts: attempts, waitedSeconds: seconds, lastError: lastError)
                droppedServers.append(lost)
                guard group.members.count > 1 else {
                    throw .environmentUnreachable(address: lost.address, attempts: attempts, waitedSeconds: seconds, lastError: lastError)
                }
                events.append(.dropped(lost, remaining: group.activeMembers, of: group.members.count))
            case let .tooFewMembers(remaining, minimum):
                throw .serversLost(remaining: remaining, minimum: minimum, lost: droppedServers)
            }
            return true
        } catch {
            events.append(.stop(error))
            return false
        }
    }

    /// Hands out each of member k's copies' transitions, or abandons a copy's episode when its simulator
    /// failed (the server restarted that copy) or returned non-finite values (then the copy restarts).
    private func store(_ result: VectorStep, member k: Int, step: inout Int, into events: inout [Event]) throws(SACError) {
        let copies = group.ranges[k]
        var abandoned: [Int] = []
        for j in 0..<result.count {
            let i = copies.lowerBound + j
            let which = "environment step \(step + 1)\(group.numEnvs > 1 ? " (copy \(i))" : "")"
            if let failure = result.failures[j] {
                // The simulator restarted this copy alone; the others' transitions are kept.
                events.append(
                    .episodeAbandoned(
                        copy: i,
                        message: "\(which) failed in the simulator (\(failure)); its episode was abandoned and nothing stored for that step"
                    ))
                episodes.forget(copy: i)
                episodes.observations[i] = result.observations[j]
                if let problem = Self.nonFiniteValue(result.observations[j], reward: 0) {
                    throw .nonFiniteTransition(step: step, detail: "restart of copy \(i) returned \(problem)")
                }
                continue
            }
            let next = result.nextObservation(j)
            if let problem = Self.nonFiniteValue(next, reward: result.rewards[j]) {
                guard onNonFinite == .skipEpisode else {
                    throw .nonFiniteTransition(step: step + 1, detail: group.numEnvs > 1 ? "copy \(i): \(problem)" : problem)
                }
                events.append(
                    .episodeAbandoned(
                        copy: i, message: "\(which) returned \(problem); the episode was abandoned and nothing stored for that step"))
                episodes.forget(copy: i)
                abandoned.append(j)
                continue
            }
            step += 1
            storedPerMember[k] += 1
            events.append(
                .transition(
                    copy: i, observation: memberObservations[k][j], action: memberActions[k][j], reward: result.rewards[j],
                    nextObservation: next, terminated: result.terminated[j]))
            episodes.returns[i] += result.rewards[j]
            episodes.lengths[i] += 1
            episodes.observations[i] = result.observations[j]
            if result.isLast(j) {
                endEpisode(copy: i, into: &events)
                if let problem = Self.nonFiniteValue(result.observations[j], reward: 0) {
                    throw .nonFiniteTransition(step: step, detail: "reset returned \(problem)")
                }
            }
        }
        // A copy's bad step leaves it mid-episode in a state nobody trusts: it restarts, alone where the
        // member can restart one copy (an envbridge 1.1 server, local copies), otherwise with the member's others.
        if !abandoned.isEmpty {
            if group.members[k].resetsCopiesAlone {
                copiesToReset[k] = abandoned
            } else {
                endEpisodes(member: k, into: &events)
                memberNeedsReset[k] = true
            }
        }
    }

    /// Starts new episodes in member k's copies `copies` (indices among its own) from their first observations.
    private func startEpisodes(member k: Int, copies: [Int], observations: FloatRows, step: Int) throws(SACError) {
        for row in 0..<observations.count {
            if let problem = Self.nonFiniteValue(observations[row], reward: 0) {
                throw .nonFiniteTransition(step: step, detail: "reset returned \(problem)")
            }
        }
        for (row, j) in copies.enumerated() {
            let i = group.ranges[k].lowerBound + j
            episodes.observations[i] = observations[row]
            episodes.forget(copy: i)
        }
        copiesToReset[k] = []
        seedFirstResets = false
    }

    /// Closes copy `i`'s finished episode; the copy has already started its next one.
    private func endEpisode(copy i: Int, into events: inout [Event]) {
        if episodes.lengths[i] > 0 {
            events.append(.episodeEnded(copy: i, return: episodes.returns[i], length: episodes.lengths[i]))
        }
        episodes.forget(copy: i)
    }

    /// Closes the episodes in flight in member k's copies (truncated by a lost connection, or abandoned).
    private func endEpisodes(member k: Int, into events: inout [Event]) {
        for i in group.ranges[k] { endEpisode(copy: i, into: &events) }
    }

    private static func nonFiniteValue(_ observation: ArraySlice<Float>, reward: Double) -> String? {
        if let index = observation.firstIndex(where: { !$0.isFinite }) {
            return "observation[\(index - observation.startIndex)] = \(observation[index])"
        }
        return reward.isFinite ? nil : "reward = \(reward)"
    }

    // MARK: What the trainer reports and saves

    /// Every copy's environment state, when every copy is between steps with an episode in flight and
    /// every member supports snapshots; `nil` otherwise (a resumed run then starts new episodes).
    func snapshot() -> [UInt64]? {
        episodes.needsReset || anyMemberNeedsReset ? nil : group.snapshot()
    }

    /// Members that are remote, and how many of them are up (ready or stepping).
    var serverCounts: (servers: Int, up: Int) {
        let remote = group.members.indices.filter { group.members[$0].address != nil }
        return (remote.count, remote.count { [.ready, .busy].contains(group.state(ofMember: $0)) })
    }

    /// Each remote member's counts for the summary; `nil` when every member is in process.
    var servers: [ServerSummary]? {
        let remote = zip(group.statistics, storedPerMember).filter { $0.0.address != nil }
        guard !remote.isEmpty else { return nil }
        return remote.map { statistics, stored in
            ServerSummary(
                address: statistics.address ?? "", copies: statistics.copies, envSteps: stored, reconnects: statistics.reconnects,
                roundTripMs: statistics.replies > 0 ? 1e3 * statistics.roundTripSeconds / Double(statistics.replies) : nil,
                serverStepMs: statistics.reportedStepSeconds.flatMap {
                    statistics.replies > 0 ? 1e3 * $0 / Double(statistics.replies) : nil
                },
                state: statistics.isDropped ? .dropped : .ok)
        }
    }
}

extension Collector.Event: CustomStringConvertible {
    /// What a user should read of the event (``Trainer/onWarning``); empty for the events that are routine.
    var description: String {
        switch self {
        case .transition, .episodeEnded:
            ""
        case let .episodeAbandoned(_, message):
            message
        case let .lost(server, error, othersGoOn):
            "lost \(server) (\(error)); its episodes in flight end as truncated\(othersGoOn ? " and the other servers go on stepping" : "") while it is reconnected"
        case let .rejoined(server, attempts, seconds):
            "reconnected \(server) after \(String(format: "%.1f", seconds)) s (attempt \(attempts)); its copies start new episodes"
        case let .dropped(lost, remaining, members):
            "dropped \(lost.address) after \(lost.attempts) reconnection attempts over \(String(format: "%.1f", lost.waitedSeconds)) s (last error: \(lost.lastError)); \(remaining) of \(members) servers go on"
        case let .stop(error):
            "\(error)"
        }
    }
}
