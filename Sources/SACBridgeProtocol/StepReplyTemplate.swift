/// The bytes every ordinary step reply of one session shares — `Reply { request_id, server_instance_id,
/// step { observations, rewards, terminated, truncated, server_step_seconds } }` with observations of one
/// dtype and shape, no final observations, failures or infos, and a nonzero step time — for a client that
/// reads its replies by comparing them with it (``view(_:)``, a few `memcmp`s) instead of field by field
/// (`MessageCodec/viewStepReply(_:)`). Any other reply (an episode's end, an error, another server
/// instance) does not match, and is read the general way.
package struct StepReplyTemplate: Sendable {
    private let template: StepMessageTemplate
    private let serverInstanceID: String
    /// Where the values lie in the template's bytes.
    private let observations: StepMessageCodec.TensorLayout
    private let rewards: Range<Int>, terminated: Range<Int>, truncated: Range<Int>, seconds: Range<Int>

    /// The template of server instance `serverInstanceID`'s step replies with observations of `dtype` and
    /// shape `observationShape` (`[num_envs, *observation_shape]`, at least one environment); nil for a
    /// shape no tensor can have.
    package init?(serverInstanceID: String, observationShape: [Int], dtype: TensorDType) {
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

    /// The step reply with id `requestID` and these values (float32 observations, one reward and two flags
    /// per environment, as many as the template's shape holds), into `buffer` (replacing its contents, in
    /// its storage when the size is unchanged): the bytes ``MessageCodec/encodeStepReply(requestID:serverInstanceID:observations:observationShape:rewards:terminated:truncated:serverStepSeconds:into:)``
    /// writes. False, and `buffer` untouched, when the reply is not one of the template's: a float64
    /// template, or a step time of zero (which the reply leaves out).
    package func write(requestID: UInt64, observations: UnsafeBufferPointer<Float>, rewards: UnsafeBufferPointer<Double>,
                      terminated: UnsafeBufferPointer<Bool>, truncated: UnsafeBufferPointer<Bool>, serverStepSeconds: Double,
                      into buffer: inout [UInt8]) -> Bool {
        guard self.observations.dtype == .float32, serverStepSeconds.bitPattern != 0 else { return false }
        precondition(observations.count * 4 == self.observations.data.count && rewards.count * 8 == self.rewards.count
                     && terminated.count == self.terminated.count && truncated.count == self.truncated.count, "values that do not fit the template")
        let (data, rewardsStart, terminatedStart, truncatedStart, secondsStart) =
            (self.observations.data.lowerBound, self.rewards.lowerBound, self.terminated.lowerBound, self.truncated.lowerBound, seconds.lowerBound)
        template.write(requestID: requestID, into: &buffer) { message in
            let raw = UnsafeMutableRawPointer(message)
            for (i, value) in observations.enumerated() { raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: data + 4 * i, as: UInt32.self) }
            for (i, reward) in rewards.enumerated() { raw.storeBytes(of: reward.bitPattern.littleEndian, toByteOffset: rewardsStart + 8 * i, as: UInt64.self) }
            for (i, flag) in terminated.enumerated() { message[terminatedStart + i] = flag ? 1 : 0 }
            for (i, flag) in truncated.enumerated() { message[truncatedStart + i] = flag ? 1 : 0 }
            raw.storeBytes(of: serverStepSeconds.bitPattern.littleEndian, toByteOffset: secondsStart, as: UInt64.self)
        }
        return true
    }

    /// The reply in `frame` read in place when it is one of this template's, else nil. The same view as
    /// `MessageCodec/viewStepReply(_:)` gives for it.
    package func view(_ frame: [UInt8]) -> StepReplyView? {
        guard let (id, offset) = template.match(frame) else { return nil }
        let bits = frame.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset + seconds.lowerBound, as: UInt64.self)) }
        return StepReplyView(requestID: id, serverInstanceID: serverInstanceID, serverStepSeconds: Double(bitPattern: bits), frame: frame,
                             observations: observations.shifted(by: offset), rewards: rewards.shifted(by: offset),
                             terminated: terminated.shifted(by: offset), truncated: truncated.shifted(by: offset), finals: [])
    }
}
