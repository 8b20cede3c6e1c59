import Dispatch
import Foundation

/// Work that splits into two independent lanes, run by a ``WorkerPair``: lane 0 on the calling thread,
/// lane 1 on the worker. `task` says which piece of work (the conformer's own numbering).
public protocol PairedWork: AnyObject {
    /// Does lane `lane` (0 or 1) of task `task`. The two lanes must not touch the same memory.
    func perform(_ task: Int, lane: Int)
}

/// Runs two independent lanes of work at the same time: lane 0 on the calling thread, lane 1 on a
/// long-lived worker thread. Made for the two halves of an update that share nothing (SAC's two
/// critics), each running single-threaded BLAS products, which at these sizes (256-row batches,
/// 256-wide layers) keep two cores busier than OpenBLAS's own threading of each product.
///
/// ``run(_:task:)`` returns when both lanes are done, and allocates nothing: the work is named by an
/// object and a number rather than by a closure, whose context would be copied to the heap to cross
/// threads. One caller at a time.
public final class WorkerPair: @unchecked Sendable {
    private let shared = Shared()

    /// Starts the worker thread.
    public init() {
        let shared = self.shared
        let thread = Thread { shared.serve() }
        thread.name = "WorkerPair"
        thread.start()
    }

    deinit {
        shared.stopping = true
        shared.start.signal()
    }

    /// Runs `work.perform(task, lane: 0)` here and `work.perform(task, lane: 1)` on the worker, and
    /// returns when both have finished.
    public func run(_ work: some PairedWork, task: Int) {
        shared.work = work
        shared.task = task
        shared.start.signal()
        work.perform(task, lane: 0)
        shared.done.wait()
        shared.work = nil
    }

    /// What the two threads share; the semaphores order every access to `work` and `task`.
    private final class Shared: @unchecked Sendable {
        let start = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        var work: (any PairedWork)?
        var task = 0
        var stopping = false

        func serve() {
            while true {
                start.wait()
                if stopping { return }
                work?.perform(task, lane: 1)
                done.signal()
            }
        }
    }
}
