import Foundation
import Testing
import SACZeroMQ

/// Receiving after checking without blocking first: the message arrives during the check, after it, or
/// never (then the receive timeout applies as for a plain receive).
@Suite struct ZeroMQSocketTests {
    /// A connected REQ/REP pair over inproc, with a receive timeout on the requester.
    private func pair(_ name: String, timeoutMilliseconds: Int = 2_000) throws -> (request: ZeroMQSocket, reply: ZeroMQSocket) {
        let reply = try ZeroMQSocket(.reply)
        try reply.bind("inproc://\(name)-\(UUID().uuidString)")
        let request = try ZeroMQSocket(.request)
        try request.setReceiveTimeout(milliseconds: timeoutMilliseconds)
        try request.connect(reply.endpoint)
        return (request, reply)
    }

    /// A connected ROUTER/DEALER pair over inproc (frames pass as sent), with a receive timeout on the dealer.
    private func routerAndDealer(_ name: String) throws -> (router: ZeroMQSocket, dealer: ZeroMQSocket) {
        let router = try ZeroMQSocket(.router)
        try router.bind("inproc://\(name)-\(UUID().uuidString)")
        let dealer = try ZeroMQSocket(.dealer)
        try dealer.setReceiveTimeout(milliseconds: 2_000)
        try dealer.connect(router.endpoint)
        return (router, dealer)
    }

    @Test func aReplyAlreadyWaitingIsTakenDuringTheCheck() throws {
        let (request, reply) = try pair("spin-ready")
        try request.send([1, 2, 3])
        #expect(try reply.receive() == [1, 2, 3])
        try reply.send([4, 5])
        #expect(try request.receive(spinMicroseconds: 1_000) == [4, 5])
    }

    @Test func aReplyAfterTheCheckIsStillReceived() throws {
        let (request, reply) = try pair("spin-late")
        try request.send([7])
        #expect(try reply.receive() == [7])
        // The replying socket is used only by the thread from here on.
        nonisolated(unsafe) let handedOver = reply
        let replier = Thread {
            usleep(30_000) // well past the 100 µs check
            try? handedOver.send([8, 9])
        }
        replier.start()
        let clock = ContinuousClock(), start = clock.now
        #expect(try request.receive(spinMicroseconds: 100) == [8, 9])
        #expect(clock.now - start >= .milliseconds(25))
    }

    @Test func noReplyTimesOutAfterTheCheck() throws {
        let (request, reply) = try pair("spin-none", timeoutMilliseconds: 50)
        try request.send([1])
        #expect(try reply.receive() == [1])
        let clock = ContinuousClock(), start = clock.now
        #expect(throws: ZeroMQError.self) { try request.receive(spinMicroseconds: 200) }
        let waited = clock.now - start
        #expect(waited >= .milliseconds(45) && waited < .seconds(2))
    }

    @Test func aMultipartMessageIsReceivedWhole() throws {
        let (router, dealer) = try routerAndDealer("spin-multipart")
        try dealer.sendMultipart([[1], [2, 2]])
        let received = try router.receiveMultipart()
        #expect(received.count == 3 && Array(received.dropFirst()) == [[1], [2, 2]])
        try router.sendMultipart([received[0], [3], [], [4, 4, 4]])
        #expect(try dealer.receiveMultipart(spinMicroseconds: 5_000) == [[3], [], [4, 4, 4]])
    }

    /// `receive()` takes one-frame messages; a multipart one is an error that names its frames and is
    /// drained whole, so the next message comes through intact.
    @Test func receivingAMultipartMessageAsOneFrameIsAnErrorAndDrainsIt() throws {
        let (router, dealer) = try routerAndDealer("one-frame")
        try dealer.sendMultipart([[1]])
        let identity = try router.receiveMultipart()[0]
        try router.sendMultipart([identity, [5], [6, 6], []])
        try router.sendMultipart([identity, [7, 7, 7]])
        #expect(throws: ZeroMQError.unexpectedMultipart(frames: 3)) { try dealer.receive() }
        #expect(try dealer.receive() == [7, 7, 7])
    }
}
