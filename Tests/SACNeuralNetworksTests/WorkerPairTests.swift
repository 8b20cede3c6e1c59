import Foundation
import Testing
import SACNeuralNetworks

/// Records which thread ran each lane and a value per job, so a test can check that every job ran both
/// lanes, each lane once, lane 1 off the calling thread, and `run` returned only after both.
private final class CountingWork: PairedWork, @unchecked Sendable {
    // Two properties, not one array: the lanes run at once, and each writes only its own.
    var sum0 = 0, sum1 = 0
    var sums: [Int] { [sum0, sum1] }
    var workerThreadWasCaller = false
    let caller = Thread.current
    let pauseMicroseconds: [UInt32]

    init(pauseMicroseconds: [UInt32]) { self.pauseMicroseconds = pauseMicroseconds }

    func perform(_ task: Int, lane: Int) {
        if lane == 1 && Thread.current == caller { workerThreadWasCaller = true }
        if pauseMicroseconds[lane] > 0 { usleep(pauseMicroseconds[lane]) }
        if lane == 0 { sum0 += task } else { sum1 += task }
    }
}

@Suite struct WorkerPairTests {
    /// With no spin every hand-over goes through the semaphores, with the default spin almost none does,
    /// and with a lane that outlasts the spin the caller and then the worker go to sleep between jobs: in
    /// every case each job runs both lanes exactly once before `run` returns (a lost wake-up hangs, a
    /// missed lane or an early return leaves a sum short).
    @Test(arguments: [(0, [UInt32(0), 0]), (500, [0, 0]), (50, [0, 300]), (50, [300, 0])])
    func everyJobRunsBothLanesBeforeRunReturns(spinMicroseconds: Int, pauseMicroseconds: [UInt32]) {
        let pair = WorkerPair(spinMicroseconds: spinMicroseconds)
        let work = CountingWork(pauseMicroseconds: pauseMicroseconds)
        let jobs = pauseMicroseconds.contains { $0 > 0 } ? 200 : 5_000
        var expected = 0
        for task in 1...jobs {
            pair.run(work, task: task)
            expected += task
            #expect(work.sums == [expected, expected], "job \(task)")
            if work.sums != [expected, expected] { return }
        }
        #expect(!work.workerThreadWasCaller)
        #expect(pair.spinMicroseconds == spinMicroseconds)
    }

    /// The worker names itself in the kernel as soon as it starts, for top, perf and the allocation
    /// tests (which count a thread's allocations by its name). Foundation's `Thread.name` lost that race
    /// now and then: the test starts workers in quick succession and reads each one's name the kernel has.
    @Test func everyWorkerThreadHasItsNameInTheKernel() {
        final class NameReader: PairedWork, @unchecked Sendable {
            var name = ""
            func perform(_ task: Int, lane: Int) {
                guard lane == 1 else { return }
                // The kernel's copy, as top and perf read it.
                name =
                    (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unreadable"
            }
        }
        var names: [String: Int] = [:]
        for _ in 0..<200 {
            let pair = WorkerPair(spinMicroseconds: 0)
            let reader = NameReader()
            pair.run(reader, task: 0)
            names[reader.name, default: 0] += 1
        }
        #expect(names == ["WorkerPair": 200])
    }
}
