"""The Gymnasium server: sessions, batching, auto-reset, the state hook, exactly-once retries and every error code."""

import time

import gymnasium as gym
import numpy as np
import pytest

from gym_bridge import EnvironmentServer, array_from_tensor, tensor_from_array
from gym_bridge import envbridge_pb2 as pb


def call(server, **fields):
    reply = pb.Reply()
    reply.ParseFromString(server.handle(pb.Request(**fields).SerializeToString()))
    return reply


def opened(server, reset=True, **handshake):
    reply = call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=1, **handshake))
    assert reply.WhichOneof("kind") == "handshake", reply
    session = reply.handshake.session_id
    if reset:
        seeds = [pb.Seed(present=True, value=i) for i in range(reply.handshake.num_envs)]
        assert call(server, request_id=2, session_id=session, reset=pb.ResetRequest(seeds=seeds)).WhichOneof("kind") == "reset"
    return session, reply


def remote_call(socket, **fields):
    """One request over a ZeroMQ REQ socket, its reply parsed."""
    socket.send(pb.Request(**fields).SerializeToString())
    reply = pb.Reply()
    reply.ParseFromString(socket.recv())
    return reply


def step(server, session, actions, request_id=3):
    return call(server, request_id=request_id, session_id=session, step=pb.StepRequest(actions=tensor_from_array(actions, np.float32)))


def error_code(reply):
    assert reply.WhichOneof("kind") == "error", reply
    assert reply.error.message
    return pb.ErrorCode.Name(reply.error.code)


def test_handshake_reports_spaces_dtypes_and_session():
    server = EnvironmentServer("Pendulum-v1", num_envs=2)
    _, reply = opened(server, reset=False)
    h = reply.handshake
    assert (h.protocol_major, h.environment_id, h.num_envs, h.max_episode_steps) == (1, "Pendulum-v1", 2, 200)
    assert array_from_tensor(h.action_space.high).tolist() == [2.0]
    assert h.observation_space.low.dtype == pb.FLOAT32 and reply.server_instance_id == server.instance_id


def test_session_and_instance_ids_are_short_distinct_hex_strings():
    # At most 15 ASCII characters: a Swift client holds such a string inline, reading it without allocating.
    server, other = EnvironmentServer("Pendulum-v1"), EnvironmentServer("Pendulum-v1")
    sessions = [opened(server, reset=False)[0] for _ in range(20)]
    for identifier in sessions + [server.instance_id, other.instance_id]:
        assert 0 < len(identifier) <= 15 and all(c in "0123456789abcdef" for c in identifier), identifier
    assert len(set(sessions)) == len(sessions) and server.instance_id != other.instance_id


def test_seeded_reset_matches_gymnasium_and_no_seed_differs_from_seed_zero():
    server = EnvironmentServer("Pendulum-v1", num_envs=3)
    session, _ = opened(server, reset=False)
    reply = call(
        server,
        request_id=5,
        session_id=session,
        reset=pb.ResetRequest(seeds=[pb.Seed(present=True, value=0), pb.Seed(present=True, value=7), pb.Seed()]),
    )
    observations = array_from_tensor(reply.reset.observations)
    expected, _ = gym.make("Pendulum-v1").reset(seed=7)
    np.testing.assert_array_equal(observations[1], expected)
    assert not np.array_equal(observations[0], observations[2])
    assert [s.present for s in reply.reset.seeds_used] == [True, True, False]


def test_state_hook_and_float64_cast_request():
    server = EnvironmentServer("Pendulum-v1")
    session, reply = opened(server, reset=False, observation_dtype=pb.FLOAT64)
    assert reply.handshake.observation_space.low.dtype == pb.FLOAT64
    reply = call(server, request_id=5, session_id=session, reset=pb.ResetRequest(states=[tensor_from_array([0.5, -1.0], np.float64)]))
    observation = array_from_tensor(reply.reset.observations)[0]
    assert observation.dtype == np.float64
    np.testing.assert_allclose(observation, [np.cos(0.5), np.sin(0.5), -1.0], rtol=1e-6)


