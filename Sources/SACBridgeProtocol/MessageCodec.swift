import Foundation
import SwiftProtobuf

/// Encodes and decodes envbridge messages. The only code that touches the generated protobuf types:
/// everything above speaks ``BridgeRequest``, ``BridgeReply`` and ``Tensor``. Step requests and step
/// replies, the messages of every round trip, go through a hand-written fast path first (byte for byte
/// what swift-protobuf writes; anything unusual is left to swift-protobuf).
///
/// Decoding validates what input can get wrong — undecodable bytes, a missing message kind, tensors whose
/// byte length does not match shape × dtype, unknown dtypes — and reports it as the ``BridgeError`` the
/// server sends back.
public enum MessageCodec {
    // MARK: Requests

    /// The wire bytes of a request.
    public static func encode(_ request: BridgeRequest) -> [UInt8] {
        if case let .step(actions) = request.kind {
            return StepMessageCodec.encodeStepRequest(requestID: request.requestID, sessionID: request.sessionID, actions: actions)
        }
        return encodeWithProtobuf(request)
    }

    /// The bytes of `BridgeRequest(requestID:sessionID:kind: .step(actions:))` for float32 `actions` of
    /// shape `actionShape` (`[num_envs, *action_shape]`), written from the actions in place into `buffer`
    /// (replacing its contents; in its storage when the size is unchanged, as it is from one step of a
    /// session to the next). The same bytes as ``encode(_:)-(BridgeRequest)`` gives for that request.
    package static func encodeStepRequest(
        requestID: UInt64, sessionID: String, actions: UnsafeBufferPointer<Float>, actionShape: [Int],
        into buffer: inout [UInt8]
    ) {
        precondition(Tensor.elementCount(actionShape) == actions.count, "shape \(actionShape) for \(actions.count) actions")
        #if _endian(little)
            StepMessageCodec.encodeStepRequest(
                requestID: requestID, sessionID: sessionID,
                actions: .init(dtype: .float32, shape: actionShape, bytes: UnsafeRawBufferPointer(actions)), into: &buffer)
        #else
            buffer = encode(
                BridgeRequest(
                    requestID: requestID, sessionID: sessionID, kind: .step(actions: Tensor(float32: Array(actions), shape: actionShape))))
        #endif
    }

    /// `encode(_:)` through swift-protobuf alone, the reference the step fast path is tested against.
    static func encodeWithProtobuf(_ request: BridgeRequest) -> [UInt8] {
        var message = Envbridge_V1_Request()
        message.requestID = request.requestID
        message.sessionID = request.sessionID
        switch request.kind {
        case let .handshake(hello):
            var body = Envbridge_V1_HandshakeRequest()
            body.protocolMajor = hello.protocolMajor
            body.protocolMinor = hello.protocolMinor
            body.clientName = hello.clientName
            body.observationDtype = hello.observationDType.map(wire) ?? .unspecified
            body.clientNonce = hello.clientNonce
            message.handshake = body
        case let .reset(reset):
            var body = Envbridge_V1_ResetRequest()
            body.seeds = reset.seeds.map(wire)
            body.states = reset.states.map { $0.map(wire) ?? Envbridge_V1_Tensor() }
            body.envIndices = reset.environmentIndices.map { UInt32(clamping: $0) }
            message.reset = body
        case let .step(actions):
            var body = Envbridge_V1_StepRequest()
            body.actions = wire(actions)
            message.step = body
        case .close:
            message.close = Envbridge_V1_CloseRequest()
        }
        return serialize(message)
    }

    /// The request in `bytes`, or the error to reply with.
    public static func decodeRequest(_ bytes: [UInt8]) throws(BridgeError) -> BridgeRequest {
        if let step = StepMessageCodec.decodeStepRequest(bytes) { return step }
        return try decodeRequestWithProtobuf(bytes)
    }

    /// A step request read in place from `frame`, or nil when the frame is anything but a canonical step
    /// request — another kind, a layout other than swift-protobuf's and gym_bridge's, or malformed — which
    /// ``decodeRequest(_:)`` then reads (and reports any error of). For a server's step loop: the actions
    /// go from the frame into the environments' buffers without a ``Tensor`` between.
    package static func viewStepRequest(_ frame: [UInt8]) -> StepRequestView? {
        StepMessageCodec.viewStepRequest(frame)
    }

