"""An envbridge server for any Gymnasium environment with Box spaces.

`EnvironmentServer.handle(frame)` maps one request frame to one reply frame and never raises, so every
request is answered, also bad ones; `serve()` runs it behind a ZeroMQ REP socket.
"""

from __future__ import annotations

import collections
import math
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

import gymnasium as gym
import numpy as np

from . import envbridge_pb2 as pb
from .codec import (
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    ProtocolError,
    StepReplyWriter,
    StepRequestTemplate,
    array_from_tensor,
    decode_request,
    decode_request_and_actions,
    dtype_code,
    error_reply,
    tensor_from_array,
)
from .copies import Copies, Stepped
from .spin import AdaptiveSpin
from .workers import RemoteCopies, WorkerPool


def _random_id():
    """60 random bits as 15 hex digits: short enough for a Swift client to hold the id it reads from every
    reply inline, without a heap allocation."""
    return secrets.token_hex(8)[:15]


def _box(space, dtype=None):
    dtype = dtype or space.dtype
    return pb.Box(low=tensor_from_array(space.low, dtype), high=tensor_from_array(space.high, dtype))


def _split(count, parts):
    """`count` copies in at most `parts` contiguous ranges of sizes that differ by at most one, (offset,
    size) pairs. The first range, the server's own, is among the largest: a worker's range also costs a
    pipe round trip to a process that may first have to be woken (measured, its answer came 80-220 us after
    the server had stepped an equal range of 32 Pendulums)."""
    base, extra = divmod(count, parts)
    ranges, offset = [], 0
    for part in range(parts):
        size = base + (part < extra)
        if size:
            ranges.append((offset, size))
        offset += size
    return ranges


def _joined(parts):
    """One `Stepped` of consecutive ranges' `Stepped`s."""
    rewards, terminated, truncated, finals, failures = [], [], [], [], []
    for part in parts:
        rewards += part.rewards
        terminated += part.terminated
        truncated += part.truncated
        finals += part.finals
        failures += part.failures
    infos: list = []
    if any(part.infos for part in parts):
        for part in parts:
            infos += part.infos or [{} for _ in part.rewards]
    return Stepped(np.concatenate([part.observations for part in parts]), rewards, terminated, truncated, finals, failures, infos)


class Session:
    """The environments of one client, with what exactly-once retries need: copies `0 ..< len(local.envs)`
    in this process (`local`), the rest in worker processes (`remote`, one range per worker)."""

    def __init__(self, session_id, local, remote, observation_dtype, action_shape, observation_shape, instance_id):
        self.id = session_id
        self.local = local
        self.remote = remote
        self.num_envs = len(local.envs) + sum(r.count for r in remote)
        self.observation_dtype = observation_dtype
        self.action_batch_shape = (self.num_envs,) + tuple(action_shape)
        self.observation_shape = tuple(observation_shape)
        self.reset_once = False
        self.last_request_id = None
        self.last_reply = None
        self.last_used = time.monotonic()
        # The client nonce of the handshake that opened the session ("" for none), and that handshake's
        # reply, which a retry of it gets again.
        self.client_nonce, self.handshake_reply = "", None
        # That handshake itself (request id and HandshakeRequest bytes), which a retry must repeat exactly.
        self.handshake_request: tuple[int, bytes] | None = None
        # This session's step requests are matched against a template made from its first one that
        # stepped; its ordinary replies are written from pieces computed here (see codec).
        self.step_template = None
        self.reply_writer = StepReplyWriter(instance_id, (self.num_envs,) + self.observation_shape, observation_dtype)

    @property
    def envs(self):
        """The copies in this process (all of them without workers)."""
        return self.local.envs

    def close(self):
        self.local.close()
        for copies in self.remote:
            copies.close()


