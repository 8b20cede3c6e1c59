import Dispatch
import Foundation
import Synchronization

/// Work that splits into two independent lanes, run by a ``WorkerPair``: lane 0 on the calling thread,
/// lane 1 on the worker. `task` says which piece of work (the conformer's own numbering).
public protocol PairedWork: AnyObject {
    /// Does lane `lane` (0 or 1) of task `task`. The two lanes must not touch the same memory.
    func perform(_ task: Int, lane: Int)
}

/// Runs two independent lanes of work at the same time: lane 0 on the calling thread, lane 1 on a
/// long-lived worker thread. Made for the two halves of an update that share nothing (SAC's two
/// critics), each running single-threaded BLAS products.
///
/// ``run(_:task:)`` returns when both lanes are done, and allocates nothing: the work is named by an
/// object and a number rather than by a closure, whose context would be copied to the heap to cross
/// threads. One caller at a time.
///
/// Each side waits for the other by spinning for up to ``spinMicroseconds`` before it sleeps on a
/// semaphore: an update hands work over several times within a few milliseconds, and waking a sleeping
/// thread costs tens of microseconds, while a sleeping worker costs nothing between updates. The spin
/// must outlast every gap inside an update: a side that sleeps once is woken late, so the other waits past
/// its own spin and sleeps too, and from then on every hand-over pays a wake-up (`sac-dev bench updates
/// --threads 2` with short and long spins; docs/performance.md).
public final class WorkerPair: @unchecked Sendable {
    /// Microseconds a waiting thread checks the other side's progress before it goes to sleep.
    public let spinMicroseconds: Int
    private let shared: Shared

    /// Starts the worker thread. `spinMicroseconds`: how long a waiting side checks before it sleeps (0
    /// sleeps after a few dozen checks; negative counts as 0).
    public init(spinMicroseconds: Int = 500) {
        self.spinMicroseconds = max(0, spinMicroseconds)
        let shared = Shared(spinNanoseconds: self.spinMicroseconds * 1_000)
        self.shared = shared
        Thread { shared.serve() }.start()
    }

    deinit {
        shared.stopping.store(true, ordering: .sequentiallyConsistent)
        _ = shared.post()
    }

    /// Runs `work.perform(task, lane: 0)` here and `work.perform(task, lane: 1)` on the worker, and
    /// returns when both have finished.
    public func run(_ work: some PairedWork, task: Int) {
        shared.work = work
        shared.task = task
        let generation = shared.post()
        work.perform(task, lane: 0)
        shared.waitUntilFinished(generation)
        shared.work = nil
    }

    /// What the two threads share. `posted` counts jobs handed to the worker and `finished` the jobs it
    /// completed; `work` and `task` are written before `posted` is incremented and read after it is seen.
    private final class Shared: @unchecked Sendable {
        let spinNanoseconds: Int
        let posted = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let workerAsleep = Atomic<Bool>(false)
        let callerAsleep = Atomic<Bool>(false)
        let stopping = Atomic<Bool>(false)
        let wakeWorker = DispatchSemaphore(value: 0)
        let wakeCaller = DispatchSemaphore(value: 0)
        var work: (any PairedWork)?
        var task = 0

        init(spinNanoseconds: Int) { self.spinNanoseconds = spinNanoseconds }

        /// Hands the next job to the worker; returns its number.
        func post() -> Int {
            let generation = posted.add(1, ordering: .sequentiallyConsistent).newValue
            if workerAsleep.load(ordering: .sequentiallyConsistent) { wakeWorker.signal() }
            return generation
        }

        func waitUntilFinished(_ generation: Int) {
            Self.wait(
                until: { finished.load(ordering: .sequentiallyConsistent) >= generation }, asleep: callerAsleep,
                semaphore: wakeCaller, spinNanoseconds: spinNanoseconds)
        }

        func serve() {
            Self.nameThisThreadInTheKernel("WorkerPair")
            var seen = 0
            while true {
                Self.wait(
                    until: { posted.load(ordering: .sequentiallyConsistent) > seen }, asleep: workerAsleep,
                    semaphore: wakeWorker, spinNanoseconds: spinNanoseconds)
                seen += 1
                if stopping.load(ordering: .sequentiallyConsistent) { return }
                work?.perform(task, lane: 1)
                finished.store(seen, ordering: .sequentiallyConsistent)
                if callerAsleep.load(ordering: .sequentiallyConsistent) { wakeCaller.signal() }
            }
        }

        /// Spins, then sleeps, until `condition` holds. The sleeper announces itself in `asleep` before
        /// checking once more, and the other side signals after changing the condition if it sees the
        /// announcement, so no wake-up is lost (a surplus one only costs a spurious check).
        private static func wait(
            until condition: () -> Bool, asleep: borrowing Atomic<Bool>, semaphore: DispatchSemaphore,
            spinNanoseconds: Int
        ) {
            if condition() { return }
            // The clock is read once every 64 checks: a check costs a few nanoseconds, a clock read tens.
            let deadline = spinNanoseconds > 0 ? monotonicNanoseconds() + spinNanoseconds : 0
            var spun = 0
            while !condition() {
                spun &+= 1
                if spun & 63 != 0 || monotonicNanoseconds() < deadline { continue }
                asleep.store(true, ordering: .sequentiallyConsistent)
                if !condition() { semaphore.wait() }
                asleep.store(false, ordering: .sequentiallyConsistent)
            }
        }

        /// Gives the calling thread its name in the kernel, where top, perf, debuggers and the allocation
        /// tests read it. Foundation's `Thread.name` reaches the kernel only when its check of the thread's
        /// handle, which `start()` stores while the new thread already runs, sees the handle settled: now
        /// and then it did not, and the thread stayed unnamed. pthread_setname_np and prctl are not
        /// importable here, so the name goes through the file proc(5) provides for it.
        private static func nameThisThreadInTheKernel(_ name: String) {
            let descriptor = open("/proc/thread-self/comm", O_WRONLY)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            var bytes = Array(name.utf8.prefix(15))
            _ = write(descriptor, &bytes, bytes.count)
        }

        private static func monotonicNanoseconds() -> Int {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return time.tv_sec * 1_000_000_000 + time.tv_nsec
        }
    }
}
