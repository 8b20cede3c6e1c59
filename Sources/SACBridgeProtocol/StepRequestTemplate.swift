/// The bytes every step request of one session shares — `Request { request_id, session_id, step { actions } }`
/// with float32 actions of one shape, as the Swift client sends them — for a server that reads its sessions'
/// step requests by comparing them with it (``view(_:)``, a few `memcmp`s) instead of field by field
/// (`MessageCodec/viewStepRequest(_:)`). Any other request does not match, and is read the general way.
package struct StepRequestTemplate: Sendable {
    private let template: StepMessageTemplate
    private let sessionID: String
    /// The actions in the template's bytes.
    private let actions: StepMessageCodec.TensorLayout

    /// The template of session `sessionID`'s step requests for float32 actions of shape `actionShape`
    /// (`[num_envs, *action_shape]`); nil for a shape no tensor can have (a negative or overflowing one).
    package init?(sessionID: String, actionShape: [Int]) {
        guard let count = Tensor.elementCount(actionShape) else { return nil }
        var bytes: [UInt8] = []
        [Float](repeating: 0, count: count).withUnsafeBufferPointer {
            MessageCodec.encodeStepRequest(requestID: 0, sessionID: sessionID, actions: $0, actionShape: actionShape, into: &bytes)
        }
        guard let view = StepMessageCodec.viewStepRequest(bytes) else { return nil }
        self.sessionID = sessionID
        actions = view.layout
        template = StepMessageTemplate(bytes: bytes, values: [view.layout.data], flags: [])
    }

    /// The step request with id `requestID` and `actions` (as many as the template's shape holds), into
    /// `buffer` (replacing its contents, in its storage when the size is unchanged): the bytes
    /// ``MessageCodec/encodeStepRequest(requestID:sessionID:actions:actionShape:into:)`` writes.
    package func write(requestID: UInt64, actions: UnsafeBufferPointer<Float>, into buffer: inout [UInt8]) {
        precondition(actions.count * 4 == self.actions.data.count, "\(actions.count) actions for a template of \(self.actions.data.count / 4)")
        let data = self.actions.data.lowerBound
        template.write(requestID: requestID, into: &buffer) { message in
            for (i, action) in actions.enumerated() {
                UnsafeMutableRawPointer(message + data).storeBytes(of: action.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
    }

    /// The request in `frame` read in place when it is one of this template's, else nil. The same view as
    /// `MessageCodec/viewStepRequest(_:)` gives for it.
    package func view(_ frame: [UInt8]) -> StepRequestView? {
        guard let (id, offset) = template.match(frame) else { return nil }
        return StepRequestView(requestID: id, sessionID: sessionID, frame: frame, actions: actions.shifted(by: offset))
    }
}
