#!/usr/bin/env python3
"""Writes the envbridge v1.1 conformance vectors: encoded messages (*.bin) and manifest.json.

Each manifest entry names a file, says whether it is a request or a reply, and what a conforming codec
must make of it: `decoded` (a canonical JSON view of the message) or `decode_error` (the ErrorCode a
server replies with). Request vectors that decode but must be refused by a server name that code in
`server_error`; they carry the placeholder session id "SESSION", which a test replaces with a live one
after a handshake and a reset. Run from this folder:  python3 generate_vectors.py
"""
import json
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from gym_bridge import envbridge_pb2 as pb  # noqa: E402

here = Path(__file__).parent
entries = []


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


def f64(*values):
    return struct.pack("<%dd" % len(values), *values)


def tensor(dtype, shape, data):
    return pb.Tensor(dtype=dtype, shape=shape, data=data)


def add(name, message_type, payload, **expect):
    data = payload if isinstance(payload, bytes) else payload.SerializeToString()
    (here / f"{name}.bin").write_bytes(data)
    if message_type == "request":
        # The id a server's reply echoes: the request's, whenever the frame parses as a Request at all.
        try:
            expect["reply_request_id"] = pb.Request.FromString(data).request_id
        except Exception:
            expect["reply_request_id"] = 0
    entries.append(dict(name=name, file=f"{name}.bin", message=message_type, **expect))


def t(dtype, shape, values):
    return dict(dtype=dtype, shape=shape, values=values)


INF = "inf"

# ---- valid requests
add("request_handshake", "request",
    pb.Request(request_id=1, handshake=pb.HandshakeRequest(protocol_major=1, protocol_minor=0, client_name="vectors",
                                                           observation_dtype=pb.FLOAT32)),
    decoded=dict(kind="handshake", request_id=1, session_id="", protocol_major=1, protocol_minor=0,
                 client_name="vectors", observation_dtype="float32"))
add("request_reset_seeds", "request",
    pb.Request(request_id=2, session_id="SESSION", reset=pb.ResetRequest(seeds=[pb.Seed(present=True, value=0), pb.Seed(present=False)])),
    decoded=dict(kind="reset", request_id=2, session_id="SESSION", seeds=[0, None], states=[]),
    server_error="WRONG_SHAPE")   # two seeds for a one-environment session
add("request_reset_state", "request",
    pb.Request(request_id=3, session_id="SESSION", reset=pb.ResetRequest(states=[tensor(pb.FLOAT64, [2], f64(0.5, -1.25))])),
    decoded=dict(kind="reset", request_id=3, session_id="SESSION", seeds=[], states=[t("float64", [2], [0.5, -1.25])]))
add("request_handshake_nonce", "request",          # 1.1: a retry-safe handshake
    pb.Request(request_id=21, handshake=pb.HandshakeRequest(protocol_major=1, protocol_minor=1, client_name="vectors", client_nonce="9f2c")),
    decoded=dict(kind="handshake", request_id=21, session_id="", protocol_major=1, protocol_minor=1, client_name="vectors",
                 observation_dtype=None, client_nonce="9f2c"))
add("request_reset_indices", "request",          # 1.1: reset environment 0 alone, with seed 5
    pb.Request(request_id=17, session_id="SESSION", reset=pb.ResetRequest(seeds=[pb.Seed(present=True, value=5)], env_indices=[0])),
    decoded=dict(kind="reset", request_id=17, session_id="SESSION", seeds=[5], states=[], env_indices=[0]))
add("request_reset_own_state", "request",          # the one empty tensor: "the environment's own reset" (section 5)
    pb.Request(request_id=22, session_id="SESSION", reset=pb.ResetRequest(states=[pb.Tensor()])),
    decoded=dict(kind="reset", request_id=22, session_id="SESSION", seeds=[], states=[None]))
add("request_step_float32", "request",
    pb.Request(request_id=4, session_id="SESSION", step=pb.StepRequest(actions=tensor(pb.FLOAT32, [1, 1], f32(1.5)))),
    decoded=dict(kind="step", request_id=4, session_id="SESSION", actions=t("float32", [1, 1], [1.5])))
add("request_step_float64", "request",
    pb.Request(request_id=5, session_id="SESSION", step=pb.StepRequest(actions=tensor(pb.FLOAT64, [1, 1], f64(-0.25)))),
    decoded=dict(kind="step", request_id=5, session_id="SESSION", actions=t("float64", [1, 1], [-0.25])))
add("request_close", "request", pb.Request(request_id=6, session_id="SESSION", close=pb.CloseRequest()),
    decoded=dict(kind="close", request_id=6, session_id="SESSION"))