def test_batched_steps_auto_reset_with_true_final_observations():
    server = EnvironmentServer("Pendulum-v1", num_envs=2)
    session, _ = opened(server)
    for t in range(1, 201):
        reply = step(server, session, [[1.0], [-1.0]], request_id=10 + t)
        assert reply.WhichOneof("kind") == "step", reply
        s = reply.step
        assert len(s.rewards) == 2 and array_from_tensor(s.observations).shape == (2, 3)
        assert s.server_step_seconds >= 0
    assert list(s.truncated) == [True, True] and sorted(f.index for f in s.final_observations) == [0, 1]
    final = array_from_tensor(s.final_observations[0].observation)
    assert not np.array_equal(final, array_from_tensor(s.observations)[0])


def test_every_error_code_is_a_reply_and_the_server_keeps_serving():
    server = EnvironmentServer("Pendulum-v1")
    session, _ = opened(server, reset=False)
    assert error_code(step(server, session, [[0.0]])) == "RESET_NEEDED"
    call(server, request_id=4, session_id=session, reset=pb.ResetRequest())
    assert error_code(step(server, session, [[0.0, 1.0]], 5)) == "WRONG_SHAPE"
    assert error_code(step(server, session, [[np.nan]], 6)) == "NON_FINITE_ACTION"
    too_large = call(server, request_id=61, session_id=session, step=pb.StepRequest(actions=tensor_from_array(np.array([[1e300]]))))
    assert error_code(too_large) == "NON_FINITE_ACTION" and "beyond the float32 range" in too_large.error.message
    assert error_code(call(server, request_id=7, session_id="nope", reset=pb.ResetRequest())) == "UNKNOWN_SESSION"
    bad_dtype = pb.Request(request_id=8, session_id=session, step=pb.StepRequest(actions=pb.Tensor(dtype=0, shape=[1, 1], data=b"\0" * 4)))
    reply = pb.Reply()
    reply.ParseFromString(server.handle(bad_dtype.SerializeToString()))
    assert error_code(reply) == "WRONG_DTYPE"
    mismatch = call(server, request_id=9, handshake=pb.HandshakeRequest(protocol_major=3, protocol_minor=1))
    assert error_code(mismatch) == "UNSUPPORTED_VERSION" and "3.1" in mismatch.error.message and "1.1" in mismatch.error.message
    reply.ParseFromString(server.handle(b"\xff" * 30))
    assert error_code(reply) == "BAD_REQUEST"
    reply.ParseFromString(server.handle(b"\x00" * (server.max_message_bytes + 1)))
    assert error_code(reply) == "BAD_REQUEST"
    assert step(server, session, [[0.5]], 10).WhichOneof("kind") == "step"


def test_environment_failure_is_reported_per_environment():
    server = EnvironmentServer("Pendulum-v1", num_envs=2)
    session, _ = opened(server)

    class Exploding(gym.Wrapper):
        def step(self, action):
            raise RuntimeError("simulator exploded")

    server.sessions[session].envs[1] = Exploding(server.sessions[session].envs[1])
    reply = step(server, session, [[0.0], [0.0]])
    assert reply.WhichOneof("kind") == "step"
    assert [(f.index, pb.ErrorCode.Name(f.code)) for f in reply.step.failures] == [(1, "ENVIRONMENT_FAILURE")]
    assert "exploded" in reply.step.failures[0].message and reply.step.rewards[0] != 0


def test_retry_with_same_request_id_does_not_step_twice():
    server = EnvironmentServer("Pendulum-v1")
    session, _ = opened(server)
    first = server.handle(
        pb.Request(
            request_id=50, session_id=session, step=pb.StepRequest(actions=tensor_from_array([[1.0]], np.float32))
        ).SerializeToString()
    )
    again = server.handle(
        pb.Request(
            request_id=50, session_id=session, step=pb.StepRequest(actions=tensor_from_array([[1.0]], np.float32))
        ).SerializeToString()
    )
    assert first == again
    assert server.sessions[session].envs[0].get_wrapper_attr("_elapsed_steps") == 1  # stepped once, not twice


def test_non_box_spaces_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="Box spaces only"):
        EnvironmentServer("CartPole-v1")


