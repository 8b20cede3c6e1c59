"""Serve Gymnasium environments over the envbridge ZeroMQ protocol (version 1.1), step any envbridge
server from Python as a Gymnasium environment (`RemoteEnv`, `RemoteVectorEnv`), and run a policy trained
by SwiftSAC with NumPy alone (`gym_bridge.policy.load`).

The names below are imported on first use, so `gym_bridge.policy` needs only NumPy: a machine that runs a
trained policy needs neither ZeroMQ, protobuf nor Gymnasium.
"""

import importlib

_EXPORTS = {
    "PROTOCOL_MAJOR": "codec",
    "PROTOCOL_MINOR": "codec",
    "ProtocolError": "codec",
    "decode_request": "codec",
    "decode_reply": "codec",
    "tensor_from_array": "codec",
    "array_from_tensor": "codec",
    "EnvironmentServer": "server",
    "ConnectionLost": "client",
    "RemoteEnv": "client",
    "RemoteError": "client",
    "RemoteVectorEnv": "client",
    "ServerError": "client",
    "Session": "client",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gym_bridge' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
