"""gym_bridge.RemoteEnv and RemoteVectorEnv against both servers: the same seeded rollout as Gymnasium's own
Pendulum, check_env, Gymnasium's vector semantics, and a killed server surfacing as ConnectionLost."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from gym_bridge import ConnectionLost, RemoteEnv, RemoteVectorEnv

ROOT = Path(__file__).resolve().parents[3]
SAC = ROOT / ".build" / "debug" / "sac"


class Server:
    """An envbridge server in a child process, on a loopback port; killed on exit."""

    def __init__(self, kind, num_envs=1, port=None):
        bind = f"tcp://127.0.0.1:{port}" if port else "tcp://127.0.0.1:*"
        if kind == "gym_bridge":
            command = [sys.executable, "-m", "gym_bridge", "serve", "--env", "Pendulum-v1"]
        else:
            if not SAC.exists():
                pytest.skip(f"{SAC} is not built (swift build first)")
            command = [str(SAC), "serve", "--env", "pendulum"]
        environment = dict(os.environ, PYTHONPATH=str(ROOT / "protocol" / "python") + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.process = subprocess.Popen(command + ["--num-envs", str(num_envs), "--bind", bind], stderr=subprocess.PIPE, env=environment)
        line = self.process.stderr.readline().decode()
        match = re.search(r"tcp://[0-9.]+:[0-9]+", line)
        assert match, f"{command} said: {line}"
        self.address = match.group(0)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.kill()


ACTIONS = [np.array([2.5 * np.sin(0.37 * t)], np.float32) for t in range(250)]


@pytest.mark.parametrize("kind", ["gym_bridge", "sac"])
def test_remote_env_steps_as_gymnasium_and_passes_check_env(kind):
    """The same seeded rollout (through the 200-step limit and an unseeded reset) as gymnasium.make: equal
    observations and rewards from gym_bridge (it is Gymnasium's Pendulum); within 1e-5 from sac serve, whose
    Swift Pendulum computes the same float64 dynamics in other instructions (its starts are bit-exact)."""
    with Server(kind) as server:
        env = RemoteEnv(server.address)
        check_env(env)
        local = gym.make("Pendulum-v1")
        tolerance = 0 if kind == "gym_bridge" else 1e-5
        ours, _ = env.reset(seed=5)
        theirs, _ = local.reset(seed=5)
        np.testing.assert_array_equal(ours, theirs)  # seeded starts are bit for bit on both servers
        for t, action in enumerate(ACTIONS):
            ours = env.step(action)
            theirs = local.step(action)
            np.testing.assert_allclose(ours[0], theirs[0], atol=tolerance, rtol=0, err_msg=f"step {t}")
            assert abs(ours[1] - theirs[1]) <= tolerance * max(1, abs(theirs[1])) and ours[2:4] == theirs[2:4], t
            if ours[2] or ours[3]:
                np.testing.assert_array_equal(env.reset()[0], local.reset()[0])
        env.close()


def test_remote_vector_env_is_a_same_step_vector_env():
    """RemoteVectorEnv over a 3-copy session equals Gymnasium's SyncVectorEnv in same-step autoreset mode:
    seeds seed + i, observations, rewards, flags and final observations."""
    with Server("gym_bridge", num_envs=3) as server:
        env = RemoteVectorEnv(server.address)
        local = gym.vector.SyncVectorEnv([lambda: gym.make("Pendulum-v1")] * 3, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
        assert env.num_envs == 3 and env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
        assert env.single_observation_space == local.single_observation_space and env.action_space.shape == (3, 1)
        np.testing.assert_array_equal(env.reset(seed=7)[0], local.reset(seed=7)[0])
        for t in range(205):
            actions = np.stack([ACTIONS[t], -ACTIONS[t], ACTIONS[t] / 2])
            ours, theirs = env.step(actions), local.step(actions)
            for k in range(4):
                np.testing.assert_array_equal(ours[k], theirs[k], err_msg=f"step {t} field {k}")
            if "_final_obs" in theirs[4]:
                assert list(ours[4]["_final_obs"]) == list(theirs[4]["_final_obs"])
                for i in np.flatnonzero(theirs[4]["_final_obs"]):
                    np.testing.assert_array_equal(ours[4]["final_obs"][i], theirs[4]["final_obs"][i])
        assert t == 204
        env.close()


def test_a_killed_server_is_connection_lost_never_a_hang_and_reset_reconnects():
    port = 31000 + int(np.random.default_rng().integers(0, 2000))
    with Server("gym_bridge", port=port) as server:
        env = RemoteEnv(server.address, timeout_ms=300, retries=1)
        env.reset(seed=1)
        env.step(ACTIONS[0])
        server.kill()
        began = time.monotonic()
        with pytest.raises(ConnectionLost):
            env.step(ACTIONS[1])
        assert time.monotonic() - began < 3
        with Server("gym_bridge", port=port):
            observation, _ = env.reset(seed=1)
            np.testing.assert_array_equal(observation, gym.make("Pendulum-v1").reset(seed=1)[0])
            env.step(ACTIONS[2])
        env.close()


def test_curve_keys_and_a_vector_env_that_reconnects_after_its_server_restarted():
    """With the server's CURVE key the session works; without it the client times out (ConnectionLost),
    never hangs. A RemoteVectorEnv whose server restarted raises ConnectionLost and reconnects on reset."""
    import threading

    import zmq

    from gym_bridge import EnvironmentServer

    public, secret = zmq.curve_keypair()
    server, stop = EnvironmentServer("Pendulum-v1"), threading.Event()
    endpoint = f"tcp://127.0.0.1:{33000 + int(np.random.default_rng().integers(0, 2000))}"
    thread = threading.Thread(
        target=server.serve, args=(endpoint,), kwargs=dict(stop=stop.is_set, log=open(os.devnull, "w"), curve_secret_key=secret.decode())
    )
    thread.start()
    try:
        env = RemoteEnv(endpoint, curve_server_key=public.decode(), timeout_ms=2_000)
        np.testing.assert_array_equal(env.reset(seed=3)[0], gym.make("Pendulum-v1").reset(seed=3)[0])
        env.close()
        with pytest.raises(ConnectionLost):
            RemoteEnv(endpoint, timeout_ms=300, retries=0)
    finally:
        stop.set()
        thread.join(timeout=5)

    port = 35000 + int(np.random.default_rng().integers(0, 2000))
    with Server("gym_bridge", num_envs=2, port=port) as first:
        venv = RemoteVectorEnv(first.address, timeout_ms=300, retries=0)
        venv.reset(seed=1)
        first.kill()
        with pytest.raises(ConnectionLost):
            venv.step(np.zeros((2, 1), np.float32))
        with Server("gym_bridge", num_envs=2, port=port):
            observations, _ = venv.reset(seed=1)
            assert observations.shape == (2, 3)
            assert venv.step(np.zeros((2, 1), np.float32))[0].shape == (2, 3)
        venv.close()
