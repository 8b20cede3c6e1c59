"""Clients of an envbridge server for Python: `RemoteEnv` (a `gymnasium.Env`) and `RemoteVectorEnv` (a
`gymnasium.vector.VectorEnv`), so that any Python RL library (Stable-Baselines3, CleanRL, ...) can step a
simulator served by `sac serve` or `gym-bridge serve`.

The guarantees are the Swift client's: every request has a timeout; after one the request socket (stuck
by then, as a ZeroMQ REQ socket is) is replaced and the same request resent with the same id, so the
server never steps twice; a server that restarted (its instance id changed) or never answers surfaces as
`ConnectionLost`, never as a hang.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import zmq
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import envbridge_pb2 as pb
from .codec import PROTOCOL_MAJOR, PROTOCOL_MINOR, ProtocolError, array_from_tensor, decode_reply, tensor_from_array

__all__ = ["RemoteError", "ConnectionLost", "ServerError", "Session", "RemoteEnv", "RemoteVectorEnv"]


class RemoteError(Exception):
    """Something went wrong with an envbridge server; the message names its address."""


class ConnectionLost(RemoteError):
    """No reply within the timeout and its retries, or the server restarted and forgot the session. The
    episode in flight is lost; the next `reset()` opens a new session (or call `reconnect()`)."""


class ServerError(RemoteError):
    """The server refused a request: `code` is the protocol's error code name (e.g. "WRONG_SHAPE")."""

    def __init__(self, address: str, code: str, message: str) -> None:
        super().__init__(f"{address} refused the request: {code}: {message}")
        self.code = code


