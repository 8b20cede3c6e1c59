"""Serve Gymnasium environments over the envbridge ZeroMQ protocol (version 1.0)."""
from .codec import PROTOCOL_MAJOR, PROTOCOL_MINOR, ProtocolError, decode_request, decode_reply, tensor_from_array, array_from_tensor
from .server import EnvironmentServer

__all__ = ["PROTOCOL_MAJOR", "PROTOCOL_MINOR", "ProtocolError", "decode_request", "decode_reply",
           "tensor_from_array", "array_from_tensor", "EnvironmentServer"]
