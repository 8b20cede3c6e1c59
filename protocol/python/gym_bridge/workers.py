"""Worker processes that hold later ranges of every session's copies, so a request's copies step in parallel.

A Python environment steps under the GIL, so a server that steps 64 copies one after another spends 64
steps' time per request however many cores the machine has. With `workers=K` the server keeps a
session's first copies itself and splits the rest over K persistent processes: fresh interpreters, so
they inherit no sockets or threads, and a script that makes a server needs no `if __name__ ==
"__main__"` guard. The server sends each worker its actions, steps its own copies, then collects the
workers' results: one command and one answer per worker and request through a socket pair. Step
commands and ordinary step answers (no episode end, failure or info) travel as raw bytes, everything else
pickled: pickling a step both ways cost about 80 us of a worker's 200 us round trip.

A worker that dies (a simulator crashing the interpreter) or gives no answer within the timeout is
killed and replaced; the copies it held are reported as failed steps and restart with new episodes, in
every session, as a failing copy in the server's own process would.
"""

import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection

import numpy as np

from . import envbridge_pb2 as pb
from .codec import ProtocolError
from .copies import Copies, Stepped
from .spin import AdaptiveSpin

# How long the server looks for a worker's answer before blocking on it (seconds): about twice the lag
# of a worker whose range is as large as the server's (benchmarks/gym-bridge-workers), and short, as a trainer may
# be computing on the other core while a slow simulator steps.
SPIN_SECONDS = 0.0005
# How long a worker looks for the next command of a client stepping in a loop before blocking (seconds):
# longer than a request's round trip through the server and a client (see gym_bridge.spin).
WORKER_SPIN_SECONDS = 0.001

# The first byte of a raw step command (then the session id's length, the id, the actions' bytes) and of
# a raw step answer (observations, float64 rewards, terminated and truncated bytes). Pickles begin with
# 0x80, so the two never meet.
RAW_STEP, RAW_STEPPED = b"S", b"F"


def _raw_stepped(stepped):
    """The raw answer of an ordinary step, or None when it has episode ends, failures or infos."""
    if stepped.finals or stepped.failures or stepped.infos:
        return None
    return b"".join(
        (
            RAW_STEPPED,
            stepped.observations.tobytes(),
            np.asarray(stepped.rewards, np.float64).tobytes(),
            bytes(stepped.terminated),
            bytes(stepped.truncated),
        )
    )


def serve_copies(descriptor):
    """A worker process's loop on the socket `descriptor`: first (env_id, env_kwargs), then one command in,
    one answer out ("close" has none). Commands are tuples (name, session id, arguments)."""
    # Ctrl-C in a terminal reaches the whole process group; the server stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    connection = Connection(descriptor)
    try:
        env_id, env_kwargs = connection.recv()
    except (EOFError, OSError):
        return
    sessions: dict = {}
    spin, clock = AdaptiveSpin(WORKER_SPIN_SECONDS), time.perf_counter
    try:
        while True:
            window = spin.next_spin_seconds()
            if window:
                deadline = clock() + window
                while clock() < deadline and not connection.poll(0):
                    pass
            try:
                data = connection.recv_bytes()
            except (EOFError, OSError):
                return  # the server is gone
            spin.request_arrived()
            if data[:1] == RAW_STEP:
                end = 2 + data[1]
                session_id = data[2:end].decode()
                copies = sessions.get(session_id)
                try:
                    if copies is None:
                        raise LookupError(f"gym_bridge worker holds no copies of session '{session_id}'")
                    actions = np.frombuffer(data, copies.action_dtype, offset=end).reshape((len(copies.envs),) + copies.action_shape)
                    stepped = copies.step(actions)
                except Exception as error:  # a bug between server and worker, not a simulator's failure
                    connection.send(("error", pb.INTERNAL, f"{type(error).__name__}: {error}"))
                else:
                    raw = _raw_stepped(stepped)
                    if raw is not None:
                        connection.send_bytes(raw)
                    else:
                        connection.send(("ok", stepped))
                spin.replied()
                continue
            command, session_id, arguments = pickle.loads(data)
            if command == "stop":
                return
            if command == "close":
                copies = sessions.pop(session_id, None)
                if copies is not None:
                    copies.close()
                continue
            try:
                if command == "step":
                    answer: tuple = ("ok", sessions[session_id].step(arguments))
                elif command == "reset":
                    answer = ("ok", sessions[session_id].reset(*arguments))
                elif command == "open":
                    old = sessions.pop(session_id, None)
                    if old is not None:
                        old.close()
                    sessions[session_id] = Copies.made(env_id, env_kwargs, *arguments)
                    answer = ("ok", None)
                else:
                    answer = ("error", pb.INTERNAL, f"gym_bridge worker got an unknown command '{command}'")
            except ProtocolError as error:
                answer = ("error", error.code, error.message)
            except Exception as error:
                answer = ("error", pb.ENVIRONMENT_FAILURE, f"{type(error).__name__}: {error}")
            connection.send(answer)
            spin.replied()
    finally:
        for copies in sessions.values():
            copies.close()


