"""Worker processes: the same steps as without them, and a dead or hung worker costs its copies one failed step."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from test_server import call, error_code, opened, remote_call, step

from gym_bridge import EnvironmentServer, array_from_tensor, tensor_from_array
from gym_bridge import envbridge_pb2 as pb
from gym_bridge.server import _split


def run(server, session, steps, num_envs, first_id=10):
    """Every step's (observations, rewards, terminated, truncated, finals) for a fixed action sequence."""
    trace = []
    for t in range(steps):
        actions = np.sin(np.arange(num_envs) + 0.1 * t).astype(np.float32)[:, np.newaxis] * 2
        reply = step(server, session, actions, request_id=first_id + t)
        assert reply.WhichOneof("kind") == "step", reply
        s = reply.step
        assert not s.failures, s.failures
        trace.append(
            (
                array_from_tensor(s.observations),
                list(s.rewards),
                list(s.terminated),
                list(s.truncated),
                [(f.index, array_from_tensor(f.observation).tolist()) for f in s.final_observations],
            )
        )
    return trace


def test_ranges_cover_every_copy_once_with_the_servers_own_among_the_largest():
    for count in range(1, 20):
        for parts in range(1, 6):
            ranges = _split(count, parts)
            assert [i for offset, size in ranges for i in range(offset, offset + size)] == list(range(count))
            sizes = [size for _, size in ranges]
            assert max(sizes) - min(sizes) <= 1 and sizes[0] == max(sizes) and len(ranges) == min(count, parts)


def test_workers_step_exactly_what_one_process_steps_through_episode_ends():
    traces = []
    for workers in (0, 2):
        server = EnvironmentServer("Pendulum-v1", num_envs=5, workers=workers)
        try:
            session, _ = opened(server)
            assert len(server.sessions[session].remote) == workers
            traces.append(run(server, session, 203, 5))
        finally:
            server.close()
    for t, (without, with_workers) in enumerate(zip(*traces, strict=False)):
        np.testing.assert_array_equal(without[0], with_workers[0], err_msg=f"step {t}")
        assert without[1:] == with_workers[1:], t
    assert traces[1][199][3] == [True] * 5 and [i for i, _ in traces[1][199][4]] == [0, 1, 2, 3, 4]


def test_raw_step_answers_carry_float64_observations_and_flags_exactly():
    from gym_bridge.copies import Stepped
    from gym_bridge.workers import RemoteCopies, _raw_stepped

    observations = np.array([[0.1, -2.5, 3e-8], [1.0, 2.0, np.pi]], np.float64)
    stepped = Stepped(observations, [-1.25, 7.0], [False, True], [True, False], [], [], [])
    copies = RemoteCopies.__new__(RemoteCopies)
    copies.count, copies.observation_shape, copies.observation_dtype = 2, (3,), np.dtype(np.float64)
    decoded = copies._from_raw(_raw_stepped(stepped))
    np.testing.assert_array_equal(decoded.observations, observations)
    assert decoded.observations.dtype == np.float64 and decoded[1:] == stepped[1:]
    # Anything beyond observations, rewards and flags travels pickled.
    assert _raw_stepped(stepped._replace(finals=[(1, observations[1])])) is None
    assert _raw_stepped(stepped._replace(infos=[{"x": 1.0}, {}])) is None


def test_a_float64_session_steps_the_same_with_workers():
    traces = []
    for workers in (0, 1):
        server = EnvironmentServer("Pendulum-v1", num_envs=3, workers=workers)
        try:
            session, reply = opened(server, observation_dtype=pb.FLOAT64)
            traces.append(run(server, session, 20, 3))
        finally:
            server.close()
    assert traces[0][-1][0].dtype == traces[1][-1][0].dtype == np.float64
    for without, with_workers in zip(*traces, strict=False):
        np.testing.assert_array_equal(without[0], with_workers[0])
        assert without[1:] == with_workers[1:]


def test_a_reset_error_in_a_worker_is_an_error_reply_and_the_server_goes_on():
    server = EnvironmentServer("Pendulum-v1", num_envs=3, workers=2)
    try:
        session, _ = opened(server)
        states = [tensor_from_array([0.1, 0.0], np.float64)] * 2 + [tensor_from_array([0.1, 0.0, 9.0], np.float64)]
        reply = call(server, request_id=5, session_id=session, reset=pb.ResetRequest(states=states))
        assert error_code(reply) == "WRONG_SHAPE" and "shape [3]" in reply.error.message
        states[2] = tensor_from_array([0.5, -1.0], np.float64)
        reply = call(server, request_id=6, session_id=session, reset=pb.ResetRequest(states=states))
        observations = array_from_tensor(reply.reset.observations)
        np.testing.assert_allclose(observations[2], [np.cos(0.5), np.sin(0.5), -1.0], rtol=1e-6)
        assert step(server, session, np.zeros((3, 1)), 7).WhichOneof("kind") == "step"
    finally:
        server.close()