def test_idle_sessions_expire_and_close_forgets():
    server = EnvironmentServer("Pendulum-v1", session_timeout=0.0)
    session, _ = opened(server, reset=False)
    import time

    time.sleep(0.01)
    assert error_code(call(server, request_id=3, session_id=session, reset=pb.ResetRequest())) == "UNKNOWN_SESSION"
    server = EnvironmentServer("Pendulum-v1")
    session, _ = opened(server)
    assert call(server, request_id=9, session_id=session, close=pb.CloseRequest()).WhichOneof("kind") == "close"
    assert session not in server.sessions


def test_a_bug_in_the_server_is_still_answered_as_internal(monkeypatch):
    server = EnvironmentServer("Pendulum-v1")
    session, _ = opened(server)

    def broken(*_):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(server, "_step", broken)
    reply = step(server, session, [[0.0]])
    assert error_code(reply) == "INTERNAL" and "ZeroDivisionError" in reply.error.message


def test_hand_written_step_replies_are_the_bytes_protobuf_writes():
    from gym_bridge.codec import StepReplyWriter

    rng = np.random.default_rng(5)
    for trial in range(300):
        n, width = int(rng.integers(0, 5)), int(rng.integers(1, 18))
        dtype = np.float32 if trial % 2 else np.float64
        observations = rng.normal(size=(n, width)).astype(dtype)
        if n and trial % 7 == 0:
            observations[0, 0] = np.inf
        rewards = [float(r) for r in rng.normal(size=n)]
        terminated = [bool(b) for b in rng.integers(0, 2, size=n)]
        truncated = [bool(b) for b in rng.integers(0, 2, size=n)]
        finals = [(i, rng.normal(size=width).astype(dtype)) for i in range(n) if terminated[i] or truncated[i]]
        request_id = int(rng.choice([0, 1, 127, 128, 2**63 + 5]))
        instance = ["", "0123456789abcdef", "é" * 70][trial % 3]
        seconds = [0.0, 1.5e-6, float(rng.random())][trial % 3]
        expected = pb.Reply(
            request_id=request_id,
            server_instance_id=instance,
            step=pb.StepReply(
                observations=tensor_from_array(observations),
                rewards=rewards,
                terminated=terminated,
                truncated=truncated,
                final_observations=[pb.FinalObservation(index=i, observation=tensor_from_array(o)) for i, o in finals],
                server_step_seconds=seconds,
            ),
        ).SerializeToString()
        writer = StepReplyWriter(instance, (n, width), dtype)
        assert writer.write(request_id, observations, rewards, terminated, truncated, seconds, finals=finals) == expected, trial


def test_replies_with_infos_or_failures_still_decode():
    # Pendulum reports no infos; a step that adds one takes the protobuf-built reply instead of the hand-written one.
    server = EnvironmentServer("Pendulum-v1")
    session, _ = opened(server)
    env = server.sessions[session].envs[0]
    original = env.step
    env.step = lambda action: original(action)[:4] + ({"energy": 2.5},)
    reply = step(server, session, np.array([[0.5]]))
    assert reply.WhichOneof("kind") == "step"
    assert [dict(info.values) for info in reply.step.infos] == [{"energy": 2.5}]


def test_a_multipart_request_is_refused_with_its_first_frames_request_id():
    import threading

    import zmq

    server = EnvironmentServer("Pendulum-v1")
    stop = threading.Event()
    endpoint = f"tcp://127.0.0.1:{31000 + int(np.random.default_rng().integers(0, 1000))}"
    thread = threading.Thread(target=server.serve, args=(endpoint,), kwargs=dict(stop=stop.is_set, log=open("/dev/null", "w")))
    thread.start()
    try:
        socket = zmq.Context.instance().socket(zmq.REQ)
        socket.setsockopt(zmq.RCVTIMEO, 5000)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(endpoint)
        hello = pb.Request(request_id=41, handshake=pb.HandshakeRequest(protocol_major=1)).SerializeToString()
        socket.send_multipart([hello, hello])
        reply = pb.Reply.FromString(socket.recv())
        assert error_code(reply) == "BAD_REQUEST" and reply.request_id == 41 and not server.sessions
        socket.close()
    finally:
        stop.set()
        thread.join()


