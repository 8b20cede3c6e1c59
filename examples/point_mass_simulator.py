#!/usr/bin/env python3
"""Example 3: a complete envbridge simulator without Gymnasium, in plain Python (pyzmq, numpy, protobuf).

Everything a simulator author must implement, in one file: the REP socket loop, the handshake with its
version check, sessions, seeded resets, batched steps with validation, automatic reset with the true
final observation, exactly-once answers to retried requests, and an error reply for every bad request.

The task: a point in the plane must reach the origin. Observation [x, y] in [-1, 1]^2; action [dx, dy]
in [-1, 1]^2 (clipped); x' = clip(x + 0.1 dx); reward -|x'|; the episode terminates when |x'| < 0.05 and
is truncated after 50 steps.

    python3 examples/point_mass_simulator.py --bind tcp://127.0.0.1:5557 &
    sac train --env tcp://127.0.0.1:5557 --steps 5000
"""
import argparse
import pathlib
import secrets
import sys
import time

import numpy as np
import zmq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "protocol" / "python"))
from gym_bridge import envbridge_pb2 as pb  # noqa: E402  (only the generated message classes are used)

PROTOCOL = (1, 0)
OBS, ACT, MAX_STEPS = 2, 2, 50
INSTANCE = secrets.token_hex(8)


class Refused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def tensor(array):
    array = np.ascontiguousarray(array, dtype="<f4")
    return pb.Tensor(dtype=pb.FLOAT32, shape=list(array.shape), data=array.tobytes())


def box(low, high):
    return pb.Box(low=tensor(np.full(2, low)), high=tensor(np.full(2, high)))


class PointMass:
    def __init__(self):
        self.rng = np.random.default_rng()
        self.position, self.steps = None, 0

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.position, self.steps = self.rng.uniform(-1, 1, size=2).astype(np.float32), 0
        return self.position.copy()

    def step(self, action):
        self.position = np.clip(self.position + 0.1 * np.clip(action, -1, 1), -1, 1).astype(np.float32)
        self.steps += 1
        distance = float(np.linalg.norm(self.position))
        return self.position.copy(), -distance, distance < 0.05, self.steps >= MAX_STEPS


class Session:
    def __init__(self, count):
        self.id = secrets.token_hex(8)
        self.envs = [PointMass() for _ in range(count)]
        self.reset_once = False
        self.last = (None, None)          # (request id, encoded reply) for retried requests


def handle(frame, sessions, num_envs):
    """One request in, one reply out, never an exception."""
    request, reply = pb.Request(), pb.Reply(server_instance_id=INSTANCE)
    try:
        try:
            request.ParseFromString(frame)
        except Exception as error:
            raise Refused(pb.BAD_REQUEST, f"not an envbridge Request: {error}")
        reply.request_id = request.request_id
        kind = request.WhichOneof("kind")
        if kind is None:
            raise Refused(pb.BAD_REQUEST, "request has no message kind")
        if kind == "handshake":
            if request.handshake.protocol_major != PROTOCOL[0]:
                raise Refused(pb.UNSUPPORTED_VERSION, f"client speaks {request.handshake.protocol_major}.{request.handshake.protocol_minor}, "
                                                      f"this simulator speaks {PROTOCOL[0]}.{PROTOCOL[1]}")
            session = Session(num_envs)
            sessions[session.id] = session
            reply.handshake.CopyFrom(pb.HandshakeReply(
                protocol_major=PROTOCOL[0], protocol_minor=PROTOCOL[1], environment_id="PointMass-v0",
                observation_space=box(-1, 1), action_space=box(-1, 1), num_envs=num_envs, session_id=session.id,
                max_episode_steps=MAX_STEPS))
            return reply.SerializeToString()
        session = sessions.get(request.session_id)
        if session is None:
            raise Refused(pb.UNKNOWN_SESSION, f"unknown session '{request.session_id}'; handshake again")
        if session.last[0] == request.request_id:
            return session.last[1]        # a retry: do not step twice
        if kind == "reset":
            seeds = request.reset.seeds
            if len(seeds) not in (0, num_envs):
                raise Refused(pb.WRONG_SHAPE, f"{len(seeds)} seeds for {num_envs} environments")
            if any(len(t.shape) or len(t.data) for t in request.reset.states):
                raise Refused(pb.BAD_REQUEST, "PointMass-v0 has no state hook")
            observations = [env.reset(int(seeds[i].value) if seeds and seeds[i].present else None) for i, env in enumerate(session.envs)]
            session.reset_once = True
            reply.reset.CopyFrom(pb.ResetReply(observations=tensor(np.stack(observations)),
                                               seeds_used=list(seeds) or [pb.Seed()] * num_envs))
        elif kind == "step":
            if not session.reset_once:
                raise Refused(pb.RESET_NEEDED, "reset before the first step")
            actions = request.step.actions
            dtype = {pb.FLOAT32: "<f4", pb.FLOAT64: "<f8"}.get(actions.dtype)
            if dtype is None:
                raise Refused(pb.WRONG_DTYPE, "actions must be FLOAT32 or FLOAT64")
            if list(actions.shape) != [num_envs, ACT] or len(actions.data) != num_envs * ACT * np.dtype(dtype).itemsize:
                raise Refused(pb.WRONG_SHAPE, f"actions of shape {list(actions.shape)} ({len(actions.data)} bytes), expected [{num_envs}, {ACT}]")
            values = np.frombuffer(actions.data, dtype=dtype).reshape(num_envs, ACT)
            if not np.all(np.isfinite(values)):
                raise Refused(pb.NON_FINITE_ACTION, "actions must be finite")
            started = time.perf_counter()
            step = pb.StepReply()
            observations = []
            for i, env in enumerate(session.envs):
                observation, reward, terminated, truncated = env.step(values[i])
                if terminated or truncated:
                    step.final_observations.append(pb.FinalObservation(index=i, observation=tensor(observation)))
                    observation = env.reset()
                observations.append(observation)
                step.rewards.append(reward)
                step.terminated.append(terminated)
                step.truncated.append(truncated and not terminated)
            step.observations.CopyFrom(tensor(np.stack(observations)))
            step.server_step_seconds = time.perf_counter() - started
            reply.step.CopyFrom(step)
        else:
            del sessions[session.id]
            reply.close.CopyFrom(pb.CloseReply())
            return reply.SerializeToString()
        encoded = reply.SerializeToString()
        session.last = (request.request_id, encoded)
        return encoded
    except Refused as refused:
        reply.ClearField("kind")
        reply.error.CopyFrom(pb.Error(code=refused.code, message=refused.message))
        return reply.SerializeToString()
    except Exception as error:
        reply.ClearField("kind")
        reply.error.CopyFrom(pb.Error(code=pb.INTERNAL, message=f"{type(error).__name__}: {error}"))
        return reply.SerializeToString()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="tcp://127.0.0.1:5557")
    parser.add_argument("--num-envs", type=int, default=1)
    args = parser.parse_args()
    socket = zmq.Context.instance().socket(zmq.REP)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.MAXMSGSIZE, 1 << 20)
    socket.bind(args.bind)
    print(f"PointMass-v0 simulator on {socket.getsockopt_string(zmq.LAST_ENDPOINT)}", file=sys.stderr, flush=True)
    sessions = {}
    while True:
        frames = socket.recv_multipart()
        if len(frames) != 1:
            socket.send(pb.Reply(server_instance_id=INSTANCE, error=pb.Error(code=pb.BAD_REQUEST, message="one frame per request")).SerializeToString())
            continue
        socket.send(handle(frames[0], sessions, args.num_envs))


if __name__ == "__main__":
    main()
