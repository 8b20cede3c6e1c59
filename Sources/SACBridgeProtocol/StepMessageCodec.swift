/// The two messages sent on every environment step — a `Request` carrying a `StepRequest` and a `Reply`
/// carrying a `StepReply` — written and read by hand, byte for byte as swift-protobuf writes them.
///
/// Why by hand: on a live connection, between two round trips, swift-protobuf's generic visitors run with
/// cold caches and took several microseconds per message on each side. This codec only writes flat
/// loops into one preallocated array and reads with bounds-checked indices.
///
/// It is a fast path, never the authority: `MessageCodec` uses it first and falls back to swift-protobuf
/// whenever it declines. It declines (returns nil) on anything but the canonical layout swift-protobuf
/// itself produces — fields out of order, repeated or unknown, unpacked repeated scalars, non-0/1 bools,
/// dtypes other than FLOAT32 and FLOAT64, invalid UTF-8, tensors whose bytes do not fit their shape, an
/// info's key given twice — and when a reply carries failures (rare), so every error message still comes
/// from the one generic path. It writes no infos (swift-protobuf orders map entries its own way; the Swift
/// environments report none) but reads them (gym_bridge sends MuJoCo's every step). Tests check it
/// against swift-protobuf on random messages and on mutated bytes.
enum StepMessageCodec {
    // Field numbers from protocol/envbridge.proto.
    private enum Field {
        static let requestID = 1, sessionOrInstanceID = 2, step = 12
        static let tensorDType = 1, tensorShape = 2, tensorData = 3
        static let stepRequestActions = 1
        static let replyObservations = 1, replyRewards = 2, replyTerminated = 3, replyTruncated = 4
        static let replyFinalObservations = 5, replyInfos = 7, replyServerStepSeconds = 8
        static let infoValues = 1, mapKey = 1, mapValue = 2
        static let finalIndex = 1, finalObservation = 2
    }

    // MARK: Writing

    /// A tensor's parts for writing, its bytes in place.
    struct TensorParts {
        let dtype: TensorDType
        let shape: [Int]
        let bytes: UnsafeRawBufferPointer
    }

    /// `body` given `tensor`'s parts, its bytes in place for the duration of the call.
    private static func withParts<R>(_ tensor: Tensor, _ body: (TensorParts) -> R) -> R {
        tensor.bytes.withUnsafeBytes { body(TensorParts(dtype: tensor.dtype, shape: tensor.shape, bytes: $0)) }
    }

    /// The wire bytes of `Request { request_id, session_id, step { actions } }`.
    static func encodeStepRequest(requestID: UInt64, sessionID: String, actions: Tensor) -> [UInt8] {
        var bytes: [UInt8] = []
        withParts(actions) { encodeStepRequest(requestID: requestID, sessionID: sessionID, actions: $0, into: &bytes) }
        return bytes
    }

    /// The wire bytes of `Request { request_id, session_id, step { actions } }` from the actions' parts in
    /// place, into `buffer` (replacing its contents, in its storage when the size is unchanged).
    static func encodeStepRequest(requestID: UInt64, sessionID: String, actions: TensorParts, into buffer: inout [UInt8]) {
        let body = tensorFieldSize(Field.stepRequestActions, actions)
        let size = idFieldsSize(requestID, sessionID.utf8.count) + ProtobufWriter.lengthDelimitedSize(field: Field.step, length: body)
        ProtobufWriter.write(size: size, into: &buffer) { writer in
            writeIDFields(&writer, requestID, sessionID)
            writer.lengthDelimitedHeader(Field.step, length: body)
            writeTensorField(&writer, Field.stepRequestActions, actions)
        }
    }

    /// The wire bytes of `Reply { request_id, server_instance_id, step { … } }`, or nil when the step has
    /// failures or infos (left to swift-protobuf).
    static func encodeStepReply(requestID: UInt64, serverInstanceID: String, step: BridgeReply.Step) -> [UInt8]? {
        guard step.failures.isEmpty, step.infos.isEmpty else { return nil }
        // Sorted only when there are any: building the sorted pairs looks up their generic type at run
        // time, even for none.
        let finals = step.finalObservations.isEmpty ? [] : step.finalObservations.sorted { $0.key < $1.key }
        return withParts(step.observations) { observations in
            step.rewards.withUnsafeBufferPointer { rewards in
                step.terminated.withUnsafeBufferPointer { terminated in
                    step.truncated.withUnsafeBufferPointer { truncated in
                        encodeStepReply(
                            requestID: requestID, serverInstanceID: serverInstanceID, observations: observations, rewards: rewards,
                            terminated: terminated, truncated: truncated, finals: finals, serverStepSeconds: step.serverStepSeconds)
                    }
                }
            }
        }
    }