def test_spinning_server_answers_a_quick_client_and_a_slow_one():
    import threading
    import time

    import zmq

    server = EnvironmentServer("Pendulum-v1", spin_us=500)
    stop = threading.Event()
    endpoint = f"tcp://127.0.0.1:{29000 + int(np.random.default_rng().integers(0, 1000))}"
    thread = threading.Thread(target=server.serve, args=(endpoint,), kwargs=dict(stop=stop.is_set, log=open("/dev/null", "w")))
    thread.start()
    try:
        context = zmq.Context.instance()
        socket = context.socket(zmq.REQ)
        socket.setsockopt(zmq.RCVTIMEO, 5000)
        socket.connect(endpoint)

        def remote(**fields):
            return remote_call(socket, **fields)

        session = remote(request_id=1, handshake=pb.HandshakeRequest(protocol_major=1)).handshake.session_id
        remote(request_id=2, session_id=session, reset=pb.ResetRequest(seeds=[pb.Seed(present=True, value=3)]))
        local = gym.make("Pendulum-v1")
        local.reset(seed=3)
        for t in range(40):
            if t % 10 == 9:
                time.sleep(0.01)  # a slow client now and then: the server blocks instead
            action = np.array([[np.sin(t)]], np.float32)
            reply = remote(request_id=3 + t, session_id=session, step=pb.StepRequest(actions=tensor_from_array(action)))
            observation, reward, *_ = local.step(action[0])
            assert np.allclose(array_from_tensor(reply.step.observations)[0], observation, atol=1e-6), t
            assert abs(reply.step.rewards[0] - reward) < 1e-5
        socket.close(0)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    with pytest.raises(ValueError):
        EnvironmentServer("Pendulum-v1", spin_us=-1)


def test_step_request_template_reads_exactly_what_protobuf_decodes():
    from gym_bridge.codec import StepRequestTemplate

    rng = np.random.default_rng(11)
    for trial in range(300):
        session = ["", "a", "0123456789abcde", "é" * 40][trial % 4]
        shape = [(1, 1), (3, 6), (2,), (), (4, 2, 2)][trial % 5]
        dtype = np.float32 if trial % 2 else np.float64
        actions = rng.normal(size=shape).astype(dtype)
        request_id = [0, 1, 127, 128, 16383, 16384, 2**63 + 5, 2**64 - 1][trial % 8]
        frame = pb.Request(
            request_id=request_id, session_id=session, step=pb.StepRequest(actions=tensor_from_array(actions))
        ).SerializeToString()
        template = StepRequestTemplate(session, dtype, shape)
        matched = template.match(frame)
        assert matched is not None, trial
        assert matched[0] == request_id and matched[1].dtype == dtype and matched[1].shape == shape
        assert np.array_equal(matched[1], actions), trial
        # Anything else is left to protobuf: another session, shape or dtype, or bytes cut, added or overlong.
        others = [
            StepRequestTemplate(session + "x", dtype, shape),
            StepRequestTemplate(session, dtype, shape + (1,)),
            StepRequestTemplate(session, np.float64 if dtype == np.float32 else np.float32, shape),
        ]
        assert all(other.match(frame) is None for other in others), trial
        assert template.match(frame[:-1]) is None and template.match(frame + b"\x00") is None
        assert template.match(b"\x08" + b"\xff" * 10 + b"\x01" + frame[1:]) is None
    handshake = pb.Request(request_id=1, handshake=pb.HandshakeRequest(protocol_major=1)).SerializeToString()
    assert StepRequestTemplate("", np.float32, (1, 1)).match(handshake) is None


def test_step_reply_writer_writes_the_bytes_protobuf_writes():
    from gym_bridge.codec import StepReplyWriter

    rng = np.random.default_rng(12)
    for trial in range(300):
        n, width = int(rng.integers(1, 6)), int(rng.integers(1, 18))
        dtype = np.float32 if trial % 2 else np.float64
        observations = rng.normal(size=(n, width))  # float64, cast by the writer for float32 sessions
        rewards = [float(r) for r in rng.normal(size=n)]
        terminated = [bool(b) for b in rng.integers(0, 2, size=n)]
        truncated = [bool(b) for b in rng.integers(0, 2, size=n)]
        request_id = [0, 1, 127, 128, 16384, 2**63 + 5, 2**64 - 1][trial % 7]
        instance = ["", "0123456789abcde", "é" * 70][trial % 3]
        seconds = [1.5e-6, float(rng.random()), -2.0][trial % 3]
        expected = pb.Reply(
            request_id=request_id,
            server_instance_id=instance,
            step=pb.StepReply(
                observations=tensor_from_array(observations, dtype),
                rewards=rewards,
                terminated=terminated,
                truncated=truncated,
                server_step_seconds=seconds,
            ),
        ).SerializeToString()
        writer = StepReplyWriter(instance, (n, width), dtype)
        assert writer.write(request_id, observations, rewards, terminated, truncated, seconds) == expected, trial


