/// The bytes every ordinary step reply of one session shares — `Reply { request_id, server_instance_id,
/// step { observations, rewards, terminated, truncated, server_step_seconds } }` with observations of one
/// dtype and shape, no final observations, failures or infos, and a nonzero step time — for a client that
/// reads its replies by comparing them with it (``view(_:)``, a few `memcmp`s) instead of field by field
/// (``MessageCodec/viewStepReply(_:)``). Any other reply (an episode's end, an error, another server
/// instance) does not match, and is read the general way.
public struct StepReplyTemplate: Sendable {
    private let template: StepMessageTemplate
    private let serverInstanceID: String
    /// Where the values lie in the template's bytes.
    private let observations: StepMessageCodec.TensorLayout
    private let rewards: Range<Int>, terminated: Range<Int>, truncated: Range<Int>, seconds: Range<Int>

    /// The template of server instance `serverInstanceID`'s step replies with observations of `dtype` and
    /// shape `observationShape` (`[num_envs, *observation_shape]`, at least one environment); nil for a
    /// shape no tensor can have.
    public init?(serverInstanceID: String, observationShape: [Int], dtype: TensorDType) {
        guard let environments = observationShape.first, environments >= 1, let count = Tensor.elementCount(observationShape),
              let observations = try? Tensor(dtype: dtype, shape: observationShape, bytes: [UInt8](repeating: 0, count: count * dtype.size)) else { return nil }
        let step = BridgeReply.Step(observations: observations, rewards: Array(repeating: 0, count: environments),
                                    terminated: Array(repeating: false, count: environments), truncated: Array(repeating: false, count: environments),
                                    serverStepSeconds: 1)
        guard let bytes = StepMessageCodec.encodeStepReply(requestID: 0, serverInstanceID: serverInstanceID, step: step),
              let view = StepMessageCodec.viewStepReply(bytes) else { return nil }
        self.serverInstanceID = serverInstanceID
        (self.observations, rewards, terminated, truncated) = (view.observations, view.rewards, view.terminated, view.truncated)
        // The step time is the reply's last field: a fixed64.
        seconds = (bytes.count - 8)..<bytes.count
        template = StepMessageTemplate(bytes: bytes, values: [self.observations.data, rewards, terminated, truncated, seconds],
                                       flags: [terminated, truncated])
    }

    /// The reply in `frame` read in place when it is one of this template's, else nil. The same view as
    /// ``MessageCodec/viewStepReply(_:)`` gives for it.
    public func view(_ frame: [UInt8]) -> StepReplyView? {
        guard let (id, offset) = template.match(frame) else { return nil }
        let bits = frame.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset + seconds.lowerBound, as: UInt64.self)) }
        return StepReplyView(requestID: id, serverInstanceID: serverInstanceID, serverStepSeconds: Double(bitPattern: bits), frame: frame,
                             observations: observations.shifted(by: offset), rewards: rewards.shifted(by: offset),
                             terminated: terminated.shifted(by: offset), truncated: truncated.shifted(by: offset), finals: [])
    }
}