    /// The wire bytes of a step reply from its parts in place; `finals` sorted by index.
    static func encodeStepReply(
        requestID: UInt64, serverInstanceID: String, observations: TensorParts, rewards: UnsafeBufferPointer<Double>,
        terminated: UnsafeBufferPointer<Bool>, truncated: UnsafeBufferPointer<Bool>, finals: [(key: Int, value: Tensor)] = [],
        serverStepSeconds: Double
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        encodeStepReply(
            requestID: requestID, serverInstanceID: serverInstanceID, observations: observations, rewards: rewards,
            terminated: terminated, truncated: truncated, finals: finals, serverStepSeconds: serverStepSeconds, into: &bytes)
        return bytes
    }

    /// The wire bytes of a step reply from its parts in place into `buffer` (replacing its contents, in
    /// its storage when the size is unchanged); `finals` sorted by index.
    static func encodeStepReply(
        requestID: UInt64, serverInstanceID: String, observations: TensorParts, rewards: UnsafeBufferPointer<Double>,
        terminated: UnsafeBufferPointer<Bool>, truncated: UnsafeBufferPointer<Bool>, finals: [(key: Int, value: Tensor)] = [],
        serverStepSeconds: Double, into buffer: inout [UInt8]
    ) {
        var body = tensorFieldSize(Field.replyObservations, observations)
        if !rewards.isEmpty { body += ProtobufWriter.lengthDelimitedSize(field: Field.replyRewards, length: 8 * rewards.count) }
        if !terminated.isEmpty { body += ProtobufWriter.lengthDelimitedSize(field: Field.replyTerminated, length: terminated.count) }
        if !truncated.isEmpty { body += ProtobufWriter.lengthDelimitedSize(field: Field.replyTruncated, length: truncated.count) }
        for (index, observation) in finals {
            body += ProtobufWriter.lengthDelimitedSize(
                field: Field.replyFinalObservations, length: finalObservationSize(index, observation))
        }
        if serverStepSeconds.bitPattern != 0 { body += 1 + 8 }
        let size =
            idFieldsSize(requestID, serverInstanceID.utf8.count) + ProtobufWriter.lengthDelimitedSize(field: Field.step, length: body)
        ProtobufWriter.write(size: size, into: &buffer) { writer in
            writeIDFields(&writer, requestID, serverInstanceID)
            writer.lengthDelimitedHeader(Field.step, length: body)
            writeTensorField(&writer, Field.replyObservations, observations)
            if !rewards.isEmpty {
                writer.lengthDelimitedHeader(Field.replyRewards, length: 8 * rewards.count)
                for reward in rewards { writer.fixed64(reward.bitPattern) }
            }
            writeFlags(&writer, Field.replyTerminated, terminated)
            writeFlags(&writer, Field.replyTruncated, truncated)
            for (index, observation) in finals {
                writer.lengthDelimitedHeader(Field.replyFinalObservations, length: finalObservationSize(index, observation))
                if index != 0 {
                    writer.tag(Field.finalIndex, .varint)
                    writer.varint(UInt64(UInt32(index)))
                }
                withParts(observation) { writeTensorField(&writer, Field.finalObservation, $0) }
            }
            if serverStepSeconds.bitPattern != 0 {
                writer.tag(Field.replyServerStepSeconds, .fixed64)
                writer.fixed64(serverStepSeconds.bitPattern)
            }
        }
    }

    /// Fields 1 and 2, each left out at its default as proto3 does.
    private static func idFieldsSize(_ id: UInt64, _ stringBytes: Int) -> Int {
        (id == 0 ? 0 : 1 + ProtobufWriter.varintSize(id))
            + (stringBytes == 0 ? 0 : ProtobufWriter.lengthDelimitedSize(field: Field.sessionOrInstanceID, length: stringBytes))
    }

    private static func writeIDFields(_ writer: inout ProtobufWriter, _ id: UInt64, _ string: String) {
        if id != 0 {
            writer.tag(Field.requestID, .varint)
            writer.varint(id)
        }
        if !string.isEmpty {
            // The string's UTF-8 bytes at once (a short id is copied to the stack, not allocated).
            var string = string
            string.withUTF8 { utf8 in
                writer.lengthDelimitedHeader(Field.sessionOrInstanceID, length: utf8.count)
                writer.append(utf8)
            }
        }
    }

