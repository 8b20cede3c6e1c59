import Foundation

/// Where the members of a ``VectorEnvironmentGroup`` post what their requests produced, and what the
/// group waits on: one lock and condition for the whole group, so that a wait for "any member" is one wait.
/// The lock guards the postings and the closing flag, nothing else.
final class GroupMailbox: @unchecked Sendable {
    /// What one member's request produced.
    struct Posting {
        var member: Int
        var outcome: GroupMember.Outcome
    }

    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var postings: [Posting] = []
    /// Guarded by `condition`: set when the group goes away; member threads finish their request and end.
    private(set) var isClosing = false

    func post(_ outcome: GroupMember.Outcome, from member: Int) {
        condition.withLock {
            postings.append(Posting(member: member, outcome: outcome))
            condition.broadcast()
        }
    }

    /// Waits until `isReady` holds for the postings so far, or until `deadline`; then takes the postings,
    /// all of them if ready, none otherwise.
    func take(until deadline: Date, isReady: ([Posting]) -> Bool) -> [Posting] {
        condition.withLock {
            while !isReady(postings) {
                guard condition.wait(until: deadline) else { return isReady(postings) ? takeAll() : [] }
            }
            return takeAll()
        }
    }

    /// Only with `condition` held.
    private func takeAll() -> [Posting] {
        defer { postings = [] }
        return postings
    }

    /// Sleeps `seconds` unless the group closes first; false when it did.
    func sleep(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        return condition.withLock {
            while !isClosing, condition.wait(until: deadline) {}
            return !isClosing
        }
    }

    func close() {
        condition.withLock {
            isClosing = true
            condition.broadcast()
        }
    }
}
