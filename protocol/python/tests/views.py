"""The canonical JSON view of envbridge messages used by protocol/vectors/manifest.json."""

import math

import numpy as np

from gym_bridge import envbridge_pb2 as pb
from gym_bridge.codec import array_from_tensor

DTYPES = {pb.FLOAT32: "float32", pb.FLOAT64: "float64"}


def number(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def tensor(message):
    return dict(
        dtype=DTYPES[message.dtype],
        shape=[int(d) for d in message.shape],
        values=[number(v) for v in np.asarray(array_from_tensor(message)).reshape(-1)],
    )


def seed(message):
    return int(message.value) if message.present else None


def request(message):
    kind = message.WhichOneof("kind")
    view = dict(kind=kind, request_id=message.request_id, session_id=message.session_id)
    if kind == "handshake":
        h = message.handshake
        view.update(
            protocol_major=h.protocol_major,
            protocol_minor=h.protocol_minor,
            client_name=h.client_name,
            observation_dtype=DTYPES.get(h.observation_dtype),
        )
        if h.client_nonce:  # protocol 1.1
            view.update(client_nonce=h.client_nonce)
    elif kind == "reset":
        view.update(
            seeds=[seed(s) for s in message.reset.seeds],
            states=[tensor(s) if len(s.shape) or len(s.data) else None for s in message.reset.states],
        )
        if message.reset.env_indices:  # protocol 1.1
            view.update(env_indices=list(message.reset.env_indices))
    elif kind == "step":
        view.update(actions=tensor(message.step.actions))
    return view


def reply(message):
    kind = message.WhichOneof("kind")
    view = dict(kind=kind, request_id=message.request_id, server_instance_id=message.server_instance_id)
    if kind == "handshake":
        h = message.handshake
        view.update(
            environment_id=h.environment_id,
            num_envs=h.num_envs,
            session_id=h.session_id,
            max_episode_steps=h.max_episode_steps,
            observation_space=dict(low=tensor(h.observation_space.low), high=tensor(h.observation_space.high)),
            action_space=dict(low=tensor(h.action_space.low), high=tensor(h.action_space.high)),
        )
    elif kind == "reset":
        view.update(observations=tensor(message.reset.observations), seeds_used=[seed(s) for s in message.reset.seeds_used])
    elif kind == "step":
        s = message.step
        view.update(
            observations=tensor(s.observations),
            rewards=[number(r) for r in s.rewards],
            terminated=list(s.terminated),
            truncated=list(s.truncated),
            final_observations={str(f.index): tensor(f.observation) for f in s.final_observations},
            failures=[dict(index=f.index, code=pb.ErrorCode.Name(f.code), message=f.message) for f in s.failures],
            infos=[dict(i.values) for i in s.infos],
            server_step_seconds=s.server_step_seconds,
        )
    elif kind == "error":
        view.update(code=pb.ErrorCode.Name(message.error.code), message=message.error.message)
    return view
