import SACAllocationCounter
import Testing
import SACBridge
import SACEnvironments

#if DEBUG
    private let optimized = false
#else
    private let optimized = true
#endif

/// What one remote step allocates on the caller's thread in steady state (the request written and the reply
/// read in place, then handed on as one array per copy), counted in an optimised build and held to the
/// counts measured when this test was written, so that a change that allocates more fails here. The reply's
/// per-copy arrays are what flat batches are to remove (docs/performance.md).
@Suite(.serialized) struct RemoteStepAllocationTests {
    /// Allocations per step by copies per server, measured 2026-12-08 (release, AMD EPYC): 4.03, 8.03 and
    /// 20.03, about four plus one per copy (the reply's observations as one array per copy).
    static let ceilings: [Int: Int] = [1: 5, 4: 9, 16: 21]

    @Test(arguments: [1, 4, 16])
    func aRemoteStepAllocatesAtMostItsMeasuredCount(copies: Int) throws {
        var options = EnvironmentServer.Options()
        options.numEnvs = copies
        let server = try BackgroundEnvironmentServer(environment: "pendulum", endpoint: "tcp://127.0.0.1:*", options: options)
        let remote = try RemoteVectorEnvironment(address: server.endpoint, numEnvs: copies)
        _ = try remote.reset(seeds: [])
        let actions = (0..<copies).map { [Float($0) / Float(copies) - 0.5] }
        for _ in 0..<50 { _ = try remote.step(actions) }
        let steps = 100
        allocation_counter_start()
        for _ in 0..<steps { _ = try remote.step(actions) }
        let perStep = Double(allocation_counter_stop()) / Double(steps)
        print("RemoteStepAllocationTests: \(copies) copies: \(perStep) allocations per step")
        guard optimized else { return }
        #expect(perStep <= Double(Self.ceilings[copies] ?? 0), "\(copies) copies: \(perStep) allocations per step")
    }
}