def test_interleaved_sessions_each_step_their_own_environments():
    # Step requests are matched against the last session's template first: another session's request
    # must still reach its own environment.
    server = EnvironmentServer("Pendulum-v1")
    sessions = []
    for seed in (1, 2):
        session, _ = opened(server, reset=False)
        call(server, request_id=2, session_id=session, reset=pb.ResetRequest(seeds=[pb.Seed(present=True, value=seed)]))
        sessions.append(session)
    references = [gym.make("Pendulum-v1") for _ in (1, 2)]
    for reference, seed in zip(references, (1, 2), strict=False):
        reference.reset(seed=seed)
    for t in range(3, 40):
        for session, reference in zip(sessions, references, strict=False):
            action = np.array([[np.sin(t)]], np.float32)
            reply = step(server, session, action, request_id=t)
            expected, reward, _, _, _ = reference.step(action[0])
            assert np.array_equal(array_from_tensor(reply.step.observations)[0], expected) and reply.step.rewards[0] == float(reward), t


def test_an_observation_of_the_wrong_shape_fails_its_copy_alone():
    # A simulator bug in one copy: that copy's step is a failure (and it restarts); the other copy's step
    # still arrives. A reset that returns one is an error naming the shapes.
    server = EnvironmentServer("Pendulum-v1", num_envs=2)
    session, _ = opened(server)
    env = server.sessions[session].envs[1]
    original = env.step
    env.step = lambda action: (np.zeros(4, np.float32),) + tuple(original(action)[1:])
    reply = step(server, session, np.array([[0.5], [0.5]]))
    assert reply.WhichOneof("kind") == "step", reply
    assert [failure.index for failure in reply.step.failures] == [1] and "shape [4]" in reply.step.failures[0].message
    assert array_from_tensor(reply.step.observations).shape == (2, 3) and reply.step.rewards[0] != 0.0
    original_reset = env.reset
    env.reset = lambda **kwargs: (np.zeros(2, np.float32), {})
    reply = call(server, request_id=9, session_id=session, reset=pb.ResetRequest())
    assert error_code(reply) == "ENVIRONMENT_FAILURE" and "shape [2]" in reply.error.message
    env.reset = original_reset


def test_step_reply_writer_writes_infos_protobuf_reads_back():
    # Map entries have no fixed order on the wire, so the writer's replies are compared as parsed messages.
    from gym_bridge.codec import StepReplyWriter

    rng = np.random.default_rng(13)
    keys = ["x_position", "reward_ctrl", "", "é" * 3, "k" * 200]
    writer = StepReplyWriter("0123456789abcde", (3, 17), np.float32)
    for trial in range(200):
        observations = rng.normal(size=(3, 17)).astype(np.float32)
        rewards = [float(r) for r in rng.normal(size=3)]
        terminated, truncated = [False, bool(trial % 2), False], [bool(trial % 3 == 0), False, False]
        infos = [{key: float(rng.normal()) for key in keys if rng.random() < 0.6} for _ in range(3)]
        if trial % 5 == 0:
            infos[1] = {"zero": 0.0, "negative zero": -0.0}
        written = writer.write(trial, observations, rewards, terminated, truncated, 2.5e-5, infos)
        expected = pb.Reply(
            request_id=trial,
            server_instance_id="0123456789abcde",
            step=pb.StepReply(
                observations=tensor_from_array(observations),
                rewards=rewards,
                terminated=terminated,
                truncated=truncated,
                infos=[pb.Info(values=values) for values in infos],
                server_step_seconds=2.5e-5,
            ),
        )
        assert pb.Reply.FromString(written) == expected, trial


def test_console_script_names_main_and_the_package_is_typed():
    import importlib
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    module, _, function = project["project"]["scripts"]["gym-bridge"].partition(":")
    main = getattr(importlib.import_module(module), function)
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert (root / "gym_bridge" / "py.typed").exists()
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["gym_bridge"]


