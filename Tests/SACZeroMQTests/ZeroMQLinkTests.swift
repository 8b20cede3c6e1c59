import Testing
import SACZeroMQ

@Suite struct ZeroMQLinkTests {
    @Test func linksLibzmqVersion4() {
        #expect(ZeroMQ.version.major == 4)
    }
}