class EnvironmentServer:
    """Serves `env_id` (any Gymnasium id) to any number of sessions, `num_envs` copies each."""

    def __init__(
        self,
        env_id: str,
        num_envs: int = 1,
        env_kwargs: Mapping[str, Any] | None = None,
        session_timeout: float = 600.0,
        max_sessions: int = 64,
        max_message_bytes: int = 64 << 20,
        spin_us: float = 200,
        workers: int = 0,
        worker_timeout: float = 60.0,
        step_delay_ms: float = 0.0,
        eviction_grace: float = 30.0,
    ) -> None:
        """`spin_us`: after a reply, how long `serve` looks for the next request before blocking, when the
        client came back that quickly last time (see `serve`); 0 always blocks at once.

        `workers`: processes that step a session's copies beside this one (see `gym_bridge.workers`): each
        session's `num_envs` copies are split into `workers + 1` ranges, the first stepped here. Worth it
        when a request steps many copies of a simulator that is slow next to the bridge (MuJoCo, or 64
        Pendulums) and cores are free; 0 steps every copy here. `worker_timeout`: seconds a worker may take
        to answer one request before it counts as hung and is replaced (its copies fail that step).

        `step_delay_ms`: milliseconds every step request sleeps before its environments step, a model of a
        slow simulator for tests and benchmarks; 0 by default."""
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if spin_us < 0:
            raise ValueError(f"spin_us must be >= 0, got {spin_us}")
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        if not (step_delay_ms >= 0 and math.isfinite(step_delay_ms)):
            raise ValueError(f"step_delay_ms must be a finite number >= 0, got {step_delay_ms}")
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be >= 1, got {max_sessions}")
        if not (eviction_grace >= 0 and math.isfinite(eviction_grace)):
            raise ValueError(f"eviction_grace must be a finite number >= 0, got {eviction_grace}")
        self.step_delay_seconds = step_delay_ms * 1e-3
        self.spin_seconds = spin_us * 1e-6
        self.env_id = env_id
        self.num_envs = num_envs
        self.env_kwargs = dict(env_kwargs or {})
        self.session_timeout = session_timeout
        self.max_sessions = max_sessions
        # A handshake when all sessions are held evicts the least recently used one idle for this many
        # seconds, so sessions nobody uses never lock new clients out; a session used within them stays.
        self.eviction_grace = eviction_grace
        self.max_message_bytes = max_message_bytes
        self.instance_id = _random_id()
        self.sessions: dict = {}
        self._recent = None  # the session of the last request: the next is most likely its too
        # The close replies of the last sessions closed, so that a close retried after its reply was lost
        # gets that reply again rather than UNKNOWN_SESSION (oldest dropped past 256).
        self._closed_replies: collections.OrderedDict = collections.OrderedDict()
        # Live sessions by the client nonce of the handshake that opened them.
        self._sessions_by_nonce: dict = {}
        self._next_expiry_check = 0.0
        probe = self._make_env()
        for name, space in (("observation", probe.observation_space), ("action", probe.action_space)):
            if not isinstance(space, gym.spaces.Box):
                probe.close()
                raise ValueError(f"{env_id} has a {type(space).__name__} {name} space; the envbridge protocol serves Box spaces only")
            dtype_code(space.dtype)
        self.observation_space = probe.observation_space
        self.action_space = probe.action_space
        self.max_episode_steps = probe.spec.max_episode_steps if probe.spec and probe.spec.max_episode_steps else 0
        # The state hook (§5): the shape of the environment's `unwrapped.state` once reset, None without one,
        # so that a reset's start states are all checked before any environment is touched.
        try:
            probe.reset(seed=0)
            state = getattr(probe.unwrapped, "state", None)
        except Exception:  # a simulator that fails to reset is the sessions' problem, reported there
            state = None
        self.state_shape = np.asarray(state).shape if state is not None else None
        probe.close()
        # Only as many workers as a session has copies beyond the server's own first range.
        self.workers = min(workers, num_envs - 1)
        self._pool = WorkerPool(env_id, self.env_kwargs, self.workers, worker_timeout) if self.workers else None

    def close(self) -> None:
        """Closes every session and stops the worker processes."""
        for session in list(self.sessions.values()):
            session.close()
        self.sessions.clear()
        self._sessions_by_nonce.clear()
        self._recent = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _make_env(self):
        return gym.make(self.env_id, **self.env_kwargs)

    # ------------------------------------------------------------------ request handling

    def handle(self, frame: bytes) -> bytes:
        """One request frame in, one reply frame out. Never raises."""
        request_id = 0
        try:
            # A step request of the last request's session is matched against its template; anything
            # else is decoded through protobuf and checked.
            recent = self._recent
            matched = recent.step_template.match(frame) if recent is not None and recent.step_template is not None else None
            if matched is not None:
                request_id, actions = matched
                session_id, kind = recent.id, "step"
            else:
                if len(frame) > self.max_message_bytes:
                    raise ProtocolError(
                        pb.BAD_REQUEST, f"frame of {len(frame)} bytes exceeds the server's limit of {self.max_message_bytes}"
                    )
                request, actions = decode_request_and_actions(frame)
                request_id, session_id, kind = request.request_id, request.session_id, request.WhichOneof("kind")
            now = time.monotonic()
            if now >= self._next_expiry_check:
                self._expire_sessions()
            if kind == "handshake":
                self._check_version(request.handshake)
                # A retried handshake (the same nonce, the same request) gets the session the first one
                # opened, and counts as a use of it; the same nonce with anything else changed is refused (§3).
                nonce = request.handshake.client_nonce
                known = self._sessions_by_nonce.get(nonce)
                this = (request_id, request.handshake.SerializeToString(deterministic=True))
                if known is not None:
                    if known.handshake_request != this:
                        raise ProtocolError(
                            pb.BAD_REQUEST,
                            f"client_nonce '{nonce}' opened session {known.id} with another handshake (request id "
                            f"{known.handshake_request[0]}); a retry repeats the request exactly, and a new handshake takes a new nonce",
                        )
                    known.last_used = now
                    return known.handshake_reply
                reply = self._handshake(request)
                encoded = reply.SerializeToString()
                if nonce:
                    opened = self.sessions[reply.handshake.session_id]
                    opened.client_nonce, opened.handshake_reply, opened.handshake_request = nonce, encoded, this
                    self._sessions_by_nonce[nonce] = opened
                return encoded
            session = recent if matched is not None and self._recent is recent else self.sessions.get(session_id)
            if session is None:
                # Only a retried close (the same request id, a close again) gets the close's reply (§8).
                closed = self._closed_replies.get(session_id)
                if closed is not None and closed[0] == request_id and kind == "close":
                    return closed[1]
                raise ProtocolError(
                    pb.UNKNOWN_SESSION,
                    f"session '{session_id}' is unknown to server instance "
                    f"{self.instance_id} (expired, closed, or the server restarted); handshake again",
                )
            self._recent = session
            session.last_used = now
            if session.last_request_id == request_id and session.last_reply is not None:
                return session.last_reply  # a retry: answer again, do not step twice
            if kind == "step":
                assert actions is not None  # decoded with every step request
                encoded = self._step(session, request_id, actions)
                if session.step_template is None:
                    session.step_template = StepRequestTemplate(session.id, actions.dtype, actions.shape)
            else:
                if kind == "reset":
                    reply = self._reset(session, request)
                else:
                    self._forget(session)
                    reply = pb.Reply(close=pb.CloseReply())
                reply.request_id = request_id
                reply.server_instance_id = self.instance_id
                encoded = reply.SerializeToString()
                if kind == "close":
                    self._closed_replies[session_id] = (request_id, encoded)
                    if len(self._closed_replies) > 256:
                        self._closed_replies.popitem(last=False)
            if kind != "close":
                session.last_request_id, session.last_reply = request_id, encoded
            return encoded
        except ProtocolError as error:
            return error_reply(request_id or error.request_id, self.instance_id, error.code, error.message)
        except Exception as error:  # the environment or a bug: still answer
            return error_reply(request_id, self.instance_id, pb.INTERNAL, f"{type(error).__name__}: {error}")

    def _forget(self, session):
        session.close()
        self.sessions.pop(session.id, None)
        if session.client_nonce:
            self._sessions_by_nonce.pop(session.client_nonce, None)
        if self._recent is session:
            self._recent = None

    def _expire_sessions(self):
        now = time.monotonic()
        # Checked at most ten times per timeout (and at least once a second), not on every request.
        self._next_expiry_check = now + min(1.0, self.session_timeout / 10)
        for session in [s for s in self.sessions.values() if now - s.last_used > self.session_timeout]:
            self._forget(session)

    def _multipart_reply(self, first_frame: bytes, frames: int) -> bytes:
        """BAD_REQUEST for a request of several frames, echoing the first frame's request id when that frame
        parses as a request, 0 otherwise (§3)."""
        try:
            first_id = decode_request(first_frame).request_id
        except ProtocolError:
            first_id = 0
        return error_reply(first_id, self.instance_id, pb.BAD_REQUEST, f"request has {frames} frames; envbridge requests are one frame")

    @staticmethod
    def _check_version(hello):
        """The handshake's major version must be the server's (UNSUPPORTED_VERSION), checked before anything else."""
        if hello.protocol_major != PROTOCOL_MAJOR:
            raise ProtocolError(
                pb.UNSUPPORTED_VERSION,
                f"client speaks protocol {hello.protocol_major}.{hello.protocol_minor}, "
                f"server speaks {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}; major versions must match",
            )

    def _handshake(self, request):
        hello = request.handshake
        if hello.observation_dtype not in (pb.DTYPE_UNSPECIFIED, pb.FLOAT32, pb.FLOAT64):
            raise ProtocolError(pb.WRONG_DTYPE, f"observation dtype {hello.observation_dtype} is not FLOAT32 or FLOAT64")
        if len(self.sessions) >= self.max_sessions:
            idlest = min(self.sessions.values(), key=lambda s: s.last_used)
            if time.monotonic() - idlest.last_used < self.eviction_grace:
                raise ProtocolError(
                    pb.ENVIRONMENT_FAILURE,
                    f"server holds its maximum of {self.max_sessions} sessions and every one "
                    f"was used within the last {self.eviction_grace} s; close one, or try again",
                )
            self._forget(idlest)
        observation_dtype = np.dtype(
            {pb.FLOAT32: np.float32, pb.FLOAT64: np.float64}.get(hello.observation_dtype, self.observation_space.dtype)
        )
        session_id, shape = _random_id(), self.observation_space.shape
        ranges = _split(self.num_envs, self.workers + 1)
        local = Copies.made(self.env_id, self.env_kwargs, ranges[0][1], 0, shape, observation_dtype)
        remote = []
        try:
            for worker, (offset, count) in zip(self._pool.workers if self._pool else [], ranges[1:], strict=False):
                remote.append(RemoteCopies(worker, session_id, count, offset, shape, observation_dtype))
        except BaseException:
            local.close()
            for copies in remote:
                copies.close()
            raise
        session = Session(session_id, local, remote, observation_dtype, self.action_space.shape, shape, self.instance_id)
        self.sessions[session.id] = session
        return pb.Reply(
            request_id=request.request_id,
            server_instance_id=self.instance_id,
            handshake=pb.HandshakeReply(
                protocol_major=PROTOCOL_MAJOR,
                protocol_minor=PROTOCOL_MINOR,
                environment_id=self.env_id,
                observation_space=_box(self.observation_space, session.observation_dtype),
                action_space=_box(self.action_space),
                num_envs=self.num_envs,
                session_id=session.id,
                max_episode_steps=self.max_episode_steps,
            ),
        )

    def _reset(self, session, request):
        """Resets every environment of `session`, or (protocol 1.1) those `env_indices` names, leaving the
        others' episodes as they are."""
        message = request.reset
        n = session.num_envs
        indices = list(message.env_indices) or list(range(n))
        if message.env_indices:
            for k, index in enumerate(indices):
                if index >= n:
                    raise ProtocolError(pb.BAD_REQUEST, f"env_indices names environment {index}; this session steps 0..{n - 1}")
                if k > 0 and index <= indices[k - 1]:
                    raise ProtocolError(pb.BAD_REQUEST, f"env_indices must be strictly increasing, got {indices}")
            if not session.reset_once:
                raise ProtocolError(pb.RESET_NEEDED, "reset every environment once (no env_indices) before resetting some of them")
        m = len(indices)
        for name, entries in (("seeds", message.seeds), ("states", message.states)):
            if len(entries) not in (0, m):
                raise ProtocolError(pb.WRONG_SHAPE, f"reset has {len(entries)} {name} for {m} environments reset; give none or {m}")
        given_states = [array_from_tensor(t, "state") if len(t.shape) or len(t.data) else None for t in message.states] or [None] * m
        # Every start state is checked before the first environment is touched: a refused reset changes nothing (§6).
        for state in given_states:
            if state is None:
                continue
            if self.state_shape is None:
                raise ProtocolError(pb.BAD_REQUEST, f"{self.env_id} has no 'state' attribute, so a reset cannot set its start state")
            if state.shape != self.state_shape:
                raise ProtocolError(
                    pb.WRONG_SHAPE,
                    f"state of shape {list(state.shape)} for {self.env_id}, whose state has shape {list(self.state_shape)}",
                )
        seeds_used = [pb.Seed(present=s.present, value=s.value) for s in message.seeds] or [pb.Seed(present=False)] * m
        # By environment index: the seed and start state of each environment reset, None for the others.
        seeds: list[int | None] = [None] * n
        states: list[np.ndarray | None] = [None] * n
        for index, seed, state in zip(indices, seeds_used, given_states, strict=False):
            seeds[index], states[index] = (int(seed.value) if seed.present else None), state
        partial = m < n

        def only(offset, count):
            return [i - offset for i in indices if offset <= i < offset + count] if partial else None

        remote = [copies for copies in session.remote if not partial or only(copies.offset, copies.count)]
        for copies in remote:
            end = copies.offset + copies.count
            copies.send_reset(seeds[copies.offset : end], states[copies.offset : end], only(copies.offset, copies.count))
        parts, first_error = [], None
        local = len(session.local.envs)
        try:
            if not partial or only(0, local):
                parts.append(session.local.reset(seeds[:local], states[:local], only(0, local)))
        except ProtocolError as error:
            first_error = error
        for copies in remote:  # every worker's answer is read, also after an error
            try:
                parts.append(copies.receive_reset())
            except ProtocolError as error:
                first_error = first_error or error
        if first_error is not None:
            raise first_error
        session.reset_once = True
        observations = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return pb.Reply(reset=pb.ResetReply(observations=tensor_from_array(observations, session.observation_dtype), seeds_used=seeds_used))

    def _step(self, session, request_id, actions):
        """Steps every environment of `session` with `actions` (decoded and checked for shape and dtype
        against the tensor's bytes); returns the encoded reply."""
        if not session.reset_once:
            raise ProtocolError(pb.RESET_NEEDED, "step before the session's first reset; send a reset request first")
        if actions.shape != session.action_batch_shape:
            raise ProtocolError(
                pb.WRONG_SHAPE, f"actions of shape {list(actions.shape)}; this session needs {list(session.action_batch_shape)}"
            )
        # Checked as the environment gets them: a float64 action beyond float32's range is infinite there.
        sent = actions
        if actions.dtype != self.action_space.dtype:
            # Only a cast can overflow; the context manager alone costs a tenth of gym_bridge's own work per step.
            with np.errstate(over="ignore"):
                actions = actions.astype(self.action_space.dtype)
        # For a few elements, Python's isfinite over a list is five times quicker than numpy's.
        if not (all(map(math.isfinite, actions.ravel().tolist())) if actions.size <= 64 else np.isfinite(actions).all()):
            where = tuple(np.argwhere(~np.isfinite(actions))[0].tolist())
            value = f"{sent[where]}, beyond the {actions.dtype} range of the environment," if np.isfinite(sent[where]) else f"{sent[where]}"
            raise ProtocolError(pb.NON_FINITE_ACTION, f"action element {list(where)} is {value}; actions must be finite")
        started = time.perf_counter()
        if self.step_delay_seconds:
            time.sleep(self.step_delay_seconds)
        remote = session.remote
        if not remote:
            stepped = session.local.step(actions)
        else:
            for copies in remote:
                copies.send_step(actions[copies.offset : copies.offset + copies.count])
            try:
                parts = [session.local.step(actions[: len(session.local.envs)])]
            finally:
                # Every worker's answer is read, so the next request finds its pipe empty.
                parts.extend(copies.receive_step() for copies in remote)
            stepped = _joined(parts)
        elapsed = time.perf_counter() - started
        observations, rewards, terminated, truncated, finals, failures, infos = stepped
        if not failures:
            return session.reply_writer.write(request_id, observations, rewards, terminated, truncated, elapsed, infos, finals)
        return pb.Reply(
            request_id=request_id,
            server_instance_id=self.instance_id,
            step=pb.StepReply(
                observations=tensor_from_array(observations),
                rewards=rewards,
                terminated=terminated,
                truncated=truncated,
                final_observations=[pb.FinalObservation(index=i, observation=tensor_from_array(final)) for i, final in finals],
                failures=[pb.EnvironmentFailure(index=i, code=pb.ENVIRONMENT_FAILURE, message=message) for i, message in failures],
                infos=[pb.Info(values=values) for values in infos],
                server_step_seconds=elapsed,
            ),
        ).SerializeToString()

    # ------------------------------------------------------------------ transport

    def serve(
        self,
        bind: str,
        stop: Callable[[], bool] | None = None,
        log: TextIO = sys.stderr,
        curve_secret_key: str | None = None,
        allowed_clients: Iterable[str] | None = None,
    ) -> None:
        """Answers requests on a REP socket bound to `bind` until `stop()` returns true.

        With `curve_secret_key` (Z85) traffic is encrypted with CURVE; with `allowed_clients` (Z85 public
        keys) only those clients are admitted, through a ZAP handler polled beside the server socket.

        Adaptive spinning (`gym_bridge.spin.AdaptiveSpin`): for a client stepping in a loop (its last request
        came within 5 x `spin_us` of the reply before it), the server may look for the next request without
        blocking for up to `spin_us` first, and does so while that measurably answers such a client sooner on
        this machine than blocking (it alternates short trials of both, and measures again every 30 s). A
        client that computes between steps for longer (a trainer's gradient updates) makes it block at once,
        so it never burns a core then.
        """
        import zmq
        from zmq.utils import z85

        context = zmq.Context()
        zap = None
        if allowed_clients is not None:
            zap = context.socket(zmq.REP)
            zap.setsockopt(zmq.LINGER, 0)
            zap.bind("inproc://zeromq.zap.01")
            allowed = set(allowed_clients)
        socket = context.socket(zmq.REP)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        if curve_secret_key:
            socket.curve_server = True
            socket.curve_secretkey = curve_secret_key.encode()
        socket.bind(bind)
        endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
        workers = f", {self.workers} worker process{'es' if self.workers > 1 else ''}" if self.workers else ""
        print(
            f"gym_bridge: serving {self.env_id} ({self.num_envs} per session{workers}) on {endpoint}, instance {self.instance_id}",
            file=log,
            flush=True,
        )
        poller = zmq.Poller()
        poller.register(socket, zmq.POLLIN)
        if zap is not None:
            poller.register(zap, zmq.POLLIN)
        else:
            # One socket: a blocking receive with a timeout costs less per request than a poller.
            socket.setsockopt(zmq.RCVTIMEO, 100)
        spin = AdaptiveSpin(self.spin_seconds if zap is None else 0.0)
        clock = time.perf_counter
        try:
            while not (stop and stop()):
                if zap is None:
                    frame = None
                    window = spin.next_spin_seconds()
                    if window:
                        deadline = clock() + window
                        while frame is None and clock() < deadline:
                            try:
                                frame = socket.recv(zmq.NOBLOCK)
                            except zmq.Again:
                                pass
                    if frame is None:
                        try:
                            frame = socket.recv()
                        except zmq.Again:
                            spin.receive_timed_out()
                            continue
                    choice = spin.request_arrived()
                    if choice:
                        print(f"gym_bridge: {choice}", file=log, flush=True)
                    extra = 0
                    while socket.getsockopt(zmq.RCVMORE):
                        socket.recv()
                        extra += 1
                    reply = self.handle(frame) if extra == 0 else self._multipart_reply(frame, extra + 1)
                    socket.send(reply)
                    spin.replied()
                    continue
                ready = dict(poller.poll(100))
                if zap in ready:
                    request = zap.recv_multipart()
                    ok = (
                        len(request) >= 7
                        and request[0] == b"1.0"
                        and request[5] == b"CURVE"
                        and len(request[6]) == 32
                        and z85.encode(request[6]).decode() in allowed
                    )
                    zap.send_multipart(
                        [
                            b"1.0",
                            request[1] if len(request) > 1 else b"",
                            b"200" if ok else b"400",
                            b"OK" if ok else b"client key not allowed",
                            b"",
                            b"",
                        ]
                    )
                if socket not in ready:
                    continue
                frames = socket.recv_multipart(copy=False)
                if len(frames) != 1:
                    reply = self._multipart_reply(bytes(frames[0].buffer), len(frames))
                else:
                    reply = self.handle(frames[0].buffer)  # type: ignore[arg-type]  # any buffer: handle() reads it through memoryview
                socket.send(reply)
        finally:
            for session in self.sessions.values():
                session.close()
            self.sessions.clear()
            self._sessions_by_nonce.clear()
            self._recent = None
            socket.close(0)
            if zap is not None:
                zap.close(0)
            context.term()
