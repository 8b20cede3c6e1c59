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
}
