#!/usr/bin/env python3
"""Example 6: Python steps a simulator served by Swift. Starts `sac serve --env pendulum`, steps it through
gym_bridge.RemoteEnv (a gymnasium.Env) with a hand-written controller, and prints the returns.

    python3 examples/python_client.py [--sac .build/release/sac] [--episodes 3]

Any Python RL library takes the same object. With Stable-Baselines3 installed, three lines train SAC on it:

    from stable_baselines3 import SAC
    from gym_bridge import RemoteEnv
    SAC("MlpPolicy", RemoteEnv("tcp://127.0.0.1:5555")).learn(20_000)

(RemoteVectorEnv(address) is the batched form, for a server started with --num-envs N.)
"""
import argparse
import re
import subprocess

import numpy as np

from gym_bridge import RemoteEnv

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--sac", default=".build/release/sac", help="the sac executable")
parser.add_argument("--episodes", type=int, default=3)
arguments = parser.parse_args()

server = subprocess.Popen([arguments.sac, "serve", "--env", "pendulum", "--bind", "tcp://127.0.0.1:*"], stderr=subprocess.PIPE)
try:
    address = re.search(r"tcp://[0-9.]+:[0-9]+", server.stderr.readline().decode()).group(0)
    env = RemoteEnv(address)
    print(f"stepping {env.metadata['env_id']} served by sac serve at {address}")
    for episode in range(arguments.episodes):
        observation, _ = env.reset(seed=episode)
        total, done = 0.0, False
        while not done:
            cos_theta, sin_theta, velocity = observation
            # No learning: pump energy (θ̈ = 15 sin θ + 3u, so E = θ̇²/2 + 15 cos θ is 15 upright and still)
            # until the pendulum can reach the top, then hold it there.
            angle, energy = np.arctan2(sin_theta, cos_theta), 0.5 * velocity ** 2 + 15 * cos_theta
            if cos_theta > 0.9:
                torque = -10 * angle - 2 * velocity
            else:
                torque = 2.0 * np.sign(velocity or 1.0) * (1 if energy < 15 else -1)
            observation, reward, terminated, truncated, _ = env.step(np.clip([torque], -2, 2).astype(np.float32))
            total += reward
            done = terminated or truncated
        print(f"episode {episode} (seed {episode}): return {total:.1f}")
    env.close()
finally:
    server.kill()
    server.wait()
