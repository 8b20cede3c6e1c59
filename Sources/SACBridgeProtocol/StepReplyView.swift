/// A step reply read in place from its frame: the ids, and where the observations, rewards, flags and final
/// observations lie in the frame, for a client that copies them into the buffers it steps with instead of
/// building a ``BridgeReply`` for every step. `MessageCodec/viewStepReply(_:)` makes one from a canonical
/// step reply without failures (the layout swift-protobuf and gym_bridge write), having checked everything
/// ``MessageCodec/decodeReply(_:)`` would: tensors' bytes fit their shapes, flags are 0 or 1, strings are
/// UTF-8.
package struct StepReplyView: Sendable {
    /// The id of the request this answers.
    package let requestID: UInt64
    /// The id of the server process that answered (changes when the server restarts).
    package let serverInstanceID: String
    /// Seconds the server spent stepping the environments.
    package let serverStepSeconds: Double
    private let frame: [UInt8]
    let observations: StepMessageCodec.TensorLayout
    let rewards: Range<Int>, terminated: Range<Int>, truncated: Range<Int>
    /// Environment indices with their final observations, in increasing index order.
    private let finals: [(index: Int, observation: StepMessageCodec.TensorLayout)]
    /// The numeric infos, read as the view was made (dictionaries either way).
    private let infos: [[String: Double]]

    init(
        requestID: UInt64, serverInstanceID: String, serverStepSeconds: Double, frame: [UInt8], observations: StepMessageCodec.TensorLayout,
        rewards: Range<Int>, terminated: Range<Int>, truncated: Range<Int>,
        finals: [(index: Int, observation: StepMessageCodec.TensorLayout)],
        infos: [[String: Double]] = []
    ) {
        self.requestID = requestID
        self.serverInstanceID = serverInstanceID
        self.serverStepSeconds = serverStepSeconds
        self.frame = frame
        self.observations = observations
        self.rewards = rewards
        self.terminated = terminated
        self.truncated = truncated
        self.finals = finals
        self.infos = infos
    }

    /// The step as ``MessageCodec/decodeReply(_:)`` gives it.
    package var step: BridgeReply.Step {
        var step = BridgeReply.Step.empty
        read(into: &step)
        return step
    }

    /// The step as ``MessageCodec/decodeReply(_:)`` would give it, written into `step`: arrays of the
    /// same length as before are overwritten in place, so a client that reads every step into one value
    /// allocates nothing for a step without final observations.
    package func read(into step: inout BridgeReply.Step) {
        step.observations.replace(with: observations, in: frame)
        frame.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            Self.overwrite(&step.rewards, count: rewards.count / 8) { reward($0, base) }
            Self.overwrite(&step.terminated, count: terminated.count) { flag(terminated, $0, base) }
            Self.overwrite(&step.truncated, count: truncated.count) { flag(truncated, $0, base) }
        }
        if !finals.isEmpty || !step.finalObservations.isEmpty { step.finalObservations = finalObservations() }
        if !step.failures.isEmpty { step.failures.removeAll() }
        if !infos.isEmpty || !step.infos.isEmpty { step.infos = infos }
        step.serverStepSeconds = serverStepSeconds
    }

    @inline(__always)
    private func reward(_ index: Int, _ frame: UnsafeRawPointer) -> Double {
        Double(bitPattern: UInt64(littleEndian: frame.loadUnaligned(fromByteOffset: rewards.lowerBound + 8 * index, as: UInt64.self)))
    }

    @inline(__always)
    private func flag(_ flags: Range<Int>, _ index: Int, _ frame: UnsafeRawPointer) -> Bool {
        frame.load(fromByteOffset: flags.lowerBound + index, as: UInt8.self) == 1
    }

    private func finalObservations() -> [Int: Tensor] {
        var observations: [Int: Tensor] = [:]
        for (index, layout) in finals { observations[index] = layout.tensor(in: frame) }
        return observations
    }

    /// `array` becomes `count` elements `element(0..<count)`, in its own storage when it already has `count`.
    @inline(__always)
    private static func overwrite<Element>(_ array: inout [Element], count: Int, _ element: (Int) -> Element) {
        if array.count == count {
            array.withUnsafeMutableBufferPointer { buffer in for i in 0..<count { buffer[i] = element(i) } }
        } else {
            array = (0..<count).map(element)
        }
    }
}
