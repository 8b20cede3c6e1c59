"""Maps envbridge protobuf messages to and from numpy, validating everything input can get wrong.

This module and the generated envbridge_pb2 are the only places that know the wire format.
"""

from __future__ import annotations

import struct

import numpy as np
from google.protobuf.message import DecodeError

from . import envbridge_pb2 as pb

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 1

_NUMPY_DTYPES: dict[int, np.dtype] = {pb.FLOAT32: np.dtype("<f4"), pb.FLOAT64: np.dtype("<f8")}


class ProtocolError(Exception):
    """A request the server must refuse: carries the protocol error code and a message for humans."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = 0  # the refused request's id, when it could be read


def dtype_code(dtype: np.typing.DTypeLike) -> int:
    """The protocol dtype of a numpy dtype (float32 or float64 only)."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return pb.FLOAT32
    if dtype == np.float64:
        return pb.FLOAT64
    raise ProtocolError(pb.WRONG_DTYPE, f"dtype {dtype} cannot travel; the protocol carries float32 and float64")


def tensor_from_array(array: np.typing.ArrayLike, dtype: np.typing.DTypeLike | None = None) -> pb.Tensor:
    """A Tensor holding `array` (cast to `dtype` if given) as raw little-endian bytes."""
    array = np.asarray(array)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    code = dtype_code(array.dtype)
    data = np.ascontiguousarray(array, dtype=_NUMPY_DTYPES[code]).tobytes()
    return pb.Tensor(dtype=code, shape=list(array.shape), data=data)


def array_from_tensor(tensor: pb.Tensor, name: str = "tensor", max_elements: int = 1 << 28) -> np.ndarray:
    """The numpy array of a Tensor; ProtocolError if its dtype, shape or byte length is wrong."""
    dtype = _NUMPY_DTYPES.get(tensor.dtype)
    if dtype is None:
        raise ProtocolError(
            pb.WRONG_DTYPE,
            f"{name} has dtype {_dtype_name(tensor.dtype)}; expected FLOAT32 or FLOAT64",
        )
    # Each read of a field of a parsed message builds a new Python object: read them once.
    shape = tuple(tensor.shape)
    count = 1
    for dim in shape:
        count *= dim
        if count > max_elements:
            raise ProtocolError(pb.WRONG_SHAPE, f"{name} shape {list(shape)} exceeds {max_elements} elements")
    data = tensor.data
    if len(data) != count * dtype.itemsize:
        raise ProtocolError(
            pb.WRONG_SHAPE,
            f"{name} of shape {list(shape)} and dtype {pb.DType.Name(tensor.dtype)} needs {count * dtype.itemsize} bytes, got {len(data)}",
        )
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _dtype_name(dtype: int) -> str:
    return pb.DType.Name(dtype) if dtype in pb.DType.values() else str(dtype)


def decode_request(frame: bytes) -> pb.Request:
    """A Request from one frame; ProtocolError(BAD_REQUEST) if the bytes are not a Request with a kind."""
    return decode_request_and_actions(frame)[0]


def decode_request_and_actions(frame: bytes) -> tuple[pb.Request, np.ndarray | None]:
    """`decode_request`, plus a step request's actions as a numpy array (None for other kinds), which
    the validation computes anyway."""
    request = pb.Request()
    try:
        request.ParseFromString(bytes(frame))
    except (DecodeError, RuntimeWarning, ValueError) as error:
        raise ProtocolError(pb.BAD_REQUEST, f"request of {len(frame)} bytes is not a valid envbridge Request: {error}") from error
    try:
        return _validated(request)
    except ProtocolError as error:
        error.request_id = request.request_id  # a refused request still echoes its id (spec §3)
        raise