class Session:
    """One session with an envbridge server over a ZeroMQ REQ socket: handshake, reset, step, close.

    `timeout_ms` bounds every wait for a reply; `retries` resends a timed-out request (same request id, on a
    fresh socket) after 100 ms × 2^attempt. `curve_server_key` (Z85) encrypts with CURVE; `curve_keypair`
    (public, secret; Z85) is this client's pair, generated when only the server's key is given.
    `observation_dtype="float32"` asks the server to cast observations; `None` keeps the environment's."""

    def __init__(
        self,
        address: str,
        *,
        timeout_ms: int = 10_000,
        retries: int = 2,
        observation_dtype: str | None = None,
        curve_server_key: str | None = None,
        curve_keypair: tuple[str, str] | None = None,
        client_name: str = "gym_bridge.client",
        context: zmq.Context | None = None,
    ) -> None:
        self.address = address
        self.timeout_ms, self.retries = timeout_ms, retries
        self._curve = (curve_server_key, curve_keypair or (zmq.curve_keypair() if curve_server_key else None))
        self._context = context or zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self._next_id = 1
        self._instance_id = ""
        self._observation_dtype = observation_dtype
        self._client_name = client_name
        # Set when a request raised ConnectionLost: the session is gone until `reconnect()`.
        self.lost = False
        self.handshake: pb.HandshakeReply = self._open()

    # ---- the session's facts
    @property
    def num_envs(self) -> int:
        return self.handshake.num_envs

    @property
    def resets_some(self) -> bool:
        """Whether the server resets some environments alone (protocol 1.1)."""
        return self.handshake.protocol_minor >= 1

    def spaces(self) -> tuple[gym.spaces.Box, gym.spaces.Box]:
        """The observation and action spaces of one environment, in the dtypes they travel in."""

        def box(space: pb.Box) -> gym.spaces.Box:
            low, high = array_from_tensor(space.low, "low"), array_from_tensor(space.high, "high")
            return gym.spaces.Box(low=low, high=high, shape=low.shape, dtype=low.dtype.newbyteorder("="))

        return box(self.handshake.observation_space), box(self.handshake.action_space)

    # ---- requests
    def reset(self, seeds: Sequence[int | None] = (), env_indices: Sequence[int] = ()) -> np.ndarray:
        """Resets every environment (or those in `env_indices`, protocol 1.1); returns their first observations."""
        if env_indices and not self.resets_some:
            raise RemoteError(
                f"{self.address} speaks protocol 1.{self.handshake.protocol_minor}, which resets only every environment at once"
            )
        request = pb.ResetRequest(seeds=[pb.Seed(present=s is not None, value=int(s or 0)) for s in seeds], env_indices=list(env_indices))
        reply = self._call(reset=request)
        return self._rows(reply.reset.observations, len(env_indices) or self.num_envs, "reset observations")

    def step(self, actions: np.ndarray) -> pb.StepReply:
        """Steps every environment with `actions` ([num_envs, *action_shape]); the raw reply."""
        return self._call(step=pb.StepRequest(actions=tensor_from_array(actions))).step

    def observations(self, tensor: pb.Tensor, rows: int) -> np.ndarray:
        return self._rows(tensor, rows, "step observations")

    def close(self) -> None:
        """Ends the session on the server (errors ignored: idle sessions expire) and closes the socket."""
        if self._socket is not None:
            try:
                self._call(close=pb.CloseRequest())
            except RemoteError:
                pass
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def reconnect(self) -> None:
        """Opens a new session on the same address (after `ConnectionLost`)."""
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
        self._instance_id = ""
        self.handshake = self._open()
        self.lost = False

    def reconnect_if_lost(self) -> bool:
        """Opens a new session if the last one was lost; whether it did."""
        if self.lost:
            self.reconnect()
            return True
        return False

    # ---- transport
    def _open(self) -> pb.HandshakeReply:
        self._socket = self._make_socket()
        dtype = {None: pb.DTYPE_UNSPECIFIED, "float32": pb.FLOAT32, "float64": pb.FLOAT64}[self._observation_dtype]
        # The retries of this handshake reuse its nonce, so a lost reply never opens a second session.
        reply = self._call(
            handshake=pb.HandshakeRequest(
                protocol_major=PROTOCOL_MAJOR,
                protocol_minor=PROTOCOL_MINOR,
                client_name=self._client_name,
                observation_dtype=dtype,
                client_nonce=secrets.token_hex(16),
            ),
            session="",
        )
        if not 1 <= reply.handshake.num_envs <= 1 << 16:
            raise RemoteError(f"{self.address} opened a session of {reply.handshake.num_envs} environments")
        self._instance_id = reply.server_instance_id
        return reply.handshake

    def _make_socket(self) -> zmq.Socket:
        socket = self._context.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVTIMEO, self.timeout_ms)
        socket.setsockopt(zmq.SNDTIMEO, self.timeout_ms)
        server_key, keypair = self._curve
        if server_key:
            socket.curve_serverkey = server_key.encode() if isinstance(server_key, str) else server_key
            assert keypair is not None  # made with the server key
            public, secret = keypair
            socket.curve_publickey = public.encode() if isinstance(public, str) else public
            socket.curve_secretkey = secret.encode() if isinstance(secret, str) else secret
        socket.connect(self.address)
        return socket

    def _call(self, session: str | None = None, **kind: Any) -> pb.Reply:
        try:
            return self._exchange(session, **kind)
        except ConnectionLost:
            self.lost = True
            raise

    def _exchange(self, session: str | None, **kind: Any) -> pb.Reply:
        request_id = self._next_id
        self._next_id += 1
        session_id = self.handshake.session_id if session is None else session
        frame = pb.Request(request_id=request_id, session_id=session_id, **kind).SerializeToString()
        for attempt in range(self.retries + 1):
            if self._socket is None:
                self._socket = self._make_socket()
            try:
                self._socket.send(frame)
                data = self._socket.recv()
                break
            except zmq.Again:
                # A REQ socket that missed its reply can never send again: replace it, resend the same id.
                self._socket.close(linger=0)
                self._socket = None
                if attempt == self.retries:
                    raise ConnectionLost(
                        f"{self.address}: no reply after {self.retries + 1} tries of {self.timeout_ms} ms; "
                        "is the simulator running and not hung?"
                    ) from None
                time.sleep(0.1 * 2**attempt)
        try:
            reply = decode_reply(data)
        except ProtocolError as error:
            raise RemoteError(f"{self.address} sent an undecodable reply: {error.message}") from None
        if self._instance_id and reply.server_instance_id != self._instance_id:
            raise ConnectionLost(
                f"{self.address} restarted (instance {self._instance_id} -> {reply.server_instance_id}); its session is gone"
            )
        if reply.WhichOneof("kind") == "error":
            code = pb.ErrorCode.Name(reply.error.code)
            if code == "UNKNOWN_SESSION":
                raise ConnectionLost(f"{self.address} no longer knows this session: {reply.error.message}")
            raise ServerError(self.address, code, reply.error.message)
        if reply.request_id != request_id:
            raise RemoteError(f"{self.address} answered request {reply.request_id} for request {request_id}")
        return reply

    def _rows(self, tensor: pb.Tensor, rows: int, what: str) -> np.ndarray:
        try:
            array = array_from_tensor(tensor, what)
        except ProtocolError as error:
            raise RemoteError(f"{self.address}: {error.message}") from None
        expected = (rows,) + tuple(self.handshake.observation_space.low.shape)
        if array.shape != expected:
            raise RemoteError(f"{self.address}: {what} of shape {list(array.shape)}, expected {list(expected)}")
        return array.astype(array.dtype.newbyteorder("="))


