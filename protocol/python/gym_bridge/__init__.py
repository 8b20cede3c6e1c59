"""Serve Gymnasium environments over the envbridge ZeroMQ protocol (version 1.1), and step any envbridge
server from Python as a Gymnasium environment (`RemoteEnv`, `RemoteVectorEnv`)."""
from .codec import PROTOCOL_MAJOR, PROTOCOL_MINOR, ProtocolError, decode_request, decode_reply, tensor_from_array, array_from_tensor
from .server import EnvironmentServer
from .client import ConnectionLost, RemoteEnv, RemoteError, RemoteVectorEnv, ServerError, Session

__all__ = ["PROTOCOL_MAJOR", "PROTOCOL_MINOR", "ProtocolError", "decode_request", "decode_reply",
           "tensor_from_array", "array_from_tensor", "EnvironmentServer",
           "RemoteEnv", "RemoteVectorEnv", "Session", "RemoteError", "ConnectionLost", "ServerError"]
