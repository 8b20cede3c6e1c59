"""The Python codec against protocol/vectors: every valid vector decodes to its manifest view, every
invalid one is refused with its error code, and the server answers the refused ones as specified."""

import json
from pathlib import Path

import pytest
import views

from gym_bridge import EnvironmentServer, ProtocolError, decode_reply, decode_request
from gym_bridge import envbridge_pb2 as pb

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())["vectors"]


def test_manifest_covers_every_kind_and_error():
    kinds = {(v["message"], v["decoded"]["kind"]) for v in MANIFEST if "decoded" in v}
    assert kinds >= {("request", k) for k in ("handshake", "reset", "step", "close")}
    assert kinds >= {("reply", k) for k in ("handshake", "reset", "step", "close", "error")}
    codes = {v.get("decode_error") or v.get("server_error") for v in MANIFEST} - {None}
    assert codes >= {"BAD_REQUEST", "WRONG_SHAPE", "WRONG_DTYPE", "NON_FINITE_ACTION", "UNSUPPORTED_VERSION", "UNKNOWN_SESSION"}


@pytest.mark.parametrize("vector", MANIFEST, ids=[v["name"] for v in MANIFEST])
def test_vector_decodes_as_specified(vector):
    data = (VECTORS / vector["file"]).read_bytes()
    decode = decode_request if vector["message"] == "request" else decode_reply
    view = views.request if vector["message"] == "request" else views.reply
    if "decode_error" in vector:
        with pytest.raises(ProtocolError) as error:
            decode(data)
        assert pb.ErrorCode.Name(error.value.code) == vector["decode_error"]
    else:
        assert view(decode(data)) == vector["decoded"]


def _session(server):
    reply = pb.Reply()
    reply.ParseFromString(server.handle(pb.Request(request_id=100, handshake=pb.HandshakeRequest(protocol_major=1)).SerializeToString()))
    session = reply.handshake.session_id
    reply.ParseFromString(server.handle(pb.Request(request_id=101, session_id=session, reset=pb.ResetRequest()).SerializeToString()))
    assert reply.WhichOneof("kind") == "reset"
    return session


@pytest.mark.parametrize("vector", [v for v in MANIFEST if v["message"] == "request"], ids=lambda v: v["name"])
def test_server_answers_every_request_vector(vector):
    server = EnvironmentServer("Pendulum-v1")
    session = _session(server)
    request = pb.Request()
    data = (VECTORS / vector["file"]).read_bytes()
    if "decode_error" not in vector:
        request.ParseFromString(data)
        if request.session_id == "SESSION":
            request.session_id = session
        data = request.SerializeToString()
    reply = pb.Reply()
    reply.ParseFromString(server.handle(data))
    assert reply.request_id == vector["reply_request_id"], "a reply echoes the id of any request that parses"
    expected = vector.get("decode_error") or vector.get("server_error")
    if expected:
        assert reply.WhichOneof("kind") == "error" and pb.ErrorCode.Name(reply.error.code) == expected, reply
        assert reply.error.message
    else:
        assert reply.WhichOneof("kind") == vector["decoded"]["kind"], reply