class RemoteVectorEnv(VectorEnv):
    """A `gymnasium.vector.VectorEnv` over a batched envbridge session: the server's `--num-envs` copies are
    stepped per request. Episodes restart on the server in the same step (`AutoresetMode.SAME_STEP`): the
    final observation of an ended episode is in `infos["final_obs"][i]` (mask `infos["_final_obs"]`), the
    returned observation is the next episode's first. A copy whose simulator failed restarts alone and
    is reported in `infos["failure"][i]` (mask `infos["_failure"]`) with reward 0 and truncated set.

    `reset(seed=s)` seeds copy i with `s + i`, as Gymnasium's vector environments do; a list gives one seed
    per copy. A lost server raises `ConnectionLost`; the next `reset()` opens a new session. Keyword
    arguments are `Session`'s (timeouts, retries, CURVE keys, observation dtype)."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, address: str, **session_options: Any) -> None:
        self.session = Session(address, **session_options)
        self.num_envs = self.session.num_envs
        self.single_observation_space, self.single_action_space = self.session.spaces()
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "env_id": self.session.handshake.environment_id}
        self.spec = None
        self.render_mode = None

    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict | None = None):
        if seed is None:
            seeds: Sequence[int | None] = []
        elif isinstance(seed, int):
            seeds = [seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
        if isinstance(seed, int):
            self._np_random, self._np_random_seed = gym.utils.seeding.np_random(seed)
        self.session.reconnect_if_lost()
        return self.session.reset(seeds), {}

    def step(self, actions):
        reply = self.session.step(np.asarray(actions, dtype=self.single_action_space.dtype).reshape(self.action_space.shape))
        n = self.num_envs
        observations = self.session.observations(reply.observations, n)
        rewards = np.array(reply.rewards, dtype=np.float64)
        terminated, truncated = np.array(reply.terminated, dtype=bool), np.array(reply.truncated, dtype=bool)
        if not (len(rewards) == len(terminated) == len(truncated) == n):
            raise RemoteError(f"{self.session.address}: a step reply for {len(rewards)} environments, expected {n}")
        infos: dict = {}
        for final in reply.final_observations:
            observation = array_from_tensor(final.observation, "final observation")
            infos = self._add_info(
                infos, {"final_obs": observation.astype(observation.dtype.newbyteorder("=")), "final_info": {}}, final.index
            )
        for failure in reply.failures:
            truncated[failure.index] = True
            infos = self._add_info(infos, {"failure": f"{pb.ErrorCode.Name(failure.error.code)}: {failure.error.message}"}, failure.index)
        return observations, rewards, terminated, truncated, infos

    def close_extras(self, **kwargs: Any) -> None:
        self.session.close()


class RemoteEnv(gym.Env):
    """A `gymnasium.Env` over an envbridge session with one copy. It passes
    `gymnasium.utils.env_checker.check_env`; `RemoteEnv(address)` stands wherever `gymnasium.make(id)`
    does. After an episode ends the server has already started the next one, unseeded: a following
    `reset()` without a seed returns that episode's first observation without a round trip (the same as
    Gymnasium's unseeded reset), `reset(seed=s)` asks the server. A lost server raises `ConnectionLost`;
    the next `reset()` opens a new session. Keyword arguments are `Session`'s."""

    def __init__(self, address: str, **session_options: Any) -> None:
        self.session = Session(address, **session_options)
        if self.session.num_envs != 1:
            self.session.close()
            raise RemoteError(
                f"{address} steps {self.session.num_envs} environments per request; use RemoteVectorEnv, "
                "or start the server with --num-envs 1"
            )
        self.observation_space, self.action_space = self.session.spaces()
        self.metadata = {"render_modes": [], "env_id": self.session.handshake.environment_id}
        self._next_start: np.ndarray | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self.session.reconnect_if_lost():
            self._next_start = None
        if seed is None and self._next_start is not None:
            observation, self._next_start = self._next_start, None
            return observation, {}
        self._next_start = None
        return self.session.reset([seed])[0], {}

    def step(self, action):
        reply = self.session.step(np.asarray(action, dtype=self.action_space.dtype).reshape((1, *(self.action_space.shape or ()))))
        observation = self.session.observations(reply.observations, 1)[0]
        info: dict = {}
        terminated, truncated = bool(reply.terminated[0]), bool(reply.truncated[0])
        if reply.failures:
            # The server restarted the copy: this episode is over, with nothing to learn from the step.
            self._next_start = observation
            info["failure"] = f"{pb.ErrorCode.Name(reply.failures[0].error.code)}: {reply.failures[0].error.message}"
            return observation.copy(), 0.0, False, True, info
        if reply.final_observations:
            self._next_start = observation
            final = array_from_tensor(reply.final_observations[0].observation, "final observation")
            observation = final.astype(final.dtype.newbyteorder("="))
        return observation.copy(), float(reply.rewards[0]), terminated, truncated, info

    def close(self) -> None:
        self.session.close()