    /// `decodeRequest(_:)` through swift-protobuf alone.
    /// The `request_id` of a frame that parses as a protobuf `Request` although ``decodeRequest(_:)`` refuses
    /// it (a bad tensor, a missing field): the id an error reply echoes. 0 when the frame does not parse.
    public static func requestID(in frame: [UInt8]) -> UInt64 {
        (try? Envbridge_V1_Request(serializedBytes: frame))?.requestID ?? 0
    }

    static func decodeRequestWithProtobuf(_ bytes: [UInt8]) throws(BridgeError) -> BridgeRequest {
        let message: Envbridge_V1_Request
        do {
            message = try Envbridge_V1_Request(serializedBytes: bytes)
        } catch {
            throw BridgeError(.badRequest, "request of \(bytes.count) bytes is not a valid envbridge Request: \(error)")
        }
        let kind: BridgeRequest.Kind
        switch message.kind {
        case nil:
            throw BridgeError(
                .badRequest, "request has no message kind (handshake, reset, step or close); is the client speaking a newer protocol?")
        case let .handshake(body)?:
            kind = .handshake(
                .init(
                    protocolMajor: body.protocolMajor, protocolMinor: body.protocolMinor, clientName: body.clientName,
                    observationDType: try dtype(body.observationDtype, allowUnspecified: true, field: "observation_dtype"),
                    clientNonce: body.clientNonce))
        case let .reset(body)?:
            var states: [Tensor?] = []
            for state in body.states {
                states.append(state.shape.isEmpty && state.data.isEmpty ? nil : try tensor(state, field: "state"))
            }
            kind = .reset(.init(seeds: body.seeds.map(seed), states: states, environmentIndices: body.envIndices.map(Int.init)))
        case let .step(body)?:
            guard body.hasActions else { throw BridgeError(.wrongShape, "step request has no actions tensor") }
            kind = .step(actions: try tensor(body.actions, field: "actions"))
        case .close?:
            kind = .close
        }
        return BridgeRequest(requestID: message.requestID, sessionID: message.sessionID, kind: kind)
    }

    // MARK: Replies

    /// The wire bytes of a reply.
    public static func encode(_ reply: BridgeReply) -> [UInt8] {
        if case let .step(step) = reply.kind,
            let bytes = StepMessageCodec.encodeStepReply(requestID: reply.requestID, serverInstanceID: reply.serverInstanceID, step: step)
        {
            return bytes
        }
        return encodeWithProtobuf(reply)
    }

    /// The bytes of `BridgeReply(requestID:serverInstanceID:kind: .step(step))`, as ``encode(_:)-(BridgeReply)``
    /// writes them, without wrapping the step in a reply first: for a server's step loop, where copying
    /// the reply's enum and destroying it again took a fifth of the time to handle a step request.
    public static func encodeStepReply(requestID: UInt64, serverInstanceID: String, step: BridgeReply.Step) -> [UInt8] {
        StepMessageCodec.encodeStepReply(requestID: requestID, serverInstanceID: serverInstanceID, step: step)
            ?? encodeWithProtobuf(BridgeReply(requestID: requestID, serverInstanceID: serverInstanceID, kind: .step(step)))
    }

    /// The bytes of a step reply with no final observations, failures or infos, written from its parts in
    /// place into `buffer` (replacing its contents; in its storage when the size is unchanged, as it is
    /// from one step of a session to the next): `observations` (float32, `[num_envs, *observation_shape]`
    /// as `observationShape`), one reward and two flags per environment, and the seconds spent stepping.
    /// The same bytes as ``encode(_:)-(BridgeReply)`` gives for that reply.
    package static func encodeStepReply(
        requestID: UInt64, serverInstanceID: String, observations: UnsafeBufferPointer<Float>, observationShape: [Int],
        rewards: UnsafeBufferPointer<Double>, terminated: UnsafeBufferPointer<Bool>, truncated: UnsafeBufferPointer<Bool>,
        serverStepSeconds: Double, into buffer: inout [UInt8]
    ) {
        #if _endian(little)
            StepMessageCodec.encodeStepReply(
                requestID: requestID, serverInstanceID: serverInstanceID,
                observations: .init(dtype: .float32, shape: observationShape, bytes: UnsafeRawBufferPointer(observations)),
                rewards: rewards, terminated: terminated, truncated: truncated, serverStepSeconds: serverStepSeconds, into: &buffer)
        #else
            buffer = encodeStepReply(
                requestID: requestID, serverInstanceID: serverInstanceID,
                step: .init(
                    observations: Tensor(float32: Array(observations), shape: observationShape), rewards: Array(rewards),
                    terminated: Array(terminated), truncated: Array(truncated), serverStepSeconds: serverStepSeconds))
        #endif
    }