def _validated(request: pb.Request) -> tuple[pb.Request, np.ndarray | None]:
    kind = request.WhichOneof("kind")
    if kind is None:
        raise ProtocolError(
            pb.BAD_REQUEST, "request has no message kind (handshake, reset, step or close); is the client speaking a newer protocol?"
        )
    # Tensors are checked here, once, so no handler ever sees one whose bytes disagree with its shape.
    if kind == "step":
        if not request.step.HasField("actions"):
            raise ProtocolError(pb.WRONG_SHAPE, "step request has no actions tensor")
        return request, array_from_tensor(request.step.actions, "actions")
    if kind == "reset":
        for state in request.reset.states:
            if len(state.shape) or len(state.data):
                array_from_tensor(state, "state")
    elif kind == "handshake" and request.handshake.observation_dtype not in (pb.DTYPE_UNSPECIFIED, pb.FLOAT32, pb.FLOAT64):
        raise ProtocolError(pb.WRONG_DTYPE, f"observation_dtype {request.handshake.observation_dtype} is not FLOAT32 or FLOAT64")
    return request, None


def decode_reply(frame: bytes) -> pb.Reply:
    """A Reply from one frame; ProtocolError(BAD_REQUEST) if undecodable or without a kind."""
    reply = pb.Reply()
    try:
        reply.ParseFromString(bytes(frame))
    except (DecodeError, RuntimeWarning, ValueError) as error:
        raise ProtocolError(pb.BAD_REQUEST, f"reply of {len(frame)} bytes is not a valid envbridge Reply: {error}") from error
    if reply.WhichOneof("kind") is None:
        raise ProtocolError(pb.BAD_REQUEST, "reply has no message kind")
    return reply


def error_reply(request_id: int, instance_id: str, code: int, message: str) -> bytes:
    """An encoded Error reply."""
    return pb.Reply(request_id=request_id, server_instance_id=instance_id, error=pb.Error(code=code, message=message)).SerializeToString()


# ---------------------------------------------------------------------- the step reply, by hand
#
# Every step answers with a Reply carrying a StepReply. Building it as protobuf objects costs several times
# more than writing its bytes directly (docs/performance.md). The bytes are exactly what protobuf's serializer
# writes (fields in number order, proto3 defaults left out, repeated scalars packed); tests compare the two on
# random replies. A session's
# StepReplyWriter (below) writes every step reply but those with failures, which are rare and are built
# as protobuf objects.


_ONE_BYTE = [bytes((value,)) for value in range(0x80)]

# Protobuf wire types, and the tags (field number << 3 | wire type, one byte for fields 1-15) of the fields
# written by hand below, named as in protocol/envbridge.proto.
_VARINT, _I64, _LEN = 0, 1, 2


def _tag(field, wire_type):
    return _ONE_BYTE[field << 3 | wire_type]


_TENSOR_DTYPE, _TENSOR_SHAPE, _TENSOR_DATA = _tag(1, _VARINT), _tag(2, _LEN), _tag(3, _LEN)
_REQUEST_ID = _tag(1, _VARINT)  # Request.request_id and Reply.request_id
_REPLY_SERVER_INSTANCE_ID, _REPLY_STEP = _tag(2, _LEN), _tag(12, _LEN)
_STEP_OBSERVATIONS, _STEP_REWARDS = _tag(1, _LEN), _tag(2, _LEN)
_STEP_TERMINATED, _STEP_TRUNCATED = _tag(3, _LEN), _tag(4, _LEN)
_STEP_FINAL_OBSERVATIONS, _STEP_INFOS, _STEP_SERVER_STEP_SECONDS = _tag(5, _LEN), _tag(7, _LEN), _tag(8, _I64)
_FINAL_INDEX, _FINAL_OBSERVATION = _tag(1, _VARINT), _tag(2, _LEN)
_INFO_VALUES = _tag(1, _LEN)  # one map entry of Info.values
_ENTRY_KEY, _ENTRY_VALUE = _tag(1, _LEN), _tag(2, _I64)


def _varint(value):
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag, payload):
    """A length-delimited field: its one-byte tag (fields 1-15), the length, the payload."""
    return tag + _varint(len(payload)) + payload