# ---- requests that decode but a server refuses
add("request_handshake_major_2", "request",
    pb.Request(request_id=7, handshake=pb.HandshakeRequest(protocol_major=2, protocol_minor=1)),
    decoded=dict(kind="handshake", request_id=7, session_id="", protocol_major=2, protocol_minor=1, client_name="", observation_dtype=None),
    server_error="UNSUPPORTED_VERSION")
add("request_step_nan", "request",
    pb.Request(request_id=8, session_id="SESSION", step=pb.StepRequest(actions=tensor(pb.FLOAT32, [1, 1], f32(float("nan"))))),
    decoded=dict(kind="step", request_id=8, session_id="SESSION", actions=t("float32", [1, 1], ["nan"])),
    server_error="NON_FINITE_ACTION")
add("request_step_wrong_shape", "request",
    pb.Request(request_id=9, session_id="SESSION", step=pb.StepRequest(actions=tensor(pb.FLOAT32, [1, 2], f32(0.0, 0.0)))),
    decoded=dict(kind="step", request_id=9, session_id="SESSION", actions=t("float32", [1, 2], [0.0, 0.0])),
    server_error="WRONG_SHAPE")
add("request_reset_index_out_of_range", "request",   # the servers under test step one environment
    pb.Request(request_id=18, session_id="SESSION", reset=pb.ResetRequest(env_indices=[1])),
    decoded=dict(kind="reset", request_id=18, session_id="SESSION", seeds=[], states=[], env_indices=[1]),
    server_error="BAD_REQUEST")
add("request_reset_indices_repeated", "request",
    pb.Request(request_id=19, session_id="SESSION", reset=pb.ResetRequest(env_indices=[0, 0])),
    decoded=dict(kind="reset", request_id=19, session_id="SESSION", seeds=[], states=[], env_indices=[0, 0]),
    server_error="BAD_REQUEST")
add("request_reset_indices_seed_count", "request",
    pb.Request(request_id=20, session_id="SESSION", reset=pb.ResetRequest(seeds=[pb.Seed(present=True, value=1)] * 2, env_indices=[0])),
    decoded=dict(kind="reset", request_id=20, session_id="SESSION", seeds=[1, 1], states=[], env_indices=[0]),
    server_error="WRONG_SHAPE")
add("request_unknown_session", "request",
    pb.Request(request_id=10, session_id="no-such-session", reset=pb.ResetRequest()),
    decoded=dict(kind="reset", request_id=10, session_id="no-such-session", seeds=[], states=[]),
    server_error="UNKNOWN_SESSION")

# ---- requests no codec may accept
add("invalid_garbage", "request", bytes([0xFF] * 24), decode_error="BAD_REQUEST")
add("invalid_truncated", "request",
    pb.Request(request_id=11, session_id="SESSION", step=pb.StepRequest(actions=tensor(pb.FLOAT32, [1, 1], f32(0.5)))).SerializeToString()[:-3],
    decode_error="BAD_REQUEST")
add("invalid_no_kind", "request", pb.Request(request_id=12, session_id="SESSION"), decode_error="BAD_REQUEST")
add("invalid_unknown_kind", "request", pb.Request(request_id=13).SerializeToString() + bytes([0xA2, 0x06, 0x00]),  # field 100, empty
    decode_error="BAD_REQUEST")
add("invalid_tensor_length", "request",
    pb.Request(request_id=14, session_id="SESSION", step=pb.StepRequest(actions=tensor(pb.FLOAT32, [1, 1], f32(0.5, 0.5)))),
    decode_error="WRONG_SHAPE")
add("invalid_tensor_dtype", "request",
    pb.Request(request_id=15, session_id="SESSION", step=pb.StepRequest(actions=tensor(pb.DTYPE_UNSPECIFIED, [1, 1], f32(0.5)))),
    decode_error="WRONG_DTYPE")
add("invalid_state_dtype", "request",            # a state with a shape must have a dtype
    pb.Request(request_id=23, session_id="SESSION", reset=pb.ResetRequest(states=[tensor(pb.DTYPE_UNSPECIFIED, [1], f32(0.5))])),
    decode_error="WRONG_DTYPE")
add("invalid_huge_shape", "request",
    pb.Request(request_id=16, session_id="SESSION", step=pb.StepRequest(actions=tensor(pb.FLOAT32, [1 << 31, 1 << 31], f32(0.5)))),
    decode_error="WRONG_SHAPE")