    /// A packed `repeated bool`, left out when empty.
    private static func writeFlags(_ writer: inout ProtobufWriter, _ field: Int, _ flags: UnsafeBufferPointer<Bool>) {
        guard !flags.isEmpty else { return }
        writer.lengthDelimitedHeader(field, length: flags.count)
        for flag in flags { writer.varint(flag ? 1 : 0) }
    }

    private static func shapeBytes(_ shape: [Int]) -> Int {
        shape.reduce(0) { $0 + ProtobufWriter.varintSize(UInt64($1)) }
    }

    /// Bytes of a `Tensor` message's payload: dtype (never unspecified here), packed shape, data.
    private static func tensorSize(_ tensor: TensorParts) -> Int {
        let shape = shapeBytes(tensor.shape)
        return 2
            + (shape == 0 ? 0 : ProtobufWriter.lengthDelimitedSize(field: Field.tensorShape, length: shape))
            + (tensor.bytes.isEmpty ? 0 : ProtobufWriter.lengthDelimitedSize(field: Field.tensorData, length: tensor.bytes.count))
    }

    private static func tensorFieldSize(_ field: Int, _ tensor: TensorParts) -> Int {
        ProtobufWriter.lengthDelimitedSize(field: field, length: tensorSize(tensor))
    }

    private static func writeTensorField(_ writer: inout ProtobufWriter, _ field: Int, _ tensor: TensorParts) {
        writer.lengthDelimitedHeader(field, length: tensorSize(tensor))
        writer.tag(Field.tensorDType, .varint)
        writer.varint(tensor.dtype == .float32 ? 1 : 2)
        let shape = shapeBytes(tensor.shape)
        if shape != 0 {
            writer.lengthDelimitedHeader(Field.tensorShape, length: shape)
            for dimension in tensor.shape { writer.varint(UInt64(dimension)) }
        }
        if !tensor.bytes.isEmpty {
            writer.lengthDelimitedHeader(Field.tensorData, length: tensor.bytes.count)
            writer.append(tensor.bytes)
        }
    }

    private static func finalObservationSize(_ index: Int, _ observation: Tensor) -> Int {
        let size = withParts(observation) { tensorFieldSize(Field.finalObservation, $0) }
        return (index == 0 ? 0 : 1 + ProtobufWriter.varintSize(UInt64(UInt32(index)))) + size
    }

    // MARK: Reading

    /// The step request in `bytes`, or nil when they are anything but a canonical step request.
    static func decodeStepRequest(_ bytes: [UInt8]) -> BridgeRequest? {
        guard let view = viewStepRequest(bytes) else { return nil }
        return BridgeRequest(requestID: view.requestID, sessionID: view.sessionID, kind: .step(actions: view.actions))
    }

    /// The step request in `bytes` read in place, or nil when they are anything but a canonical step request.
    static func viewStepRequest(_ frame: [UInt8]) -> StepRequestView? {
        frame.withUnsafeBufferPointer { bytes in
            var reader = ProtobufReader(bytes)
            guard let (id, sessionID, body) = readIDFieldsAndStep(&reader), reader.isAtEnd else { return nil }
            var message = ProtobufReader(bytes, range: body)
            guard message.key() == .init(field: Field.stepRequestActions, wireType: .lengthDelimited),
                let range = message.lengthDelimited(),
                message.isAtEnd, let actions = readTensorLayout(bytes, range)
            else { return nil }
            return StepRequestView(requestID: id, sessionID: sessionID, frame: frame, actions: actions)
        }
    }

    /// The step reply in `bytes`, or nil when they are anything but a canonical step reply without
    /// failures.
    static func decodeStepReply(_ bytes: [UInt8]) -> BridgeReply? {
        guard let view = viewStepReply(bytes) else { return nil }
        return BridgeReply(requestID: view.requestID, serverInstanceID: view.serverInstanceID, kind: .step(view.step))
    }

    /// The step reply in `bytes` read in place, or nil when they are anything but a canonical step reply
    /// without failures.
    static func viewStepReply(_ frame: [UInt8]) -> StepReplyView? {
        frame.withUnsafeBufferPointer { viewStepReply(frame, $0) }
    }