    /// `encode(_:)` through swift-protobuf alone.
    static func encodeWithProtobuf(_ reply: BridgeReply) -> [UInt8] {
        var message = Envbridge_V1_Reply()
        message.requestID = reply.requestID
        message.serverInstanceID = reply.serverInstanceID
        switch reply.kind {
        case let .handshake(hello):
            var body = Envbridge_V1_HandshakeReply()
            body.protocolMajor = hello.protocolMajor
            body.protocolMinor = hello.protocolMinor
            body.environmentID = hello.environmentID
            body.observationSpace = wire(hello.observationSpace)
            body.actionSpace = wire(hello.actionSpace)
            body.numEnvs = UInt32(hello.numEnvs)
            body.sessionID = hello.sessionID
            body.maxEpisodeSteps = UInt32(hello.maxEpisodeSteps)
            message.handshake = body
        case let .reset(reset):
            var body = Envbridge_V1_ResetReply()
            body.observations = wire(reset.observations)
            body.seedsUsed = reset.seedsUsed.map(wire)
            message.reset = body
        case let .step(step):
            var body = Envbridge_V1_StepReply()
            body.observations = wire(step.observations)
            body.rewards = step.rewards
            body.terminated = step.terminated
            body.truncated = step.truncated
            body.finalObservations = step.finalObservations.sorted { $0.key < $1.key }.map { index, observation in
                var final = Envbridge_V1_FinalObservation()
                final.index = UInt32(index)
                final.observation = wire(observation)
                return final
            }
            body.failures = step.failures.map { failure in
                var wireFailure = Envbridge_V1_EnvironmentFailure()
                wireFailure.index = UInt32(failure.index)
                wireFailure.code = wire(failure.error.code)
                wireFailure.message = failure.error.message
                return wireFailure
            }
            body.infos = step.infos.map { values in
                var info = Envbridge_V1_Info()
                info.values = values
                return info
            }
            body.serverStepSeconds = step.serverStepSeconds
            message.step = body
        case .close:
            message.close = Envbridge_V1_CloseReply()
        case let .error(error):
            var body = Envbridge_V1_Error()
            body.code = wire(error.code)
            body.message = error.message
            message.error = body
        }
        return serialize(message)
    }

    /// The reply in `bytes`; a malformed reply is a ``BridgeError`` with code `badRequest`.
    public static func decodeReply(_ bytes: [UInt8]) throws(BridgeError) -> BridgeReply {
        if let step = StepMessageCodec.decodeStepReply(bytes) { return step }
        return try decodeReplyWithProtobuf(bytes)
    }

    /// A step reply read in place from `frame`, or nil when the frame is anything but a canonical step
    /// reply without failures — another kind (an error), a layout other than swift-protobuf's and
    /// gym_bridge's, or malformed — which ``decodeReply(_:)`` then reads (and reports any error of). For a
    /// client's step loop: the step goes into the buffers the client reuses (`StepReplyView/read(into:)`).
    package static func viewStepReply(_ frame: [UInt8]) -> StepReplyView? {
        StepMessageCodec.viewStepReply(frame)
    }