# ---- valid replies
box = lambda dtype, pack, low, high: pb.Box(low=tensor(dtype, [len(low)], pack(*low)), high=tensor(dtype, [len(high)], pack(*high)))
add("reply_handshake", "reply",
    pb.Reply(request_id=1, server_instance_id="inst", handshake=pb.HandshakeReply(
        protocol_major=1, protocol_minor=0, environment_id="HalfCheetah-v5",
        observation_space=box(pb.FLOAT64, f64, [float("-inf")] * 2, [float("inf")] * 2),
        action_space=box(pb.FLOAT32, f32, [-1.0, -1.0], [1.0, 1.0]), num_envs=2, session_id="s1", max_episode_steps=1000)),
    decoded=dict(kind="handshake", request_id=1, server_instance_id="inst", environment_id="HalfCheetah-v5", num_envs=2,
                 session_id="s1", max_episode_steps=1000,
                 observation_space=dict(low=t("float64", [2], ["-inf", "-inf"]), high=t("float64", [2], [INF, INF])),
                 action_space=dict(low=t("float32", [2], [-1.0, -1.0]), high=t("float32", [2], [1.0, 1.0]))))
add("reply_reset", "reply",
    pb.Reply(request_id=2, server_instance_id="inst", reset=pb.ResetReply(
        observations=tensor(pb.FLOAT32, [2, 1], f32(0.25, -0.5)), seeds_used=[pb.Seed(present=True, value=7), pb.Seed()])),
    decoded=dict(kind="reset", request_id=2, server_instance_id="inst", observations=t("float32", [2, 1], [0.25, -0.5]), seeds_used=[7, None]))
add("reply_step", "reply",
    pb.Reply(request_id=3, server_instance_id="inst", step=pb.StepReply(
        observations=tensor(pb.FLOAT64, [2, 1], f64(0.125, 3.0)), rewards=[-1.5, 100.0], terminated=[False, True], truncated=[False, False],
        final_observations=[pb.FinalObservation(index=1, observation=tensor(pb.FLOAT64, [1], f64(0.5)))],
        failures=[], infos=[pb.Info(values={"x": 1.0}), pb.Info()], server_step_seconds=0.002)),
    decoded=dict(kind="step", request_id=3, server_instance_id="inst", observations=t("float64", [2, 1], [0.125, 3.0]),
                 rewards=[-1.5, 100.0], terminated=[False, True], truncated=[False, False],
                 final_observations={"1": t("float64", [1], [0.5])}, failures=[], infos=[{"x": 1.0}, {}], server_step_seconds=0.002))
# The everyday step reply: no infos, no failures; environment 0's episode was truncated (index 0 is
# proto3's default, so its FinalObservation carries no index field).
add("reply_step_plain", "reply",
    pb.Reply(request_id=7, server_instance_id="inst", step=pb.StepReply(
        observations=tensor(pb.FLOAT32, [2, 3], f32(0.5, -0.25, 1.0, 0.0, 2.0, -3.0)), rewards=[-0.75, -6.5],
        terminated=[False, False], truncated=[True, False],
        final_observations=[pb.FinalObservation(index=0, observation=tensor(pb.FLOAT32, [3], f32(0.125, 0.25, -1.0)))],
        server_step_seconds=1.5e-05)),
    decoded=dict(kind="step", request_id=7, server_instance_id="inst", observations=t("float32", [2, 3], [0.5, -0.25, 1.0, 0.0, 2.0, -3.0]),
                 rewards=[-0.75, -6.5], terminated=[False, False], truncated=[True, False],
                 final_observations={"0": t("float32", [3], [0.125, 0.25, -1.0])}, failures=[], infos=[], server_step_seconds=1.5e-05))
add("reply_step_failure", "reply",
    pb.Reply(request_id=4, server_instance_id="inst", step=pb.StepReply(
        observations=tensor(pb.FLOAT32, [1, 1], f32(0.0)), rewards=[0.0], terminated=[False], truncated=[False],
        failures=[pb.EnvironmentFailure(index=0, code=pb.ENVIRONMENT_FAILURE, message="simulator exploded")])),
    decoded=dict(kind="step", request_id=4, server_instance_id="inst", observations=t("float32", [1, 1], [0.0]),
                 rewards=[0.0], terminated=[False], truncated=[False], final_observations={},
                 failures=[dict(index=0, code="ENVIRONMENT_FAILURE", message="simulator exploded")], infos=[], server_step_seconds=0.0))
add("reply_close", "reply", pb.Reply(request_id=5, server_instance_id="inst", close=pb.CloseReply()),
    decoded=dict(kind="close", request_id=5, server_instance_id="inst"))
add("reply_error", "reply",
    pb.Reply(request_id=6, server_instance_id="inst", error=pb.Error(code=pb.UNSUPPORTED_VERSION, message="client 2.0, server 1.0")),
    decoded=dict(kind="error", request_id=6, server_instance_id="inst", code="UNSUPPORTED_VERSION", message="client 2.0, server 1.0"))

(here / "manifest.json").write_text(json.dumps(dict(protocol="1.1", vectors=entries), indent=1) + "\n")
print(f"wrote {len(entries)} vectors")