    /// `viewStepReply(_:)` reading `bytes`, the pinned storage of `frame`.
    private static func viewStepReply(_ frame: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> StepReplyView? {
        var reader = ProtobufReader(bytes)
        guard let (id, instanceID, body) = readIDFieldsAndStep(&reader), reader.isAtEnd else { return nil }
        var message = ProtobufReader(bytes, range: body)
        var observations: TensorLayout?
        let none = body.upperBound..<body.upperBound
        var rewards = none, terminated = none, truncated = none
        var finals: [(index: Int, observation: TensorLayout)] = []
        var infos: [[String: Double]] = []
        var seconds = 0.0
        var lastField = 0
        while !message.isAtEnd {
            guard let key = message.key(),
                key.field > lastField
                    || (key.field == lastField && (key.field == Field.replyFinalObservations || key.field == Field.replyInfos))
            else { return nil }
            lastField = key.field
            switch (key.field, key.wireType) {
            case (Field.replyObservations, .lengthDelimited):
                guard let range = message.lengthDelimited(), let layout = readTensorLayout(bytes, range) else { return nil }
                observations = layout
            case (Field.replyRewards, .lengthDelimited):
                guard let range = message.lengthDelimited(), range.count % 8 == 0 else { return nil }
                rewards = range
            case (Field.replyTerminated, .lengthDelimited), (Field.replyTruncated, .lengthDelimited):
                guard let range = message.lengthDelimited(), UnsafeBufferPointer(rebasing: bytes[range]).allSatisfy({ $0 <= 1 }) else {
                    return nil
                }
                if key.field == Field.replyTerminated { terminated = range } else { truncated = range }
            case (Field.replyFinalObservations, .lengthDelimited):
                // Indices strictly increasing, as every encoder here and in gym_bridge writes them; a repeated
                // index (the last one wins in protobuf) is left to swift-protobuf.
                guard let range = message.lengthDelimited(), let final = readFinalObservation(bytes, range),
                    finals.last.map({ $0.index < final.index }) ?? true
                else { return nil }
                finals.append(final)
            case (Field.replyInfos, .lengthDelimited):
                guard let range = message.lengthDelimited(), let info = readInfo(bytes, range) else { return nil }
                infos.append(info)
            case (Field.replyServerStepSeconds, .fixed64):
                guard let bits = message.fixed64() else { return nil }
                seconds = Double(bitPattern: bits)
            default:
                return nil
            }
        }
        guard let observations else { return nil }
        return StepReplyView(
            requestID: id, serverInstanceID: instanceID, serverStepSeconds: seconds, frame: frame, observations: observations,
            rewards: rewards, terminated: terminated, truncated: truncated, finals: finals, infos: infos)
    }

    /// An `Info { map<string, double> values = 1 }`: each entry `{1: key, 2: value}` with its key first,
    /// either left out at its default as protobuf may; nil for anything else, and for a key given twice
    /// (protobuf keeps the last), which swift-protobuf then reads.
    private static func readInfo(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [String: Double]? {
        var reader = ProtobufReader(bytes, range: range), values: [String: Double] = [:]
        while !reader.isAtEnd {
            guard reader.key() == .init(field: Field.infoValues, wireType: .lengthDelimited), let entry = reader.lengthDelimited() else {
                return nil
            }
            var fields = ProtobufReader(bytes, range: entry)
            var key = "", value = 0.0
            var next = fields.isAtEnd ? nil : fields.key()
            if next == .init(field: Field.mapKey, wireType: .lengthDelimited) {
                guard let text = fields.lengthDelimited(), let string = utf8String(bytes, text) else { return nil }
                key = string
                next = fields.isAtEnd ? nil : fields.key()
            }
            if next == .init(field: Field.mapValue, wireType: .fixed64) {
                guard let bits = fields.fixed64() else { return nil }
                value = Double(bitPattern: bits)
                next = nil
            }
            guard next == nil, fields.isAtEnd, values.updateValue(value, forKey: key) == nil else { return nil }
        }
        return values
    }

    /// Fields 1 (varint) and 2 (string), each optional, then field 12 (the step body) last.
    private static func readIDFieldsAndStep(_ reader: inout ProtobufReader) -> (UInt64, String, Range<Int>)? {
        var id: UInt64 = 0
        var string = ""
        guard var key = reader.key() else { return nil }
        if key == .init(field: Field.requestID, wireType: .varint) {
            guard let value = reader.varint(), let next = reader.key() else { return nil }
            id = value
            key = next
        }
        if key == .init(field: Field.sessionOrInstanceID, wireType: .lengthDelimited) {
            guard let range = reader.lengthDelimited(), let text = utf8String(reader.bytes, range), let next = reader.key() else {
                return nil
            }
            string = text
            key = next
        }
        guard key == .init(field: Field.step, wireType: .lengthDelimited), let body = reader.lengthDelimited() else { return nil }
        return (id, string, body)
    }

    /// The string in `bytes[range]`, or nil when they are not valid UTF-8. Ids are ASCII, read without
    /// `String(validating:)`, whose generic validation looked up type metadata at run time: a tenth of the
    /// server's handling of a step request. (Comparing an id in place instead of making it a string cost
    /// as much: a small string's bytes are copied out to be compared.)
    private static func utf8String(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        let text = UnsafeBufferPointer(rebasing: bytes[range])
        return text.allSatisfy({ $0 < 0x80 }) ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
    }

    /// Where the parts of a canonical `Tensor` message lie in its frame.
    struct TensorLayout {
        let dtype: TensorDType
        /// The packed shape's varints (empty for a scalar).
        let shape: Range<Int>
        /// The elements' bytes.
        let data: Range<Int>

        /// The dimensions (checked by ``readTensorLayout(_:_:)``).
        func dimensions(in bytes: [UInt8]) -> [Int] {
            // At most one dimension per byte: one allocation.
            bytes.withUnsafeBufferPointer { bytes in
                var reader = ProtobufReader(bytes, range: shape), dimensions: [Int] = []
                dimensions.reserveCapacity(shape.count)
                while let dimension = reader.varint() { dimensions.append(Int(dimension)) }
                return dimensions
            }
        }

        /// Whether the dimensions are `expected`, compared in place.
        func hasDimensions(_ expected: [Int], in bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBufferPointer { bytes in
                var reader = ProtobufReader(bytes, range: shape)
                for dimension in expected {
                    guard let read = reader.varint(), read == UInt64(dimension) else { return false }
                }
                return reader.isAtEnd
            }
        }

        /// The tensor itself, a copy of its bytes.
        func tensor(in bytes: [UInt8]) -> Tensor {
            Tensor(checkedDType: dtype, shape: dimensions(in: bytes), bytes: Array(bytes[data]))
        }
    }

    /// A `Tensor` message of dtype FLOAT32 or FLOAT64 whose data fits its shape, read in place.
    static func readTensorLayout(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> TensorLayout? {
        var reader = ProtobufReader(bytes, range: range)
        guard reader.key() == .init(field: Field.tensorDType, wireType: .varint), let code = reader.varint(),
            let dtype: TensorDType = code == 1 ? .float32 : code == 2 ? .float64 : nil
        else { return nil }
        var shape = range.upperBound..<range.upperBound, data = range.upperBound..<range.upperBound
        var lastField = Field.tensorDType
        while !reader.isAtEnd {
            guard let key = reader.key(), key.field > lastField, key.wireType == .lengthDelimited, let payload = reader.lengthDelimited()
            else { return nil }
            lastField = key.field
            switch key.field {
            case Field.tensorShape: shape = payload
            case Field.tensorData: data = payload
            default: return nil
            }
        }
        // The element count as Tensor.elementCount computes it, without building the shape.
        var count = 1
        var dimensions = ProtobufReader(bytes, range: shape)
        while !dimensions.isAtEnd {
            guard let dimension = dimensions.varint(), dimension <= UInt64(Int32.max) else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dimension))
            guard !overflow, product <= 1 << 40 else { return nil }
            count = product
        }
        guard count * dtype.size == data.count else { return nil }
        return TensorLayout(dtype: dtype, shape: shape, data: data)
    }

    private static func readFinalObservation(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (
        index: Int, observation: TensorLayout
    )? {
        var reader = ProtobufReader(bytes, range: range)
        var index: UInt64 = 0
        guard var key = reader.key() else { return nil }
        if key == .init(field: Field.finalIndex, wireType: .varint) {
            guard let value = reader.varint(), value <= UInt64(UInt32.max), let next = reader.key() else { return nil }
            index = value
            key = next
        }
        guard key == .init(field: Field.finalObservation, wireType: .lengthDelimited), let payload = reader.lengthDelimited(),
            reader.isAtEnd,
            let observation = readTensorLayout(bytes, payload)
        else { return nil }
        return (Int(index), observation)
    }
}
