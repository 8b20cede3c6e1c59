/// A step request read in place from its frame: the ids, and the actions' dtype, shape and elements where
/// they lie in the frame, for a server that converts the actions straight into its environments' buffers
/// instead of through a ``Tensor`` and a ``BridgeRequest``. `MessageCodec/viewStepRequest(_:)` makes one
/// from a canonical step request (the layout swift-protobuf and gym_bridge write), having checked everything
/// ``MessageCodec/decodeRequest(_:)`` would: the actions' bytes fit their shape.
package struct StepRequestView: Sendable {
    /// The request's id (a retry repeats it).
    package let requestID: UInt64
    /// The session the request belongs to.
    package let sessionID: String
    private let frame: [UInt8]
    let layout: StepMessageCodec.TensorLayout

    init(requestID: UInt64, sessionID: String, frame: [UInt8], actions: StepMessageCodec.TensorLayout) {
        self.requestID = requestID
        self.sessionID = sessionID
        self.frame = frame
        self.layout = actions
    }

    /// The actions' element type.
    package var dtype: TensorDType { layout.dtype }

    /// Number of action elements, over every environment.
    package var elementCount: Int { layout.data.count / layout.dtype.size }

    /// The actions' shape, `[num_envs, *action_shape]` in a well-formed request.
    package var shape: [Int] { layout.dimensions(in: frame) }

    /// Whether the actions' shape is `expected`, compared in place.
    package func hasShape(_ expected: [Int]) -> Bool { layout.hasDimensions(expected, in: frame) }

    /// The actions as a tensor of their own (a copy of their bytes).
    package var actions: Tensor { layout.tensor(in: frame) }

    /// Replaces the contents of `buffer` with action elements `elements`, as `Float` (float64 elements
    /// rounded, so one beyond the float32 range becomes infinite), keeping the buffer's capacity.
    package func copyFloats(_ elements: Range<Int>, into buffer: inout [Float]) {
        precondition(elements.lowerBound >= 0 && elements.upperBound <= elementCount, "elements \(elements) of \(elementCount)")
        buffer.removeAll(keepingCapacity: true)
        frame.withUnsafeBytes { raw in
            let data = raw.baseAddress! + layout.data.lowerBound
            for i in elements { buffer.append(Float(Tensor.element(i, in: data, dtype: layout.dtype))) }
        }
    }

    /// Action element `index` as sent (exact for both dtypes), for an error message.
    package func element(_ index: Int) -> Double {
        precondition(index >= 0 && index < elementCount, "element \(index) of \(elementCount)")
        return frame.withUnsafeBytes { Tensor.element(index, in: $0.baseAddress! + layout.data.lowerBound, dtype: layout.dtype) }
    }
}
