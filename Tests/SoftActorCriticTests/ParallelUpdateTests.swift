import Testing
@testable import SoftActorCritic
import SACNeuralNetworks

/// An update on two threads (the critics side by side) computes exactly what it computes on one.
@Suite(.serialized) struct ParallelUpdateTests {
    @Test(arguments: SACVariant.allCases)
    func twoThreadsGiveTheSameUpdatesBitForBit(variant: SACVariant) throws {
        BLAS.setThreadCount(1)
        let (serial, batch) = try smallAgentAndBatch(variant: variant)
        let (parallel, _) = try smallAgentAndBatch(variant: variant)
        parallel.updateThreads = 2
        var serialMetrics: [UpdateMetrics] = [], parallelMetrics: [UpdateMetrics] = []
        for _ in 0..<25 {
            serialMetrics.append(serial.update(batch: batch))
            parallelMetrics.append(parallel.update(batch: batch))
        }
        #expect(serialMetrics == parallelMetrics)
        #expect(serial.actor.network.parameters == parallel.actor.network.parameters)
        #expect(serial.critics == parallel.critics && serial.targetCritics == parallel.targetCritics)
        #expect(serial.value == parallel.value && serial.targetValue == parallel.targetValue)
        // Each lane drew its own noise, from where one thread would have: the stream ends in the same place.
        #expect(serial.generator == parallel.generator)
        #expect(serial.actorOptimizer == parallel.actorOptimizer)
        #expect(serial.critics[0].parameters != (try smallAgentAndBatch(variant: variant)).0.critics[0].parameters)
        parallel.updateThreads = 1
        #expect(serial.update(batch: batch) == parallel.update(batch: batch))
    }

    /// The same at batch sizes where OpenBLAS takes its small-matrix kernels for some products and not
    /// others: one thread once sampled the actor on [s; s′] in one product of 2·batch rows, two threads
    /// in two products of batch rows, and at batch 5 and 32 those summed in other orders.
    @Test(arguments: [5, 16, 32, 64])
    func twoThreadsGiveTheSameUpdatesAtEveryBatchSize(batchSize: Int) throws {
        BLAS.setThreadCount(1)
        func make() throws -> (SACAgent, ReplayBatch) {
            var configuration = SACConfiguration()
            configuration.hiddenSizes = [32, 32]
            configuration.batchSize = batchSize
            configuration.seed = 3
            let agent = try SACAgent(observationCount: 3, actionCount: 1, configuration: configuration)
            let batch = ReplayBatch(size: batchSize, observationCount: 3, actionCount: 1)
            for i in 0..<batch.observations.count { batch.observations[i] = Float(i % 7) / 7 - 0.5 }
            for i in 0..<batch.nextObservations.count { batch.nextObservations[i] = Float(i % 5) / 5 - 0.5 }
            for i in 0..<batch.actions.count { batch.actions[i] = Float(i % 3) / 3 - 0.3 }
            return (agent, batch)
        }
        let (serial, batch) = try make()
        let (parallel, _) = try make()
        parallel.updateThreads = 2
        for _ in 0..<5 { #expect(serial.update(batch: batch) == parallel.update(batch: batch)) }
        #expect(serial.actor.network.parameters == parallel.actor.network.parameters)
        #expect(serial.critics == parallel.critics)
    }

    /// bfloat16 updates are reproducible: a second run, and a run on two threads, give the same bits
    /// (each product runs single-threaded on the same libxsmm kernel). They differ from float32's.
    @Test(.enabled(if: MatrixPrecision.bfloat16Unavailability == nil, "needs AVX512_BF16"), arguments: SACVariant.allCases)
    func bfloat16UpdatesAreReproducible(variant: SACVariant) throws {
        BLAS.setThreadCount(1)
        func run(threads: Int, precision: MatrixPrecision) throws -> (SACAgent, [UpdateMetrics]) {
            let (agent, batch) = try smallAgentAndBatch(variant: variant, hidden: 32, precision: precision)
            agent.updateThreads = threads
            return (agent, (0..<25).map { _ in agent.update(batch: batch) })
        }
        let (first, firstMetrics) = try run(threads: 1, precision: .bfloat16)
        let (again, againMetrics) = try run(threads: 1, precision: .bfloat16)
        let (parallel, parallelMetrics) = try run(threads: 2, precision: .bfloat16)
        let (single, _) = try run(threads: 1, precision: .float32)
        #expect(first.precision == .bfloat16 && single.precision == .float32)
        #expect(firstMetrics == againMetrics && firstMetrics == parallelMetrics)
        #expect(first.actor.network.parameters == again.actor.network.parameters && first.critics == again.critics)
        #expect(first.actor.network.parameters == parallel.actor.network.parameters && first.critics == parallel.critics)
        #expect(first.critics != single.critics)
    }
}