def test_step_delay_models_a_slow_simulator():
    server = EnvironmentServer("Pendulum-v1", num_envs=2, step_delay_ms=30)
    session, _ = opened(server)
    began = time.perf_counter()
    reply = step(server, session, np.zeros((2, 1), np.float32))
    assert reply.WhichOneof("kind") == "step"
    assert time.perf_counter() - began >= 0.030
    assert reply.step.server_step_seconds >= 0.030  # one sleep per request, counted as stepping time
    server.close()
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError):
            EnvironmentServer("Pendulum-v1", step_delay_ms=bad)


@pytest.mark.parametrize("workers", [0, 2])
def test_reset_of_some_environments_leaves_the_others_episodes_going(workers):
    """Protocol 1.1: a reset naming env_indices restarts those environments alone (seeded as Gymnasium
    would) and the others step on exactly as if nothing happened; with and without worker processes."""
    reference, server = EnvironmentServer("Pendulum-v1", num_envs=3), EnvironmentServer("Pendulum-v1", num_envs=3, workers=workers)
    try:
        (ref_session, _), (session, hello) = opened(reference), opened(server)
        assert hello.handshake.protocol_minor >= 1
        for t in range(5):
            step(reference, ref_session, [[0.5], [0.5], [0.5]], request_id=10 + t)
            step(server, session, [[0.5], [0.5], [0.5]], request_id=10 + t)
        reply = call(
            server, request_id=20, session_id=session, reset=pb.ResetRequest(seeds=[pb.Seed(present=True, value=9)], env_indices=[1])
        )
        assert reply.WhichOneof("kind") == "reset", reply
        expected, _ = gym.make("Pendulum-v1").reset(seed=9)
        np.testing.assert_array_equal(array_from_tensor(reply.reset.observations), expected[None].astype(np.float32))
        assert [s.value for s in reply.reset.seeds_used] == [9]
        after = array_from_tensor(step(server, session, [[0.5], [0.5], [0.5]], request_id=30).step.observations)
        untouched = array_from_tensor(step(reference, ref_session, [[0.5], [0.5], [0.5]], request_id=30).step.observations)
        np.testing.assert_array_equal(after[[0, 2]], untouched[[0, 2]])
        assert not np.array_equal(after[1], untouched[1])

        def bad(**fields):
            return error_code(call(server, request_id=40, session_id=session, reset=pb.ResetRequest(**fields)))

        assert bad(env_indices=[3]) == "BAD_REQUEST" and bad(env_indices=[2, 1]) == "BAD_REQUEST"
        assert bad(env_indices=[0], seeds=[pb.Seed(present=True, value=1)] * 2) == "WRONG_SHAPE"
        fresh, _ = opened(server, reset=False)
        assert error_code(call(server, request_id=41, session_id=fresh, reset=pb.ResetRequest(env_indices=[0]))) == "RESET_NEEDED"
    finally:
        reference.close()
        server.close()


def test_a_close_retried_after_its_reply_was_lost_gets_the_same_reply():
    server = EnvironmentServer("Pendulum-v1")
    session, _ = opened(server)
    first = server.handle(pb.Request(request_id=7, session_id=session, close=pb.CloseRequest()).SerializeToString())
    again = server.handle(pb.Request(request_id=7, session_id=session, close=pb.CloseRequest()).SerializeToString())
    assert first == again and call(server, request_id=7, session_id=session, close=pb.CloseRequest()).WhichOneof("kind") == "close"
    assert error_code(call(server, request_id=8, session_id=session, close=pb.CloseRequest())) == "UNKNOWN_SESSION"


def test_a_retried_handshake_gets_the_same_session_not_a_second():
    server = EnvironmentServer("Pendulum-v1")
    hello = pb.Request(request_id=1, handshake=pb.HandshakeRequest(protocol_major=1, client_nonce="a1b2")).SerializeToString()
    first, again = server.handle(hello), server.handle(hello)
    assert first == again and len(server.sessions) == 1
    other = call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=1, client_nonce="c3d4"))
    assert len(server.sessions) == 2 and other.handshake.session_id != pb.Reply.FromString(first).handshake.session_id
    call(server, request_id=2, session_id=pb.Reply.FromString(first).handshake.session_id, close=pb.CloseRequest())
    assert server.handle(hello) != first and len(server.sessions) == 2  # after a close, the nonce opens a new one


