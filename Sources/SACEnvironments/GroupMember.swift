import Foundation

/// One member of a ``VectorEnvironmentGroup``: its environment, the thread that runs its requests when it
/// steps elsewhere (a remote simulator), its reconnection with back-off, and what the group counts of it.
///
/// The environment is used by one thread at a time: the member's thread while a request runs, the group's
/// caller otherwise (a member without a thread runs its requests on the caller's thread). The member's
/// own lock hands a request over and the mailbox's hands the outcome back, so a request sees everything
/// the previous one did. Each member sleeps on a condition of its own: a posting wakes the caller, not
/// every member.
final class GroupMember: @unchecked Sendable {
    enum Request {
        /// `recover`: after a connection loss, post ``Outcome/lost(_:)``, then reconnect with back-off and
        /// post ``Outcome/rejoined(_:attempts:seconds:)`` or ``Outcome/dropped(lastError:attempts:seconds:)``;
        /// otherwise post ``Outcome/failed(_:)``.
        case step([[Float]], recover: Bool)
        case reset([UInt64?], recover: Bool)
        /// Some copies alone (``VectorEnvironment/reset(copies:seeds:)``).
        case resetCopies([Int], seeds: [UInt64?])
        case reconnect
    }

    enum Outcome {
        case stepped([VectorStepResult])
        case reset([[Float]])
        case copiesReset([Int], [[Float]])
        case reconnected
        case failed(any Error)
        case lost(any Error)
        case rejoined([[Float]], attempts: Int, seconds: Double)
        case dropped(lastError: String, attempts: Int, seconds: Double)

        /// Whether this answers the request in flight (later outcomes of a recovery do not).
        var answersRequest: Bool {
            switch self {
            case .stepped, .reset, .copiesReset, .reconnected, .failed, .lost: true
            case .rejoined, .dropped: false
            }
        }
    }

    let index: Int
    let environment: any VectorEnvironment
    private let mailbox: GroupMailbox
    private let reconnectAttempts: Int
    private let clock = ContinuousClock()
    /// Guards `pending` and `isClosed`; the member's thread sleeps on it between requests.
    private let requests = NSCondition()
    private var pending: Request?
    private var isClosed = false
    /// Guarded by the mailbox's lock: what the group reports of this member.
    private(set) var replies = 0, reconnects = 0, roundTripSeconds = 0.0, reportedStepSeconds: Double?

    /// `threaded`: run requests on a thread of the member's own (for an environment that steps elsewhere).
    init(index: Int, environment: any VectorEnvironment, mailbox: GroupMailbox, reconnectAttempts: Int, threaded: Bool) {
        self.index = index
        self.environment = environment
        self.mailbox = mailbox
        self.reconnectAttempts = reconnectAttempts
        if threaded {
            let thread = Thread { [self] in serve() }
            thread.name = "sac-group-member-\(index)"
            thread.start()
            self.thread = thread
        }
    }

    private var thread: Thread?

    /// Hands `request` to the member's thread, or runs it here when the member has none.
    func submit(_ request: Request) {
        guard thread != nil else { return perform(request) }
        requests.withLock {
            pending = request
            requests.signal()
        }
    }

    /// Ends the member's thread once its request in flight, if any, is done.
    func close() {
        requests.withLock {
            isClosed = true
            requests.signal()
        }
    }

    /// The member's thread: one request at a time until the group closes.
    private func serve() {
        while true {
            let request: Request? = requests.withLock {
                while pending == nil, !isClosed { requests.wait() }
                defer { pending = nil }
                return isClosed ? nil : pending
            }
            guard let request else { return }
            perform(request)
        }
    }

    private func perform(_ request: Request) {
        switch request {
        case let .step(actions, recover):
            let began = clock.now
            do {
                let results = try environment.step(actions)
                let seconds = (clock.now - began).seconds, reported = environment.reportedStepSeconds
                mailbox.condition.withLock {
                    replies += 1
                    roundTripSeconds += seconds
                    reportedStepSeconds = reported
                }
                mailbox.post(.stepped(results), from: index)
            } catch {
                fail(error, recover: recover)
            }
        case let .reset(seeds, recover):
            do {
                mailbox.post(.reset(try environment.reset(seeds: seeds)), from: index)
            } catch {
                fail(error, recover: recover)
            }
        case let .resetCopies(copies, seeds):
            do {
                mailbox.post(.copiesReset(copies, try environment.reset(copies: copies, seeds: seeds)), from: index)
            } catch {
                fail(error, recover: true)
            }
        case .reconnect:
            do {
                try environment.reconnect()
                mailbox.condition.withLock { reconnects += 1 }
                mailbox.post(.reconnected, from: index)
            } catch {
                mailbox.post(.failed(error), from: index)
            }
        }
    }

    private func fail(_ error: any Error, recover: Bool) {
        guard recover, environment.isConnectionLoss(error) else { return mailbox.post(.failed(error), from: index) }
        mailbox.post(.lost(error), from: index)
        rejoin(after: error)
    }

    /// Reconnects with ``ReconnectionBackOff`` and resets every copy, up to `reconnectAttempts` times; stops
    /// waiting when the group closes.
    private func rejoin(after error: any Error) {
        let outcome = ReconnectionBackOff.run(attempts: reconnectAttempts, lostBecause: error, wait: { mailbox.sleep(seconds: $0) }) {
            try environment.reconnect()
            return try environment.reset(seeds: [])
        }
        switch outcome {
        case let .succeeded(observations, attempt, seconds):
            mailbox.condition.withLock { reconnects += 1 }
            mailbox.post(.rejoined(observations, attempts: attempt, seconds: seconds), from: index)
        case let .gaveUp(lastError, seconds):
            mailbox.post(.dropped(lastError: lastError, attempts: reconnectAttempts, seconds: seconds), from: index)
        case .stopped:
            break
        }
    }
}
