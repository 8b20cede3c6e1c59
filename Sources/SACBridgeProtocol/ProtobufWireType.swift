/// The protobuf wire types the step messages use (`ProtobufWriter`, `ProtobufReader`); a field of any other
/// type (fixed32, groups) is outside the canonical layout `StepMessageCodec` handles.
enum ProtobufWireType: UInt64 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2
}
