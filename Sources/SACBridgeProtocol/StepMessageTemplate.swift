#if canImport(Glibc)
import Glibc
#endif

/// The bytes that every step message of one session shares: a session's step requests differ only in their
/// request id and the actions' data, its ordinary step replies only in the request id and the values. A
/// template holds one such message encoded with request id 0 (so without field 1) and where its values lie;
/// a frame is one of its messages when, after a request id field, it has the template's length and the
/// template's bytes everywhere but in those places. Matching is a few `memcmp`s instead of reading the
/// message field by field; writing one is a copy of the template and of the values (docs/performance.md).
struct StepMessageTemplate: Sendable {
    /// The message after field 1, its values zeroed.
    let bytes: [UInt8]
    /// Where its values lie in `bytes`, in increasing order and disjoint.
    let values: [Range<Int>]
    /// Where its flags (0 or 1 each) lie in `bytes`.
    let flags: [Range<Int>]

    /// One of the template's messages, with request id `requestID`, into `buffer` (replacing its contents,
    /// in its storage when the size is unchanged): the id, the template's bytes, then `values` writes the
    /// values into their places, given the message after the id.
    func write(requestID: UInt64, into buffer: inout [UInt8], values: (UnsafeMutablePointer<UInt8>) -> Void) {
        let idSize = requestID == 0 ? 0 : 1 + ProtobufWriter.varintSize(requestID)
        ProtobufWriter.write(size: idSize + bytes.count, into: &buffer) { writer in
            if requestID != 0 {
                writer.tag(1, .varint)
                writer.varint(requestID)
            }
            bytes.withUnsafeBytes { writer.append($0) }
        }
        buffer.withUnsafeMutableBufferPointer { values($0.baseAddress! + idSize) }
    }

    /// Where the message starts after its request id, and that id, when `frame` is one of the template's
    /// messages.
    func match(_ frame: [UInt8]) -> (requestID: UInt64, offset: Int)? {
        frame.withUnsafeBufferPointer { frame in
            var reader = ProtobufReader(frame)
            var id: UInt64 = 0, offset = 0
            if frame.first == 0x08 {
                _ = reader.key()
                guard let value = reader.varint() else { return nil }
                (id, offset) = (value, reader.position)
            }
            guard frame.count - offset == bytes.count else { return nil }
            return bytes.withUnsafeBufferPointer { template -> (UInt64, Int)? in
                let frame = frame.baseAddress! + offset, template = template.baseAddress!
                // The constant stretches: before each value, and after the last.
                var start = 0
                for value in values {
                    if memcmp(frame + start, template + start, value.lowerBound - start) != 0 { return nil }
                    start = value.upperBound
                }
                if memcmp(frame + start, template + start, bytes.count - start) != 0 { return nil }
                for range in flags {
                    for i in range where frame[i] > 1 { return nil }
                }
                return (id, offset)
            }
        }
    }
}

extension Range<Int> {
    /// The range moved `offset` elements on.
    func shifted(by offset: Int) -> Range<Int> { (lowerBound + offset)..<(upperBound + offset) }
}