def _tensor_head(shape, dtype):
    """(the bytes of a Tensor message before its data: dtype, shape, and the data field's tag and length;
    the little-endian numpy dtype of the data; its byte count) for a float32 or float64 array of `shape`."""
    wire = _NUMPY_DTYPES[dtype_code(dtype)]
    data_bytes = wire.itemsize
    for dim in shape:
        data_bytes *= dim
    head = (
        _TENSOR_DTYPE
        + _varint(pb.FLOAT32 if wire.itemsize == 4 else pb.FLOAT64)
        + (_field(_TENSOR_SHAPE, b"".join(map(_varint, shape))) if shape else b"")
    )
    if data_bytes:
        head += _TENSOR_DATA + _varint(data_bytes)
    return head, wire, data_bytes


def _tensor(array):
    """A Tensor message's bytes for a float32 or float64 array (never DTYPE_UNSPECIFIED)."""
    head, wire, _ = _tensor_head(array.shape, array.dtype)
    return head + array.astype(wire, copy=False).tobytes()


_DOUBLE = struct.Struct("<d")


# ---------------------------------------------------------------------- a session's step messages, by template
#
# A session's step requests differ only in their request id and the actions' bytes, and its ordinary step
# replies (no final observations or failures) only in the request id, the values and the infos. So both are
# written and read against bytes computed once per session: reading a step request through protobuf and
# checking its tensor costs several times more than matching it against the session's template, and so does
# building a reply against joining it from pieces (docs/performance.md). Anything that does not match (another session, shape, dtype
# or layout) is decoded through protobuf as before; tests compare both ways on random messages.


def varint(value):
    """The base-128 varint bytes of a non-negative integer below 2**64."""
    if value < 0x80:
        return _ONE_BYTE[value]
    if value < 0x4000:
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    return _varint(value)