class WorkerLost(Exception):
    """The worker died or gave no answer in time; it has been replaced (its message says which)."""


class Worker:
    """One worker process and the pipe to it. `generation` counts replacements: copies opened in an
    earlier generation are gone."""

    def __init__(self, env_id, env_kwargs, timeout):
        self._env_id, self._env_kwargs = env_id, env_kwargs
        self.timeout = timeout
        self.generation = 0
        self._start()

    def _start(self):
        ours, theirs = socket.socketpair()
        # The worker imports this gym_bridge, wherever it was imported from here.
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", f"from gym_bridge.workers import serve_copies; serve_copies({theirs.fileno()})"],
                pass_fds=(theirs.fileno(),),
                env=environment,
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self.connection = Connection(ours.detach())
        self.connection.send((self._env_id, self._env_kwargs))

    def send(self, command, session_id, arguments):
        """Sends a command; WorkerLost if the worker is gone (it is replaced)."""
        self.send_bytes(pickle.dumps((command, session_id, arguments), pickle.HIGHEST_PROTOCOL))

    def send_bytes(self, data):
        """Sends a pickled or raw command; WorkerLost if the worker is gone (it is replaced)."""
        try:
            self.connection.send_bytes(data)
        except OSError as error:
            raise WorkerLost(self._replace("exited")) from error

    def receive(self):
        """The answer's value (a raw step answer as its bytes); ProtocolError for an error answer;
        WorkerLost if the worker died or gave no answer within `timeout` seconds (it is replaced)."""
        try:
            if not self.connection.poll(0):
                self._await_answer()
            data = self.connection.recv_bytes()
        except (EOFError, OSError) as error:
            raise WorkerLost(self._replace("exited")) from error
        if data[:1] == RAW_STEPPED:
            return data
        answer = pickle.loads(data)
        if answer[0] == "ok":
            return answer[1]
        raise ProtocolError(answer[1], answer[2])

    def _await_answer(self):
        # Looked for without blocking first: the request's client waits for this answer, and on a
        # virtual machine waking a blocked process can take longer than several Pendulum steps.
        clock = time.perf_counter
        deadline = clock() + SPIN_SECONDS
        while clock() < deadline:
            if self.connection.poll(0):
                return
        if self.timeout is not None and not self.connection.poll(self.timeout):
            raise WorkerLost(self._replace(f"gave no answer within {self.timeout:g} s"))

    def call(self, command, session_id, arguments):
        self.send(command, session_id, arguments)
        return self.receive()

    def _replace(self, what):
        """Kills the process (if it still runs) and starts a new one; returns what happened, for messages."""
        pid, alive = self.process.pid, self.process.poll() is None
        if alive:
            self.process.kill()
        try:
            code = self.process.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        if alive or code is None:
            how = ""  # killed here: its exit code says nothing
        elif code < 0:
            try:
                how = f" (killed by {signal.Signals(-code).name})"
            except ValueError:
                how = f" (killed by signal {-code})"
        else:
            how = f" (exit code {code})"
        self.connection.close()
        self.generation += 1
        self._start()
        return f"the gym_bridge worker process {pid} holding it {what}{how}"

    def stop(self):
        try:
            self.connection.send(("stop", "", None))
        except OSError:
            pass
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.connection.close()


