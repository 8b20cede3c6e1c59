import Foundation
import Synchronization

/// One member of a ``VectorEnvironmentGroup``: its environment, the thread that runs its requests when it
/// steps elsewhere (a remote simulator), its reconnection with back-off, and what the group counts of it.
///
/// The environment is used by one thread at a time: the member's thread while a request runs, the group's
/// caller otherwise (a member without a thread runs its requests on the caller's thread). The request slot's
/// lock hands a request over and the mailbox's lock hands the outcome back, so a request sees everything the
/// previous one did; that hand-over is what the compiler cannot see, hence `@unchecked Sendable`. The
/// statistics sit behind a mutex of their own.
final class GroupMember: @unchecked Sendable {
    enum Request {
        /// `recover`: after a connection loss, post ``VectorEnvironmentGroup/Event/lost(member:error:)``, then
        /// reconnect with back-off and post ``VectorEnvironmentGroup/Event/rejoined(member:observations:attempts:seconds:)``
        /// or ``VectorEnvironmentGroup/Event/dropped(member:lastError:attempts:seconds:)``; otherwise post
        /// ``Outcome/failed(_:)``.
        case step(FloatRows, recover: Bool)
        case reset([UInt64?], recover: Bool)
        /// Some copies alone (``VectorEnvironment/reset(copies:seeds:)``).
        case resetCopies([Int], seeds: [UInt64?])
        case reconnect
        /// Reconnect with back-off after `error`, a connection loss a request with `recover: false` threw.
        case rejoin(after: any Error)
    }

    /// What a request produced: an event for the group's caller, or the two answers of the group's own
    /// ``VectorEnvironment`` calls that are not events.
    enum Outcome {
        case event(VectorEnvironmentGroup.Event)
        /// ``Request/reconnect`` succeeded.
        case reconnected
        /// The request threw and is not recovered (an error that is not a connection loss, or `recover: false`).
        case failed(any Error)

        /// Whether this answers the request in flight (the later outcomes of a recovery do not).
        var answersRequest: Bool {
            switch self {
            case .event(.rejoined), .event(.dropped): false
            case .event, .reconnected, .failed: true
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
    private var thread: Thread?
    /// What the group reports of this member (``VectorEnvironmentGroup/statistics``), but for the fields the
    /// group fills in.
    let statistics: Mutex<VectorEnvironmentGroup.MemberStatistics>

    /// `threaded`: run requests on a thread of the member's own (for an environment that steps elsewhere).
    init(index: Int, environment: any VectorEnvironment, mailbox: GroupMailbox, reconnectAttempts: Int, threaded: Bool) {
        self.index = index
        self.environment = environment
        self.mailbox = mailbox
        self.reconnectAttempts = reconnectAttempts
        statistics = Mutex(
            VectorEnvironmentGroup.MemberStatistics(
                address: environment.address, copies: environment.numEnvs, replies: 0, reconnects: 0, roundTripSeconds: 0,
                reportedStepSeconds: nil, isDropped: false))
        if threaded {
            let thread = Thread { [self] in serve() }
            thread.name = "sac-group-member-\(index)"
            thread.start()
            self.thread = thread
        }
    }

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
                let step = try environment.step(actions)
                let seconds = (clock.now - began).seconds, reported = environment.reportedStepSeconds
                statistics.withLock {
                    $0.replies += 1
                    $0.roundTripSeconds += seconds
                    $0.reportedStepSeconds = reported
                }
                post(.event(.stepped(member: index, step: step)))
            } catch {
                fail(error, recover: recover)
            }
        case let .reset(seeds, recover):
            do {
                post(.event(.reset(member: index, observations: try environment.reset(seeds: seeds))))
            } catch {
                fail(error, recover: recover)
            }
        case let .resetCopies(copies, seeds):
            do {
                post(.event(.copiesReset(member: index, copies: copies, observations: try environment.reset(copies: copies, seeds: seeds))))
            } catch {
                fail(error, recover: true)
            }
        case let .rejoin(error):
            rejoin(after: error)
        case .reconnect:
            do {
                try environment.reconnect()
                statistics.withLock { $0.reconnects += 1 }
                post(.reconnected)
            } catch {
                post(.failed(error))
            }
        }
    }

    private func post(_ outcome: Outcome) { mailbox.post(outcome, from: index) }

    private func fail(_ error: any Error, recover: Bool) {
        guard recover, environment.isConnectionLoss(error) else { return post(.failed(error)) }
        post(.event(.lost(member: index, error: error)))
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
            statistics.withLock { $0.reconnects += 1 }
            post(.event(.rejoined(member: index, observations: observations, attempts: attempt, seconds: seconds)))
        case let .gaveUp(lastError, seconds):
            post(.event(.dropped(member: index, lastError: lastError, attempts: reconnectAttempts, seconds: seconds)))
        case .stopped:
            break
        }
    }
}