    /// `decodeReply(_:)` through swift-protobuf alone.
    static func decodeReplyWithProtobuf(_ bytes: [UInt8]) throws(BridgeError) -> BridgeReply {
        let message: Envbridge_V1_Reply
        do {
            message = try Envbridge_V1_Reply(serializedBytes: bytes)
        } catch {
            throw BridgeError(.badRequest, "reply of \(bytes.count) bytes is not a valid envbridge Reply: \(error)")
        }
        let kind: BridgeReply.Kind
        switch message.kind {
        case nil:
            throw BridgeError(.badRequest, "reply has no message kind")
        case let .handshake(body)?:
            kind = .handshake(
                .init(
                    protocolMajor: body.protocolMajor, protocolMinor: body.protocolMinor, environmentID: body.environmentID,
                    observationSpace: try space(body.observationSpace, field: "observation_space"),
                    actionSpace: try space(body.actionSpace, field: "action_space"),
                    numEnvs: Int(body.numEnvs), sessionID: body.sessionID, maxEpisodeSteps: Int(body.maxEpisodeSteps)))
        case let .reset(body)?:
            kind = .reset(.init(observations: try tensor(body.observations, field: "observations"), seedsUsed: body.seedsUsed.map(seed)))
        case let .step(body)?:
            var finals: [Int: Tensor] = [:]
            for final in body.finalObservations { finals[Int(final.index)] = try tensor(final.observation, field: "final_observation") }
            kind = .step(
                .init(
                    observations: try tensor(body.observations, field: "observations"), rewards: body.rewards,
                    terminated: body.terminated, truncated: body.truncated, finalObservations: finals,
                    failures: body.failures.map {
                        BridgeReply.Failure(index: Int($0.index), error: BridgeError(code($0.code), $0.message))
                    },
                    infos: body.infos.map(\.values), serverStepSeconds: body.serverStepSeconds))
        case .close?:
            kind = .close
        case let .error(body)?:
            kind = .error(BridgeError(code(body.code), body.message))
        }
        return BridgeReply(requestID: message.requestID, serverInstanceID: message.serverInstanceID, kind: kind)
    }

    // MARK: Field mappings

    private static func serialize(_ message: some SwiftProtobuf.Message) -> [UInt8] {
        // Serialising a fully built message with no required fields cannot fail.
        (try? message.serializedBytes()) ?? []
    }

    private static func wire(_ dtype: TensorDType) -> Envbridge_V1_DType {
        dtype == .float32 ? .float32 : .float64
    }

    private static func dtype(_ value: Envbridge_V1_DType, allowUnspecified: Bool = false, field: String) throws(BridgeError)
        -> TensorDType?
    {
        switch value {
        case .float32: return .float32
        case .float64: return .float64
        case .unspecified where allowUnspecified: return nil
        default: throw BridgeError(.wrongDType, "\(field) has dtype \(value.rawValue); expected FLOAT32 (1) or FLOAT64 (2)")
        }
    }

    private static func wire(_ tensor: Tensor) -> Envbridge_V1_Tensor {
        var message = Envbridge_V1_Tensor()
        message.dtype = wire(tensor.dtype)
        message.shape = tensor.shape.map { UInt64($0) }
        message.data = Data(tensor.bytes)
        return message
    }

    private static func tensor(_ message: Envbridge_V1_Tensor, field: String) throws(BridgeError) -> Tensor {
        guard let dtype = try dtype(message.dtype, field: field) else { throw BridgeError(.wrongDType, "\(field) has no dtype") }
        guard message.shape.allSatisfy({ $0 <= UInt64(Int32.max) }) else {
            throw BridgeError(.wrongShape, "\(field) shape \(message.shape) has an absurd dimension")
        }
        do {
            return try Tensor(dtype: dtype, shape: message.shape.map { Int($0) }, bytes: [UInt8](message.data))
        } catch {
            throw BridgeError(.wrongShape, "\(field): \(error.message)")
        }
    }

    private static func wire(_ space: BridgeReply.Space) -> Envbridge_V1_Box {
        var box = Envbridge_V1_Box()
        box.low = wire(space.low)
        box.high = wire(space.high)
        return box
    }

    private static func space(_ box: Envbridge_V1_Box, field: String) throws(BridgeError) -> BridgeReply.Space {
        let low = try tensor(box.low, field: field + ".low"), high = try tensor(box.high, field: field + ".high")
        guard low.shape == high.shape, low.dtype == high.dtype else {
            throw BridgeError(.wrongShape, "\(field) bounds differ in shape or dtype (\(low) vs \(high))")
        }
        return BridgeReply.Space(low: low, high: high)
    }

    private static func wire(_ seed: UInt64?) -> Envbridge_V1_Seed {
        var message = Envbridge_V1_Seed()
        message.present = seed != nil
        message.value = seed ?? 0
        return message
    }

    private static func seed(_ message: Envbridge_V1_Seed) -> UInt64? {
        message.present ? message.value : nil
    }

    private static func wire(_ code: BridgeErrorCode) -> Envbridge_V1_ErrorCode {
        Envbridge_V1_ErrorCode(rawValue: code.rawValue) ?? .internal
    }

    private static func code(_ value: Envbridge_V1_ErrorCode) -> BridgeErrorCode {
        BridgeErrorCode(rawValue: value.rawValue) ?? .internalError
    }
}