class WorkerPool:
    """`count` worker processes that make copies of `env_id` with `gymnasium.make(env_id, **env_kwargs)`."""

    def __init__(self, env_id, env_kwargs, count, timeout=60.0):
        if count < 1:
            raise ValueError(f"a worker pool needs at least one worker, got {count}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"the worker timeout must be > 0 seconds, got {timeout}")
        self.workers = []
        try:
            for _ in range(count):
                self.workers.append(Worker(env_id, dict(env_kwargs), timeout))
        except BaseException:
            self.close()
            raise

    def close(self):
        for worker in self.workers:
            worker.stop()
        self.workers = []


class RemoteCopies:
    """Copies `offset` ..< `offset + count` of one session, held by one worker: the same step and reset as
    `Copies`, split into a send (so several workers and the server step at once) and a receive."""

    def __init__(self, worker, session_id, count, offset, observation_shape, observation_dtype):
        self.worker, self.session_id, self.count, self.offset = worker, session_id, count, offset
        self.observation_shape, self.observation_dtype = tuple(observation_shape), np.dtype(observation_dtype)
        self._lost = None
        self.generation = worker.generation
        self._step_prefix = RAW_STEP + bytes([len(session_id.encode())]) + session_id.encode()
        self.worker.call("open", session_id, self._open_arguments())

    def _open_arguments(self):
        return (self.count, self.offset, self.observation_shape, self.observation_dtype)

    def send_step(self, actions):
        if self.generation != self.worker.generation:
            self._lost = "the gym_bridge worker process holding it was replaced after an earlier failure"
            return
        try:
            self.worker.send_bytes(self._step_prefix + actions.tobytes())
        except WorkerLost as lost:
            self._lost = str(lost)

    def receive_step(self):
        """The `Stepped` of this range. When the worker was lost, every copy is a failure, restarted in the
        replacement worker with a new episode (zeros if even that fails; then the next step tries again)."""
        if self._lost is None:
            try:
                answer = self.worker.receive()
                return self._from_raw(answer) if isinstance(answer, bytes) else answer
            except WorkerLost as lost:
                self._lost = str(lost)
            except ProtocolError as error:  # a worker that does not hold these copies (a bug)
                self._lost = f"the gym_bridge worker process holding it could not step it: {error.message}"
        message, self._lost = self._lost, None
        try:
            observations = self._reopened_and_reset([None] * self.count, [None] * self.count)
        except (WorkerLost, ProtocolError) as error:
            message += f"; restarting it failed too: {error}"
            observations = np.zeros((self.count,) + self.observation_shape, self.observation_dtype)
        failure = f"{message}; the copy restarted with a new episode"
        return Stepped(
            observations,
            [0.0] * self.count,
            [False] * self.count,
            [False] * self.count,
            [],
            [(self.offset + i, failure) for i in range(self.count)],
            [],
        )

    def _from_raw(self, data):
        """The `Stepped` of a raw step answer (see `_raw_stepped`)."""
        count, shape, dtype = self.count, self.observation_shape, self.observation_dtype
        values = count * int(np.prod(shape, dtype=np.int64))
        observations = np.frombuffer(data, dtype, count=values, offset=1).reshape((count,) + shape)
        at = 1 + values * dtype.itemsize
        rewards = np.frombuffer(data, np.float64, count=count, offset=at).tolist()
        at += 8 * count
        terminated = [flag != 0 for flag in data[at : at + count]]
        truncated = [flag != 0 for flag in data[at + count : at + 2 * count]]
        return Stepped(observations, rewards, terminated, truncated, [], [], [])

    def send_reset(self, seeds, states, only=None):
        self._reset_arguments = (seeds, states, only)
        self._lost = None
        if self.generation != self.worker.generation:
            self._lost = "the worker was replaced"  # receive_reset makes the copies again
            return
        try:
            self.worker.send("reset", self.session_id, self._reset_arguments)
        except WorkerLost as lost:
            self._lost = str(lost)

    def receive_reset(self):
        """The stacked observations; ProtocolError naming the first copy that failed. A lost worker's
        copies are made again in its replacement and reset there."""
        if self._lost is None:
            try:
                return self.worker.receive()
            except WorkerLost as lost:
                self._lost = str(lost)
        self._lost = None
        try:
            return self._reopened_and_reset(*self._reset_arguments)
        except WorkerLost as lost:
            raise ProtocolError(
                pb.ENVIRONMENT_FAILURE, f"environments {self.offset}..{self.offset + self.count - 1} could not be made again: {lost}"
            ) from lost

    def _reopened_and_reset(self, seeds, states, only=None):
        """Makes the copies again in the (replacement) worker and resets them (every one: they are all new),
        returning the observations of those `only` lists (all by default). If they cannot be made, they
        stay marked as not open anywhere, so the next request tries again."""
        self.generation = -1
        generation = self.worker.generation
        self.worker.call("open", self.session_id, self._open_arguments())
        self.generation = generation
        observations = self.worker.call("reset", self.session_id, (seeds, states, None))
        return observations if only is None else observations[list(only)]

    def close(self):
        if self.generation == self.worker.generation:
            try:
                self.worker.send("close", self.session_id, None)
            except WorkerLost:
                pass