def failed_indices(reply):
    assert reply.WhichOneof("kind") == "step", reply
    return [f.index for f in reply.step.failures]


def test_a_killed_worker_fails_its_copies_once_in_every_session_and_is_replaced():
    server = EnvironmentServer("Pendulum-v1", num_envs=4, workers=1)
    try:
        first, _ = opened(server)
        second, _ = opened(server)
        worker = server.sessions[first].remote[0].worker
        old_pid = worker.process.pid
        os.kill(old_pid, signal.SIGKILL)
        worker.process.wait(5)
        reply = step(server, first, np.zeros((4, 1)), 20)
        assert failed_indices(reply) == [2, 3]
        assert f"worker process {old_pid} holding it exited (killed by SIGKILL)" in reply.step.failures[0].message
        observations = array_from_tensor(reply.step.observations)
        assert np.all(np.abs(observations[2:, :2]) <= 1) and np.any(observations[2:] != 0)  # new episodes, not zeros
        assert reply.step.rewards[0] != 0 and list(reply.step.rewards[2:]) == [0.0, 0.0]
        assert worker.process.pid != old_pid and worker.process.poll() is None
        assert failed_indices(step(server, first, np.zeros((4, 1)), 21)) == []
        # The other session's copies in that worker were lost with it: one failed step, then steps again.
        request = pb.Request(request_id=22, session_id=second, step=pb.StepRequest(actions=tensor_from_array(np.zeros((4, 1)), np.float32)))
        answer = server.handle(request.SerializeToString())
        reply = pb.Reply()
        reply.ParseFromString(answer)
        assert failed_indices(reply) == [2, 3] and "replaced" in reply.step.failures[0].message
        # A retry of that request is answered from the record, not stepped (or failed) again.
        assert server.handle(request.SerializeToString()) == answer
        assert failed_indices(step(server, second, np.zeros((4, 1)), 23)) == []
    finally:
        server.close()


def test_a_hung_worker_is_replaced_after_the_timeout():
    server = EnvironmentServer("Pendulum-v1", num_envs=2, workers=1, worker_timeout=0.5)
    try:
        session, _ = opened(server)
        worker = server.sessions[session].remote[0].worker
        hung = worker.process
        os.kill(hung.pid, signal.SIGSTOP)
        started = time.monotonic()
        reply = step(server, session, np.zeros((2, 1)), 30)
        assert 0.5 <= time.monotonic() - started < 10
        assert failed_indices(reply) == [1] and "gave no answer within 0.5 s" in reply.step.failures[0].message
        assert hung.poll() is not None  # killed, not left stopped
        assert failed_indices(step(server, session, np.zeros((2, 1)), 31)) == []
    finally:
        server.close()


def test_close_stops_the_workers_and_bad_counts_are_refused():
    server = EnvironmentServer("Pendulum-v1", num_envs=3, workers=5)
    assert server.workers == 2  # no more workers than copies beyond the server's own
    processes = [w.process for w in server._pool.workers]
    opened(server)
    server.close()
    assert all(p.poll() is not None for p in processes)
    with pytest.raises(ValueError):
        EnvironmentServer("Pendulum-v1", workers=-1)
    with pytest.raises(ValueError):
        EnvironmentServer("Pendulum-v1", num_envs=2, workers=1, worker_timeout=0)
    assert EnvironmentServer("Pendulum-v1", num_envs=1, workers=3).workers == 0


def test_the_command_line_server_with_workers_serves_and_stops_them_on_sigterm():
    import zmq

    endpoint = f"ipc:///tmp/gym-bridge-test-{os.getpid()}.sock"
    environment = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    server = subprocess.Popen(
        [sys.executable, "-m", "gym_bridge", "serve", "--env", "Pendulum-v1", "--num-envs", "4", "--workers", "1", "--bind", endpoint],
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.setsockopt(zmq.RCVTIMEO, 20000)
    socket.setsockopt(zmq.LINGER, 0)
    try:
        socket.connect(endpoint)

        def remote(**fields):
            return remote_call(socket, **fields)

        session = remote(request_id=1, handshake=pb.HandshakeRequest(protocol_major=1)).handshake.session_id
        remote(request_id=2, session_id=session, reset=pb.ResetRequest())
        reply = remote(request_id=3, session_id=session, step=pb.StepRequest(actions=tensor_from_array(np.zeros((4, 1)), np.float32)))
        assert reply.WhichOneof("kind") == "step" and not reply.step.failures and len(reply.step.rewards) == 4
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 1
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
        assert "1 worker process)" in server.stderr.read()
        deadline = time.monotonic() + 5
        while os.path.exists(f"/proc/{children[0]}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{children[0]}")
    finally:
        socket.close(0)
        if server.poll() is None:
            server.kill()