def read_varint(frame, position):
    """(value, position after it) of the varint at `position` of `frame`, or None when it is cut short or
    longer than ten bytes."""
    value = shift = 0
    end = min(len(frame), position + 10)
    while position < end:
        byte = frame[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (value, position) if value < 1 << 64 else None
        shift += 7
    return None


class StepRequestTemplate:
    """The bytes of a session's step requests for actions of one dtype and shape, but for the request id
    before them and the actions' data at their end: `Request{request_id, session_id, step{actions}}` is
    field 1 (left out for id 0), then these bytes, then the data."""

    __slots__ = ("prefix", "data_bytes", "dtype", "shape", "count")

    def __init__(self, session_id, dtype, shape):
        wire = _NUMPY_DTYPES[dtype_code(dtype)]
        self.dtype, self.shape = wire, tuple(shape)
        self.count = 1
        for dim in self.shape:
            self.count *= dim
        self.data_bytes = self.count * wire.itemsize
        # Serialized by protobuf with zero-filled data, which is then cut off: the canonical bytes.
        whole = pb.Request(
            session_id=session_id,
            step=pb.StepRequest(actions=pb.Tensor(dtype=dtype_code(wire), shape=list(self.shape), data=bytes(self.data_bytes))),
        ).SerializeToString()
        self.prefix = whole[: len(whole) - self.data_bytes]

    def match(self, frame):
        """(request id, actions array) of `frame` when it is a step request in this template, else None.
        The array is a read-only view of the frame's bytes."""
        position, request_id = 0, 0
        if frame[:1] == _REQUEST_ID:
            read = read_varint(frame, 1)
            if read is None:
                return None
            request_id, position = read
        prefix = self.prefix
        start = position + len(prefix)
        if len(frame) != start + self.data_bytes or not frame.startswith(prefix, position):
            return None
        return request_id, np.frombuffer(frame, self.dtype, self.count, start).reshape(self.shape)


class StepReplyWriter:
    """Writes a session's step replies without failures — `Reply{request_id, server_instance_id,
    step{observations, rewards, terminated, truncated, final_observations, infos, server_step_seconds}}`
    for observations of one shape and dtype — from bytes computed once: everything but the request id, the
    values, the final observations and the infos has the same length and bytes from step to step. Infos
    (which MuJoCo's environments report every step, with the same keys) are written entry by entry from a
    cache of each key's bytes; building them as protobuf objects had cost more than the rest of the reply."""

    __slots__ = (
        "dtype",
        "instance_field",
        "observations_head",
        "fixed_body",
        "rewards_head",
        "pack_rewards",
        "terminated_head",
        "truncated_head",
        "_keys",
    )

    def __init__(self, instance_id, shape, dtype):
        shape = tuple(shape)
        count = shape[0] if shape else 0
        tensor, self.dtype, data_bytes = _tensor_head(shape, dtype)
        self.instance_field = _field(_REPLY_SERVER_INSTANCE_ID, instance_id.encode()) if instance_id else b""
        self.observations_head = _STEP_OBSERVATIONS + _varint(len(tensor) + data_bytes) + tensor
        self.rewards_head = (_STEP_REWARDS + _varint(8 * count)) if count else b""
        self.pack_rewards = struct.Struct(f"<{count}d").pack
        self.terminated_head = (_STEP_TERMINATED + _varint(count)) if count else b""
        self.truncated_head = (_STEP_TRUNCATED + _varint(count)) if count else b""
        # The step time's field (tag and fixed64) counted in: it is left out only when the time is 0.
        self.fixed_body = (
            len(self.observations_head)
            + data_bytes
            + len(self.rewards_head)
            + 8 * count
            + len(self.terminated_head)
            + count
            + len(self.truncated_head)
            + count
            + 9
        )
        self._keys = {}

    def write(self, request_id, observations, rewards, terminated, truncated, seconds, infos=(), finals=()):
        """The reply's bytes; `observations` an array of the writer's shape (cast to its dtype here),
        `rewards` floats and `terminated`/`truncated` bools, one per environment; `infos` empty or one dict
        of str to float per environment; `finals` a list of (index, final observation array) in increasing
        index order; `seconds` the step time (left out when 0, as proto3 does)."""
        # An ordinary step (most of them) has neither finals nor infos and a nonzero time: it pays for neither.
        extra = (
            b"".join([self._final(index, observation) for index, observation in finals] + [self._info(values) for values in infos])
            if finals or infos
            else b""
        )
        if seconds != 0.0:
            seconds_tag, seconds_value, body = _STEP_SERVER_STEP_SECONDS, _DOUBLE.pack(seconds), self.fixed_body + len(extra)
        else:
            seconds_tag, seconds_value, body = b"", b"", self.fixed_body + len(extra) - 9
        return b"".join(
            (
                _REQUEST_ID + varint(request_id) if request_id else b"",
                self.instance_field,
                _REPLY_STEP,
                varint(body),
                self.observations_head,
                observations.astype(self.dtype, copy=False).tobytes(),
                self.rewards_head,
                self.pack_rewards(*rewards),
                self.terminated_head,
                bytes(terminated),
                self.truncated_head,
                bytes(truncated),
                extra,
                seconds_tag,
                seconds_value,
            )
        )

    @staticmethod
    def _final(index, observation):
        """Field 5: `FinalObservation{index, observation}`."""
        return _field(
            _STEP_FINAL_OBSERVATIONS, (_FINAL_INDEX + _varint(index) if index else b"") + _field(_FINAL_OBSERVATION, _tensor(observation))
        )

    def _info(self, values):
        """Field 7: one `Info{map<string, double> values = 1}`, each entry `{1: key, 2: value}`."""
        keys, parts = self._keys, []
        for key, value in values.items():
            head = keys.get(key)
            if head is None:
                if len(keys) >= 1024:  # an environment that makes up new keys must not grow the cache without bound
                    keys.clear()
                encoded = key.encode()
                entry = _ENTRY_KEY + _varint(len(encoded)) + encoded + _ENTRY_VALUE
                head = keys[key] = _INFO_VALUES + _varint(len(entry) + 8) + entry
            parts.append(head)
            parts.append(_DOUBLE.pack(value))
        info = b"".join(parts)
        return _STEP_INFOS + varint(len(info)) + info
