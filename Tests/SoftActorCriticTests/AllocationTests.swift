import SACAllocationCounter
import Testing
@testable import SoftActorCritic
import SACNeuralNetworks
import SACRandomness

#if DEBUG
    private let optimized = false
#else
    private let optimized = true
#endif

/// Workspaces are allocated once: sampling a batch and a full gradient update allocate nothing on the heap,
/// on one thread and on two. Counted by interposing malloc and its relatives for this test executable
/// (the SACAllocationCounter target), on the measuring thread and the update's worker thread. Unoptimised code allocates where optimised
/// code does not, so the count is checked in release builds (`scripts/test` runs
/// `swift test -c release -Xswiftc -enable-testing --filter AllocationTests`).
@Suite(.serialized) struct AllocationTests {
    @Test func theCounterSeesAnAllocation() {
        allocation_counter_start()
        let array = [Float](repeating: 1, count: 1_000 + Int.random(in: 0..<2))
        let count = allocation_counter_stop()
        #expect(array.count >= 1_000 && count >= 1)
    }

    /// An allocation on a worker pair's second thread is counted too, as the worker's.
    @Test func theCounterSeesAnAllocationOnTheWorkerThread() {
        final class AllocatingLane: PairedWork, @unchecked Sendable {
            var arrays: [[Float]] = []
            func perform(_ task: Int, lane: Int) {
                if lane == 1 { arrays.append([Float](repeating: 1, count: 1_000 + task)) }
            }
        }
        let pair = WorkerPair()
        let work = AllocatingLane()
        work.arrays.reserveCapacity(4)
        pair.run(work, task: 0)
        allocation_counter_start()
        pair.run(work, task: Int.random(in: 1..<3))
        let count = allocation_counter_stop()
        // The worker's own share: the caller may allocate too in an unoptimised build, which must not
        // pass for the worker's allocation.
        let workerCount = allocation_counter_last_worker_count()
        #expect(work.arrays.count == 2 && workerCount >= 1 && count >= workerCount)
    }

    @Test(
        .enabled(if: optimized, "allocation counts are checked in release builds"),
        arguments: [
            (SACVariant.twinQ, 1, 3, 1), (.twinQ, 2, 3, 1), (.valueNetwork, 1, 3, 1), (.valueNetwork, 2, 3, 1),
            (.twinQ, 1, 17, 6), (.twinQ, 2, 17, 6), (.crossQ, 1, 3, 1), (.crossQ, 2, 3, 1), (.crossQ, 1, 17, 6), (.crossQ, 2, 17, 6),
        ])
    func samplingAndUpdatingAllocateNothing(variant: SACVariant, threads: Int, observations o: Int, actions a: Int) throws {
        try expectNoAllocations(variant: variant, precision: .float32, threads: threads, observations: o, actions: a)
    }

    /// The same with bfloat16 products (where the machine has them; float32 elsewhere): the rounded
    /// operands are allocated with the workspaces and libxsmm's kernels when they are built.
    @Test(
        .enabled(if: optimized, "allocation counts are checked in release builds"),
        arguments: [
            (SACVariant.twinQ, 1, 3, 1), (.twinQ, 2, 3, 1), (.valueNetwork, 2, 3, 1), (.twinQ, 2, 17, 6), (.crossQ, 1, 3, 1),
            (.crossQ, 2, 17, 6),
        ])
    func bfloat16UpdatesAllocateNothing(variant: SACVariant, threads: Int, observations o: Int, actions a: Int) throws {
        try expectNoAllocations(variant: variant, precision: .bfloat16, threads: threads, observations: o, actions: a)
    }

    private func expectNoAllocations(variant: SACVariant, precision: MatrixPrecision, threads: Int, observations o: Int, actions a: Int)
        throws
    {
        var configuration = variant == .crossQ ? SACConfiguration.crossQ() : SACConfiguration()
        configuration.variant = variant
        configuration.precision = precision
        configuration.hiddenSizes = [64, 64]
        configuration.criticHiddenSizes = [64, 64]
        configuration.batchSize = 32
        // Pendulum's shapes and HalfCheetah's: narrow products take other OpenBLAS paths.
        let agent = try SACAgent(observationCount: o, actionCount: a, configuration: configuration)
        agent.updateThreads = threads
        let buffer = try ReplayBuffer(capacity: 500, observationCount: o, actionCount: a)
        var generator = Xoshiro256StarStar(seed: 3)
        for i in 0..<500 {
            let x = Float(i) / 500
            buffer.add(
                observation: (0..<o).map { x * Float($0 % 3) - 0.5 }, action: [Float](repeating: x, count: a), reward: x,
                nextObservation: (0..<o).map { x - Float($0 % 2) }, terminated: i % 50 == 0)
        }
        let batch = ReplayBatch(size: 32, observationCount: o, actionCount: a)
        // The first updates may grow copy-on-write buffers (targets that start as copies of the online networks).
        for _ in 0..<3 {
            buffer.sample(into: batch, using: &generator)
            agent.update(batch: batch)
        }
        allocation_counter_start()
        for _ in 0..<20 {
            buffer.sample(into: batch, using: &generator)
            agent.update(batch: batch)
        }
        let allocations = allocation_counter_stop()
        #expect(allocations == 0, "20 updates made \(allocations) heap allocations")
        #expect(agent.precision == precision.available)
    }
}
