import Foundation
import Testing
@testable import SACBridgeProtocol
import SACRandomness

/// The hand-written step messages against swift-protobuf: the same bytes out, the same messages in, and on
/// any bytes it is unsure of the fast path declines so that swift-protobuf decides.
/// Seeded generators, so that a failure names a case that can be replayed.
@Suite struct StepMessageCodecTests {
    static func randomTensor(_ random: inout Xoshiro256StarStar, shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, 1e300, -1]
        let values = (0..<count).map { _ in
            Bool.random(using: &random) ? specials.randomElement(using: &random)! : Double.random(in: -1e3...1e3, using: &random)
        }
        return Bool.random(using: &random) ? Tensor(float32: values.map { Float($0) }, shape: shape) : Tensor(float64: values, shape: shape)
    }

    static func randomID(_ random: inout Xoshiro256StarStar) -> UInt64 {
        [0, 1, 127, 128, 300, UInt64.max, UInt64.random(in: 0...UInt64.max, using: &random)].randomElement(using: &random)!
    }

    static func randomString(_ random: inout Xoshiro256StarStar) -> String {
        ["", "a", "9f3c2a17b4e8d605", String(repeating: "é", count: 70), "sim-⚙︎-\(random.next())"].randomElement(using: &random)!
    }

    static func randomRequest(_ random: inout Xoshiro256StarStar) -> BridgeRequest {
        let n = Int.random(in: 0...5, using: &random), width = Int.random(in: 0...7, using: &random)
        let shape = [[n, width], [n], [], [n, width, 2], [200, 1]].randomElement(using: &random)!
        return BridgeRequest(
            requestID: randomID(&random), sessionID: randomString(&random), kind: .step(actions: randomTensor(&random, shape: shape)))
    }

    static func randomReply(_ random: inout Xoshiro256StarStar) -> BridgeReply {
        let n = Int.random(in: 0...6, using: &random), width = Int.random(in: 1...17, using: &random)
        var finals: [Int: Tensor] = [:]
        for index in 0..<n where Int.random(in: 0..<3, using: &random) == 0 { finals[index] = randomTensor(&random, shape: [width]) }
        if Int.random(in: 0..<8, using: &random) == 0 { finals[130_000] = randomTensor(&random, shape: [width]) }
        let seconds = [0, -0.0, 1.5e-6, Double.random(in: 0...1, using: &random)].randomElement(using: &random)!
        let step = BridgeReply.Step(
            observations: randomTensor(&random, shape: [n, width]),
            rewards: (0..<n).map { _ in Double.random(in: -20...0, using: &random) },
            terminated: (0..<n).map { _ in Bool.random(using: &random) },
            truncated: (0..<n).map { _ in Bool.random(using: &random) },
            finalObservations: finals, serverStepSeconds: seconds)
        return BridgeReply(requestID: randomID(&random), serverInstanceID: randomString(&random), kind: .step(step))
    }

    /// NaN payloads compare unequal as numbers; the wire bytes are what must agree.
    static func sameRequest(_ a: BridgeRequest, _ b: BridgeRequest) -> Bool {
        MessageCodec.encodeWithProtobuf(a) == MessageCodec.encodeWithProtobuf(b)
    }

    static func sameReply(_ a: BridgeReply, _ b: BridgeReply) -> Bool {
        MessageCodec.encodeWithProtobuf(a) == MessageCodec.encodeWithProtobuf(b)
    }

    @Test func stepRequestsEncodeAndDecodeAsSwiftProtobufDoes() throws {
        var random = Xoshiro256StarStar(seed: 1)
        for _ in 0..<500 {
            let request = Self.randomRequest(&random)
            let reference = MessageCodec.encodeWithProtobuf(request)
            #expect(MessageCodec.encode(request) == reference, "\(request)")
            let fast = try #require(StepMessageCodec.decodeStepRequest(reference), "declined a canonical step request: \(request)")
            #expect(Self.sameRequest(fast, try MessageCodec.decodeRequestWithProtobuf(reference)))
            #expect(fast.requestID == request.requestID && fast.sessionID == request.sessionID)
        }
    }

    /// A step request read in place gives what decoding it gives: its ids, dtype and shape, its elements
    /// as Float for any range, and each element as sent.
    @Test func stepRequestsReadInPlaceAsTheyDecode() throws {
        var random = Xoshiro256StarStar(seed: 5)
        for _ in 0..<300 {
            let request = Self.randomRequest(&random)
            guard case let .step(actions) = request.kind else { continue }
            let view = try #require(MessageCodec.viewStepRequest(MessageCodec.encodeWithProtobuf(request)), "declined \(request)")
            #expect(view.requestID == request.requestID && view.sessionID == request.sessionID)
            #expect(view.dtype == actions.dtype && view.shape == actions.shape && view.elementCount == actions.count)
            #expect(
                view.hasShape(actions.shape) && !view.hasShape(actions.shape + [1])
                    && (actions.shape.isEmpty || !view.hasShape(Array(actions.shape.dropLast()))))
            #expect(
                MessageCodec.encodeWithProtobuf(BridgeRequest(requestID: 0, sessionID: "", kind: .step(actions: view.actions)))
                    == MessageCodec.encodeWithProtobuf(BridgeRequest(requestID: 0, sessionID: "", kind: .step(actions: actions))))
            let floats = actions.floats(), doubles = actions.doubles()
            let start = Int.random(in: 0...floats.count, using: &random), end = Int.random(in: start...floats.count, using: &random)
            var buffer: [Float] = [7, 7, 7]
            view.copyFloats(start..<end, into: &buffer)
            #expect(buffer.map(\.bitPattern) == floats[start..<end].map(\.bitPattern))
            for i in 0..<doubles.count { #expect(view.element(i).bitPattern == doubles[i].bitPattern) }
        }
        let handshake = MessageCodec.encode(BridgeRequest(requestID: 1, sessionID: "", kind: .handshake(.init())))
        #expect(MessageCodec.viewStepRequest(handshake) == nil && MessageCodec.viewStepRequest([0xFF, 0x01]) == nil)
    }

    /// A step reply written from its parts in place is the reply swift-protobuf writes.
    @Test func stepRepliesFromTheirPartsAreTheBytesOfTheReply() throws {
        var random = Xoshiro256StarStar(seed: 6)
        for _ in 0..<300 {
            let n = Int.random(in: 0...6, using: &random), width = Int.random(in: 1...17, using: &random)
            let observations = (0..<(n * width)).map { _ in Float.random(in: -10...10, using: &random) }
            let rewards = (0..<n).map { _ in Double.random(in: -20...0, using: &random) }
            let terminated = (0..<n).map { _ in Bool.random(using: &random) }, truncated = (0..<n).map { _ in Bool.random(using: &random) }
            let seconds = [0, 2.5e-6].randomElement(using: &random)!, id = Self.randomID(&random), instance = Self.randomString(&random)
            let step = BridgeReply.Step(
                observations: Tensor(float32: observations, shape: [n, width]), rewards: rewards,
                terminated: terminated, truncated: truncated, serverStepSeconds: seconds)
            // Into a buffer that held another message, then again into the same one (now of the right size).
            var bytes: [UInt8] = (0..<Int.random(in: 0...90, using: &random)).map { _ in 0xAB }
            for _ in 0..<2 {
                observations.withUnsafeBufferPointer { o in
                    rewards.withUnsafeBufferPointer { r in
                        terminated.withUnsafeBufferPointer { t in
                            truncated.withUnsafeBufferPointer { u in
                                MessageCodec.encodeStepReply(
                                    requestID: id, serverInstanceID: instance, observations: o, observationShape: [n, width],
                                    rewards: r, terminated: t, truncated: u, serverStepSeconds: seconds, into: &bytes)
                            }
                        }
                    }
                }
                let reply = BridgeReply(requestID: id, serverInstanceID: instance, kind: .step(step))
                #expect(bytes == MessageCodec.encodeWithProtobuf(reply))
                #expect(MessageCodec.encodeStepReply(requestID: id, serverInstanceID: instance, step: step) == bytes)
            }
        }
    }

    /// A float32 step request written from its actions in place is the request swift-protobuf writes,
    /// whatever the buffer held before.
    @Test func stepRequestsFromFloatsInPlaceAreTheBytesOfTheRequest() throws {
        var random = Xoshiro256StarStar(seed: 8)
        var bytes: [UInt8] = []
        for _ in 0..<300 {
            let n = Int.random(in: 0...5, using: &random), width = Int.random(in: 0...7, using: &random)
            let shape = [[n, width], [n], [], [n, width, 2]].randomElement(using: &random)!
            let actions = (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &random) }
            let id = Self.randomID(&random), session = Self.randomString(&random)
            actions.withUnsafeBufferPointer {
                MessageCodec.encodeStepRequest(requestID: id, sessionID: session, actions: $0, actionShape: shape, into: &bytes)
            }
            let request = BridgeRequest(requestID: id, sessionID: session, kind: .step(actions: Tensor(float32: actions, shape: shape)))
            #expect(bytes == MessageCodec.encodeWithProtobuf(request), "\(request)")
        }
    }

    /// A step reply read in place gives what decoding it gives, both as a new step and read into one
    /// reused step (which held the previous reply, of another shape or the same).
    @Test func stepRepliesReadInPlaceAsTheyDecode() throws {
        var random = Xoshiro256StarStar(seed: 9)
        var reused = BridgeReply.Step(
            observations: Tensor(float32: []), rewards: [], terminated: [], truncated: [],
            failures: [.init(index: 0, error: BridgeError(.environmentFailure, "stale"))], infos: [["stale": 1]])
        var previous: BridgeReply?
        for round in 0..<400 {
            // Every other reply repeats the shapes of the one before, with new values.
            var reply = Self.randomReply(&random)
            if round % 2 == 1, let previous, case let .step(old) = previous.kind, case var .step(new) = reply.kind {
                let values = (0..<old.observations.count).map { _ in Float.random(in: -5...5, using: &random) }
                new = BridgeReply.Step(
                    observations: Tensor(float32: values, shape: old.observations.shape),
                    rewards: old.rewards.map { $0 + 1 }, terminated: old.terminated.map { !$0 }, truncated: old.truncated,
                    serverStepSeconds: new.serverStepSeconds)
                reply = BridgeReply(requestID: reply.requestID, serverInstanceID: reply.serverInstanceID, kind: .step(new))
            }
            previous = reply
            let reference = MessageCodec.encodeWithProtobuf(reply)
            let view = try #require(MessageCodec.viewStepReply(reference), "declined a canonical step reply: \(reply)")
            let decoded = try MessageCodec.decodeReplyWithProtobuf(reference)
            #expect(view.requestID == decoded.requestID && view.serverInstanceID == decoded.serverInstanceID)
            guard case let .step(expected) = decoded.kind else { Issue.record("not a step"); continue }
            view.read(into: &reused)
            for step in [view.step, reused] {
                let encoded = MessageCodec.encodeWithProtobuf(BridgeReply(requestID: 0, serverInstanceID: "", kind: .step(step)))
                #expect(
                    encoded == MessageCodec.encodeWithProtobuf(BridgeReply(requestID: 0, serverInstanceID: "", kind: .step(expected))),
                    "\(reply)")
                #expect(step.failures.isEmpty && step.infos.isEmpty)
            }
        }
        let error = MessageCodec.encode(BridgeReply(requestID: 1, serverInstanceID: "s", kind: .error(BridgeError(.badRequest, "no"))))
        #expect(MessageCodec.viewStepReply(error) == nil && MessageCodec.viewStepReply([0xFF, 0x01]) == nil)
    }

    @Test func stepRepliesEncodeAndDecodeAsSwiftProtobufDoes() throws {
        var random = Xoshiro256StarStar(seed: 2)
        for _ in 0..<500 {
            let reply = Self.randomReply(&random)
            let reference = MessageCodec.encodeWithProtobuf(reply)
            #expect(MessageCodec.encode(reply) == reference, "\(reply)")
            let fast = try #require(StepMessageCodec.decodeStepReply(reference), "declined a canonical step reply: \(reply)")
            #expect(Self.sameReply(fast, try MessageCodec.decodeReplyWithProtobuf(reference)))
            guard case let .step(decoded) = fast.kind, case let .step(original) = reply.kind else { Issue.record("not a step"); continue }
            #expect(
                decoded.rewards == original.rewards && decoded.terminated == original.terminated && decoded.truncated == original.truncated)
            #expect(decoded.finalObservations.keys.sorted() == original.finalObservations.keys.sorted())
            #expect(decoded.serverStepSeconds.bitPattern == original.serverStepSeconds.bitPattern)
        }
    }

    @Test func repliesWithFailuresGoThroughSwiftProtobuf() throws {
        let observations = Tensor(float32: [1, 2, 3, 4], shape: [2, 2])
        let failed = BridgeReply.Step(
            observations: observations, rewards: [0, 1], terminated: [false, false], truncated: [false, false],
            failures: [.init(index: 1, error: BridgeError(.environmentFailure, "diverged"))])
        let informed = BridgeReply.Step(
            observations: observations, rewards: [0, 1], terminated: [false, true], truncated: [false, false],
            infos: [["x": 1], [:]])
        for step in [failed, informed] {
            // Neither is written by hand (swift-protobuf orders map entries its own way).
            #expect(StepMessageCodec.encodeStepReply(requestID: 5, serverInstanceID: "s", step: step) == nil)
        }
        let reply = BridgeReply(requestID: 5, serverInstanceID: "s", kind: .step(failed))
        let bytes = MessageCodec.encode(reply)
        #expect(StepMessageCodec.decodeStepReply(bytes) == nil)
        #expect(try MessageCodec.decodeReply(bytes) == reply)
    }

    /// Infos (gym_bridge sends MuJoCo's every step) are read by the fast path as swift-protobuf reads them:
    /// any keys, empty ones and zero values included; a key given twice is left to swift-protobuf.
    @Test func repliesWithInfosAreReadAsSwiftProtobufReadsThem() throws {
        var random = Xoshiro256StarStar(seed: 14)
        let keys = ["x_position", "reward_ctrl", "", "é⚙︎", String(repeating: "k", count: 200)]
        for trial in 0..<300 {
            let n = Int.random(in: 1...4, using: &random)
            let infos: [[String: Double]] = (0..<n).map { _ in
                Dictionary(
                    uniqueKeysWithValues: keys.filter { _ in Bool.random(using: &random) }.map {
                        ($0, [0, -1.5, 1e300, Double.random(in: -9...9, using: &random)].randomElement(using: &random)!)
                    })
            }
            let step = BridgeReply.Step(
                observations: Tensor(float32: (0..<(3 * n)).map { Float($0) }, shape: [n, 3]), rewards: Array(repeating: -1, count: n),
                terminated: Array(repeating: false, count: n), truncated: (0..<n).map { $0 == 0 },
                finalObservations: trial % 3 == 0 ? [0: Tensor(float32: [9, 9, 9], shape: [3])] : [:],
                infos: trial % 7 == 0 ? [] : infos, serverStepSeconds: 1e-5)
            let reply = BridgeReply(requestID: UInt64(trial), serverInstanceID: "s", kind: .step(step))
            let bytes = MessageCodec.encodeWithProtobuf(reply)
            let fast = try #require(StepMessageCodec.decodeStepReply(bytes), "trial \(trial)")
            let reference = try MessageCodec.decodeReplyWithProtobuf(bytes)
            #expect(fast == reply && fast == reference, "trial \(trial)")
            var reused = BridgeReply.Step(
                observations: Tensor(float32: []), rewards: [], terminated: [], truncated: [], infos: [["stale": 1]])
            try #require(MessageCodec.viewStepReply(bytes)).read(into: &reused)
            #expect(reused == step)
        }
        // Info { values { key "a" value 1 } values { key "a" value 2 } }: protobuf keeps the last; the fast path declines.
        let entry = { (value: Double) -> [UInt8] in
            [0x0A, 12, 0x0A, 1, 0x61, 0x11] + withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        }
        let info = entry(1) + entry(2)
        var twice = MessageCodec.encodeWithProtobuf(
            BridgeReply(
                requestID: 0, serverInstanceID: "",
                kind: .step(
                    .init(
                        observations: Tensor(float32: [1], shape: [1, 1]), rewards: [0], terminated: [false], truncated: [false]))))
        // The step body is the reply's only field here: append the info to it and correct its length.
        twice = [0x62, UInt8(twice.count - 2 + 2 + info.count)] + Array(twice[2...]) + [0x3A, UInt8(info.count)] + info
        #expect(StepMessageCodec.decodeStepReply(twice) == nil)
        guard case let .step(decoded) = try MessageCodec.decodeReplyWithProtobuf(twice).kind else { Issue.record("not a step"); return }
        #expect(decoded.infos == [["a": 2]])
    }

    /// Truncations and flipped bytes: wherever the fast path answers, swift-protobuf answers the same; where
    /// swift-protobuf refuses the bytes, the fast path has declined them.
    @Test func mutatedBytesNeverDecodeDifferently() {
        var random = Xoshiro256StarStar(seed: 3)
        var answered = 0, declined = 0
        for trial in 0..<4000 {
            let isRequest = trial % 2 == 0
            var bytes =
                isRequest
                ? MessageCodec.encodeWithProtobuf(Self.randomRequest(&random)) : MessageCodec.encodeWithProtobuf(Self.randomReply(&random))
            guard !bytes.isEmpty else { continue }
            switch Int.random(in: 0..<4, using: &random) {
            case 0: bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
            case 1:
                bytes.append(contentsOf: (0..<Int.random(in: 1...3, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            default:
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            if isRequest {
                let reference = try? MessageCodec.decodeRequestWithProtobuf(bytes)
                guard let fast = StepMessageCodec.decodeStepRequest(bytes) else { declined += 1; continue }
                answered += 1
                #expect(reference.map { Self.sameRequest($0, fast) } == true, "bytes \(bytes)")
            } else {
                let reference = try? MessageCodec.decodeReplyWithProtobuf(bytes)
                guard let fast = StepMessageCodec.decodeStepReply(bytes) else { declined += 1; continue }
                answered += 1
                #expect(reference.map { Self.sameReply($0, fast) } == true, "bytes \(bytes)")
            }
        }
        // Both branches ran: some mutations leave a canonical message (e.g. a changed data byte), most do not.
        #expect(answered > 100 && declined > 100, "answered \(answered), declined \(declined)")
    }

    @Test func nonCanonicalLayoutsAreLeftToSwiftProtobuf() throws {
        let request = BridgeRequest(requestID: 9, sessionID: "abc", kind: .step(actions: Tensor(float32: [0.5], shape: [1, 1])))
        let canonical = MessageCodec.encodeWithProtobuf(request)
        #expect(StepMessageCodec.decodeStepRequest(canonical) == request)
        // The same fields with the session id before the request id: valid protobuf, not swift-protobuf's order.
        let idField: [UInt8] = [0x08, 9], sessionField: [UInt8] = [0x12, 3] + Array("abc".utf8)
        let reordered = sessionField + idField + Array(canonical.dropFirst(idField.count + sessionField.count))
        #expect(StepMessageCodec.decodeStepRequest(reordered) == nil)
        #expect(try MessageCodec.decodeRequest(reordered) == request)
        // An unknown field appended: swift-protobuf keeps it as unknown and decodes the rest.
        let extended = canonical + [0xF8, 0x01, 0x01]
        #expect(StepMessageCodec.decodeStepRequest(extended) == nil)
        #expect(try MessageCodec.decodeRequest(extended) == request)
        // A session id that is not UTF-8 is swift-protobuf's error to report.
        let badText = [UInt8](canonical.prefix(4)) + [0xFF] + canonical.dropFirst(5)
        #expect(StepMessageCodec.decodeStepRequest(badText) == nil)
        #expect(throws: BridgeError.self) { try MessageCodec.decodeRequest(badText) }
    }

    /// The conformance vectors come from Python's protobuf; its step messages take the fast path too.
    @Test func pythonWrittenStepVectorsTakeTheFastPath() throws {
        let folder = ConformanceVectorTests.folder
        var fastRequests = 0, fastReplies = 0
        for vector in ConformanceVectorTests.vectors where vector.decodeError == nil {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(vector.file)))
            if vector.isRequest, let fast = StepMessageCodec.decodeStepRequest(bytes) {
                fastRequests += 1
                #expect(Self.sameRequest(fast, try MessageCodec.decodeRequestWithProtobuf(bytes)), "\(vector.name)")
            }
            if !vector.isRequest, let fast = StepMessageCodec.decodeStepReply(bytes) {
                fastReplies += 1
                #expect(Self.sameReply(fast, try MessageCodec.decodeReplyWithProtobuf(bytes)), "\(vector.name)")
            }
        }
        #expect(fastRequests >= 1 && fastReplies >= 1, "fast requests \(fastRequests), replies \(fastReplies)")
    }
}
