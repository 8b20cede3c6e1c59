import Testing
@testable import SACBridgeProtocol
import SACRandomness

/// A session's step messages read by comparison with its template read exactly as the field-by-field views
/// read them, and anything the template does not describe — another session, shape, dtype or server
/// instance, an episode's end, mutated bytes — is left to those views.
@Suite struct StepMessageTemplateTests {
    static let ids: [UInt64] = [0, 1, 127, 128, 16_383, 16_384, 1 << 35, UInt64.max]
    static let strings = ["", "a", "9f3c2a17b4e8d60", String(repeating: "é", count: 70)]

    /// The bytes of two encoded views compared through the messages they decode to.
    static func request(_ view: StepRequestView) -> [UInt8] {
        MessageCodec.encodeWithProtobuf(BridgeRequest(requestID: view.requestID, sessionID: view.sessionID, kind: .step(actions: view.actions)))
    }

    static func reply(_ view: StepReplyView) -> [UInt8] {
        MessageCodec.encodeWithProtobuf(BridgeReply(requestID: view.requestID, serverInstanceID: view.serverInstanceID, kind: .step(view.step)))
    }

    static func mutated(_ bytes: [UInt8], _ random: inout Xoshiro256StarStar) -> [UInt8] {
        var bytes = bytes
        switch Int.random(in: 0..<4, using: &random) {
        case 0: bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
        case 1: bytes.append(contentsOf: (0..<Int.random(in: 1...3, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
        default:
            for _ in 0..<Int.random(in: 1...3, using: &random) { bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
        }
        return bytes
    }

    @Test func stepRequestsMatchTheirSessionsTemplateOnly() throws {
        var random = Xoshiro256StarStar(seed: 21)
        var matched = 0, declined = 0
        for trial in 0..<600 {
            let session = Self.strings[trial % 4]
            let shape = [[1, 1], [3, 6], [2], [], [4, 2, 2]][trial % 5]
            let template = try #require(StepRequestTemplate(sessionID: session, actionShape: shape))
            let actions = (0..<shape.reduce(1, *)).map { _ in Float.random(in: -2...2, using: &random) }
            let id = Self.ids[trial % Self.ids.count]
            let frame = MessageCodec.encodeWithProtobuf(BridgeRequest(requestID: id, sessionID: session, kind: .step(actions: Tensor(float32: actions, shape: shape))))
            let view = try #require(template.view(frame), "trial \(trial)")
            let general = try #require(MessageCodec.viewStepRequest(frame))
            #expect(view.requestID == id && view.sessionID == session && view.hasShape(shape) && Self.request(view) == Self.request(general))
            var floats: [Float] = []
            view.copyFloats(0..<actions.count, into: &floats)
            #expect(floats == actions)
            // Written from the template: swift-protobuf's bytes, whatever the buffer held.
            var written: [UInt8] = Array(repeating: 0xAB, count: trial % 50)
            actions.withUnsafeBufferPointer { template.write(requestID: id, actions: $0, into: &written) }
            #expect(written == frame, "trial \(trial)")
            // Another session, shape or dtype does not match.
            #expect(StepRequestTemplate(sessionID: session + "x", actionShape: shape)?.view(frame) == nil)
            #expect(StepRequestTemplate(sessionID: session, actionShape: shape + [1])?.view(frame) == nil)
            let float64 = MessageCodec.encodeWithProtobuf(BridgeRequest(requestID: id, sessionID: session, kind: .step(actions: Tensor(float64: actions.map(Double.init), shape: shape))))
            #expect(template.view(float64) == nil)
            // Whatever a mutation leaves, the template never reads it otherwise than the general reader.
            let bytes = Self.mutated(frame, &random)
            if let view = template.view(bytes) {
                matched += 1
                #expect(MessageCodec.viewStepRequest(bytes).map(Self.request) == Self.request(view), "bytes \(bytes)")
            } else {
                declined += 1
            }
        }
        #expect(matched > 50 && declined > 50, "matched \(matched), declined \(declined)")
        #expect(StepRequestTemplate(sessionID: "s", actionShape: [-1, 2]) == nil)
    }

    @Test func stepRepliesMatchTheirSessionsTemplateOnly() throws {
        var random = Xoshiro256StarStar(seed: 22)
        var matched = 0, declined = 0
        var reused = BridgeReply.Step.empty
        for trial in 0..<600 {
            let instance = Self.strings[trial % 4]
            let n = 1 + trial % 4, width = [3, 17, 1][trial % 3]
            let dtype: TensorDType = trial % 2 == 0 ? .float32 : .float64
            let template = try #require(StepReplyTemplate(serverInstanceID: instance, observationShape: [n, width], dtype: dtype))
            let values = (0..<(n * width)).map { _ in Double.random(in: -10...10, using: &random) }
            let observations = dtype == .float32 ? Tensor(float32: values.map(Float.init), shape: [n, width]) : Tensor(float64: values, shape: [n, width])
            let seconds = [1.5e-6, Double.random(in: 0.1...2, using: &random), -0.5][trial % 3]
            var step = BridgeReply.Step(observations: observations, rewards: (0..<n).map { _ in Double.random(in: -20...0, using: &random) },
                                        terminated: (0..<n).map { _ in Bool.random(using: &random) }, truncated: (0..<n).map { _ in Bool.random(using: &random) },
                                        serverStepSeconds: seconds)
            let id = Self.ids[trial % Self.ids.count]
            let frame = MessageCodec.encodeWithProtobuf(BridgeReply(requestID: id, serverInstanceID: instance, kind: .step(step)))
            let view = try #require(template.view(frame), "trial \(trial)")
            let general = try #require(MessageCodec.viewStepReply(frame))
            #expect(view.requestID == id && view.serverInstanceID == instance && view.serverStepSeconds == seconds)
            #expect(Self.reply(view) == Self.reply(general))
            view.read(into: &reused)
            #expect(reused == step)
            // Written from the template (float32 only): swift-protobuf's bytes, whatever the buffer held.
            var written: [UInt8] = Array(repeating: 0xAB, count: trial % 90)
            let before = written
            let floats = observations.floats()
            let wrote = floats.withUnsafeBufferPointer { o in
                step.rewards.withUnsafeBufferPointer { r in
                    step.terminated.withUnsafeBufferPointer { t in
                        step.truncated.withUnsafeBufferPointer { u in
                            template.write(requestID: id, observations: o, rewards: r, terminated: t, truncated: u, serverStepSeconds: seconds, into: &written)
                        }
                    }
                }
            }
            #expect(wrote == (dtype == .float32) && written == (wrote ? frame : before), "trial \(trial)")
            // Another instance, shape or dtype, a zero step time (the field left out) or an episode's end does not match.
            #expect(StepReplyTemplate(serverInstanceID: instance + "x", observationShape: [n, width], dtype: dtype)?.view(frame) == nil)
            #expect(StepReplyTemplate(serverInstanceID: instance, observationShape: [n + 1, width], dtype: dtype)?.view(frame) == nil)
            #expect(StepReplyTemplate(serverInstanceID: instance, observationShape: [n, width], dtype: dtype == .float32 ? .float64 : .float32)?.view(frame) == nil)
            step.serverStepSeconds = 0
            if dtype == .float32 {
                let refused = floats.withUnsafeBufferPointer { o in
                    step.rewards.withUnsafeBufferPointer { r in
                        step.terminated.withUnsafeBufferPointer { t in
                            step.truncated.withUnsafeBufferPointer { u in
                                !template.write(requestID: id, observations: o, rewards: r, terminated: t, truncated: u, serverStepSeconds: 0, into: &written)
                            }
                        }
                    }
                }
                #expect(refused && written == frame)
            }
            #expect(template.view(MessageCodec.encodeWithProtobuf(BridgeReply(requestID: id, serverInstanceID: instance, kind: .step(step)))) == nil)
            step.serverStepSeconds = seconds
            step.finalObservations = [0: observations.row(0)]
            #expect(template.view(MessageCodec.encodeWithProtobuf(BridgeReply(requestID: id, serverInstanceID: instance, kind: .step(step)))) == nil)
            let bytes = Self.mutated(frame, &random)
            if let view = template.view(bytes) {
                matched += 1
                #expect(MessageCodec.viewStepReply(bytes).map(Self.reply) == Self.reply(view), "bytes \(bytes)")
            } else {
                declined += 1
            }
        }
        #expect(matched > 50 && declined > 50, "matched \(matched), declined \(declined)")
        #expect(StepReplyTemplate(serverInstanceID: "s", observationShape: [0, 3], dtype: .float32) == nil)
    }
}
