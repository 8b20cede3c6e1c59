import Dispatch
import Foundation

/// Runs two independent pieces of work at the same time: one on the calling thread, the other on a
/// long-lived worker thread. Made for the two halves of an update that share nothing (SAC's two
/// critics), each running single-threaded BLAS products, which at these sizes (256-row batches,
/// 256-wide layers) keep two cores busier than OpenBLAS's own threading of each product.
///
/// ``run(_:_:)`` returns when both are done, so the work may borrow the caller's state; a call allocates
/// nothing. The pieces must not touch the same memory. One caller at a time.
public final class WorkerPair: @unchecked Sendable {
    private let shared = Shared()
    private let thread: Thread

    /// Starts the worker thread.
    public init() {
        let shared = self.shared
        thread = Thread { shared.serve() }
        thread.name = "WorkerPair"
        thread.start()
    }

    deinit {
        shared.job = nil
        shared.stopping = true
        shared.start.signal()
    }

    /// Runs `first` on this thread and `second` on the worker, and returns when both have finished.
    public func run(_ first: () -> Void, _ second: () -> Void) {
        withoutActuallyEscaping(second) { second in
            shared.job = second
            shared.start.signal()
            first()
            shared.done.wait()
            shared.job = nil
        }
    }

    /// What the two threads share; the semaphores order every access to `job`.
    private final class Shared: @unchecked Sendable {
        let start = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        var job: (() -> Void)?
        var stopping = false

        func serve() {
            while true {
                start.wait()
                if stopping { return }
                job?()
                done.signal()
            }
        }
    }
}
