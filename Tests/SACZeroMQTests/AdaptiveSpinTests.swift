import Foundation
import Testing
import SACZeroMQ

/// The server-side spin policy: check first only after a client that came back quickly.
@Suite struct AdaptiveSpinTests {
    @Test func spinsOnlyAfterAQuickClient() {
        // A 2 ms window: "quick" is within 10 ms of the reply.
        var spin = AdaptiveSpin(windowMicroseconds: 2_000)
        #expect(spin.nextSpinMicroseconds == 0, "nothing is known before the first request")
        spin.replied()
        spin.requestArrived()
        #expect(spin.nextSpinMicroseconds == 2_000)
        spin.replied()
        usleep(40_000) // a client computing for 40 ms between requests
        spin.requestArrived()
        #expect(spin.nextSpinMicroseconds == 0)
        spin.replied()
        spin.requestArrived()
        #expect(spin.nextSpinMicroseconds == 2_000, "a quick client again")
        spin.receiveTimedOut()
        #expect(spin.nextSpinMicroseconds == 0, "an idle socket blocks")
    }

    @Test func aZeroOrNegativeWindowNeverSpins() {
        for window in [0, -5] {
            var spin = AdaptiveSpin(windowMicroseconds: window)
            spin.replied()
            spin.requestArrived()
            #expect(spin.nextSpinMicroseconds == 0)
            #expect(spin.windowMicroseconds == 0)
        }
    }
}
