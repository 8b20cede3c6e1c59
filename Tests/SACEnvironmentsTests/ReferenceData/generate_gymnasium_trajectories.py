#!/usr/bin/env python3
"""Writes gymnasium_trajectories.json: reference trajectories from real Gymnasium for the Swift ports.

Each trajectory records the start state (read from env.unwrapped.state after a seeded reset), the
actions taken (some deliberately out of bounds, to check clipping) and, per step, what Gymnasium returned.
The Swift test starts its port from the same state, feeds the same actions, and compares.

    pip install gymnasium==1.4.0 numpy
    python3 generate_gymnasium_trajectories.py   # run from this folder
"""
import json
import gymnasium as gym
import numpy as np

assert gym.__version__ == "1.4.0", f"reference data is for Gymnasium 1.4.0, found {gym.__version__}"


def f32(x):
    return float(f"{float(x):.9g}")


def rollout(env_id, seed, policy, max_steps=None):
    env = gym.make(env_id)
    obs, _ = env.reset(seed=seed)
    state = [float(v) for v in env.unwrapped.state]
    steps = []
    rng = np.random.default_rng(seed + 1000)
    while True:
        action = np.array([policy(obs, rng)], dtype=np.float32)
        obs, reward, terminated, truncated, _ = env.step(action)
        steps.append(dict(action=[f32(a) for a in action], observation=[f32(o) for o in obs],
                          reward=float(reward), terminated=bool(terminated), truncated=bool(truncated)))
        if terminated or truncated or (max_steps and len(steps) >= max_steps):
            break
    return dict(env=env_id, seed=seed, start_state=state, steps=steps)


def uniform(low, high):
    return lambda obs, rng: rng.uniform(low, high)


def bang_bang(obs, rng):
    # Push in the direction of motion: reaches the goal, exercising termination and its +100 reward.
    return 1.3 if obs[1] >= 0 else -1.3


def pump_left(obs, rng):
    # Gains energy only on the left of the valley: hits the wall at -1.2 and exercises its velocity reset.
    return 1.0 if obs[1] > 0 and obs[0] < -0.7 else -1.0


trajectories = [rollout("Pendulum-v1", s, uniform(-3.0, 3.0)) for s in range(4)]
trajectories += [rollout("MountainCarContinuous-v0", 0, uniform(-1.5, 1.5)),
                 rollout("MountainCarContinuous-v0", 1, bang_bang),
                 rollout("MountainCarContinuous-v0", 2, pump_left, max_steps=300)]
with open("gymnasium_trajectories.json", "w") as f:
    json.dump(dict(gymnasium_version=gym.__version__, trajectories=trajectories), f, separators=(",", ":"))
for t in trajectories:
    last = t["steps"][-1]
    print(t["env"], t["seed"], len(t["steps"]), "steps", "terminated" if last["terminated"] else "truncated" if last["truncated"] else "cut")