def test_a_refused_reset_changes_nothing():
    """A reset with one start state of the wrong size is refused before any environment is touched: the
    session steps on exactly as a twin session that was never sent it."""
    server = EnvironmentServer("Pendulum-v1", num_envs=3)
    refused, twin = opened(server)[0], opened(server)[0]
    states = [tensor_from_array(np.array([0.1, 0.0]), np.float64), tensor_from_array(np.array([1.0, 2.0, 3.0]), np.float64)]
    bad = call(server, request_id=9, session_id=refused, reset=pb.ResetRequest(env_indices=[0, 2], states=states))
    assert error_code(bad) == "WRONG_SHAPE"
    actions = [[0.5], [-0.5], [1.0]]
    assert step(server, refused, actions, 10).step.observations == step(server, twin, actions, 10).step.observations


def test_a_nonce_reused_with_another_request_is_refused():
    """A client nonce is an idempotency key: reused with anything else changed the handshake is refused with
    BAD_REQUEST echoing its own request id, UNSUPPORTED_VERSION first for another major; no session opens."""
    server = EnvironmentServer("Pendulum-v1")
    call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=1, client_nonce="a1b2"))
    other_id = call(server, request_id=2, handshake=pb.HandshakeRequest(protocol_major=1, client_nonce="a1b2"))
    assert error_code(other_id) == "BAD_REQUEST" and other_id.request_id == 2
    float64 = call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=1, client_nonce="a1b2", observation_dtype=pb.FLOAT64))
    assert error_code(float64) == "BAD_REQUEST"
    major2 = call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=2, client_nonce="a1b2"))
    assert error_code(major2) == "UNSUPPORTED_VERSION" and len(server.sessions) == 1


def test_a_closes_reply_answers_only_a_retried_close():
    server = EnvironmentServer("Pendulum-v1")
    session = call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=1)).handshake.session_id
    call(server, request_id=7, session_id=session, close=pb.CloseRequest())
    assert error_code(call(server, request_id=7, session_id=session, reset=pb.ResetRequest())) == "UNKNOWN_SESSION"
    assert call(server, request_id=7, session_id=session, close=pb.CloseRequest()).WhichOneof("kind") == "close"


def test_a_retried_handshake_counts_as_use_of_its_session():
    """Every request that reaches a session is a use, a retried handshake included: it is not the idlest."""
    server = EnvironmentServer("Pendulum-v1", max_sessions=2, eviction_grace=0.2)
    hello = pb.Request(request_id=1, handshake=pb.HandshakeRequest(protocol_major=1, client_nonce="e5f6")).SerializeToString()
    first = pb.Reply.FromString(server.handle(hello)).handshake.session_id
    second = opened(server)[0]
    time.sleep(0.3)
    assert pb.Reply.FromString(server.handle(hello)).handshake.session_id == first  # the retry: a use of `first`
    assert call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=1)).WhichOneof("kind") == "handshake"
    assert first in server.sessions and second not in server.sessions


def test_a_full_server_evicts_the_idlest_session_past_the_grace_never_an_active_one():
    """A flood of handshakes that never close cannot lock new clients out for long: past the grace period
    a new handshake evicts the least recently used idle session; a session in use is never evicted."""
    server = EnvironmentServer("Pendulum-v1", max_sessions=3, eviction_grace=0.2)
    flood = [opened(server)[0] for _ in range(3)]
    assert error_code(call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=1))) == "ENVIRONMENT_FAILURE"
    time.sleep(0.3)
    assert step(server, flood[0], [[0.0]], 50).WhichOneof("kind") == "step"  # flood[0] is active again
    newcomer = call(server, request_id=1, handshake=pb.HandshakeRequest(protocol_major=1))
    assert newcomer.WhichOneof("kind") == "handshake" and len(server.sessions) == 3
    assert step(server, flood[0], [[0.0]], 51).WhichOneof("kind") == "step"
    assert error_code(step(server, flood[1], [[0.0]], 52)) == "UNKNOWN_SESSION"  # the idlest went
