#!/usr/bin/env python3
"""Runs an exported SwiftSAC policy in Gymnasium, without Swift: episode i resets with seed 10000 + i, as
`sac eval` does, and the action is taken by each export in turn:

  sacp   gym_bridge.policy.load("policy.sacp")   NumPy only, reading the training run's file directly
  npz    gym_bridge.policy.load("policy.npz")    NumPy only, the `sac export --format numpy` archive
  onnx   onnxruntime.InferenceSession("policy.onnx")
  c      the C program built from `sac export --format c` (act.c), through a pipe

With --expect (the JSON of `sac eval --json` on the same episodes), it prints each export's returns beside
Swift's and exits 1 if any episode's return differs by more than --tolerance.

  python3 evaluate_in_gymnasium.py --env Pendulum-v1 --sacp run/policy.sacp --onnx policy.onnx \
      --npz policy.npz --c-program ./act --episodes 10 --expect eval.json
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

import gymnasium as gym
import numpy as np

SEED_BASE = 10_000


def numpy_policy(path):
    from gym_bridge.policy import load

    policy = load(path)
    return policy.act, None


def onnx_policy(path):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])

    def act(observation):
        batch = np.asarray(observation, dtype=np.float32).reshape(1, -1)
        return session.run(["action"], {"observation": batch})[0][0]

    return act, None


def c_policy(program):
    process = subprocess.Popen([program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def act(observation):
        # %.9g round-trips float32 exactly in both directions.
        process.stdin.write(" ".join(f"{float(x):.9g}" for x in np.asarray(observation, dtype=np.float32).ravel()) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{program} exited (code {process.poll()}) instead of answering")
        return np.array([float(x) for x in line.split()], dtype=np.float32)

    def close():
        process.stdin.close()
        process.wait(timeout=10)

    return act, close


def evaluate(env_id, act, episodes):
    """Returns of `episodes` deterministic episodes, episode i reset with seed 10000 + i."""
    env = gym.make(env_id)
    returns = []
    for episode in range(episodes):
        observation, _ = env.reset(seed=SEED_BASE + episode)
        total, done = 0.0, False
        while not done:
            action = np.asarray(act(observation), dtype=np.float32).reshape(env.action_space.shape)
            observation, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return returns


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="Pendulum-v1", help="Gymnasium environment id")
    parser.add_argument("--sacp", help="policy.sacp of a training run")
    parser.add_argument("--npz", help="NumPy archive from sac export --format numpy")
    parser.add_argument("--onnx", help="ONNX model from sac export --format onnx")
    parser.add_argument("--c-program", help="program built from act.c and sac export --format c --name policy")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--expect", help="JSON written by sac eval --json on the same environment")
    parser.add_argument("--tolerance", type=float, default=1e-3, help="largest allowed |return - sac eval's| per episode")
    args = parser.parse_args(argv)

    ways = [(name, make, path) for name, make, path in [
        ("sacp (numpy)", numpy_policy, args.sacp), ("npz (numpy)", numpy_policy, args.npz),
        ("onnx (onnxruntime)", onnx_policy, args.onnx), ("c (act.c)", c_policy, args.c_program)] if path]
    if not ways:
        parser.error("give at least one of --sacp, --npz, --onnx, --c-program")
    expected = None
    if args.expect:
        with open(args.expect) as file:
            expected = json.load(file)["returns"][: args.episodes]
        if len(expected) < args.episodes:
            parser.error(f"{args.expect} has {len(expected)} returns, fewer than --episodes {args.episodes}")

    print(f"{args.env}, {args.episodes} episodes, seeds {SEED_BASE}..{SEED_BASE + args.episodes - 1}")
    header = f"{'policy run by':<20} {'mean return':>12}"
    print(header + (f" {'sac eval':>12} {'max |difference|':>17}" if expected else ""))
    worst = 0.0
    results = {}
    for name, make, path in ways:
        act, close = make(path)
        try:
            returns = evaluate(args.env, act, args.episodes)
        finally:
            if close:
                close()
        results[name] = returns
        line = f"{name:<20} {np.mean(returns):12.4f}"
        if expected:
            difference = max(abs(a - b) for a, b in zip(returns, expected))
            worst = max(worst, difference)
            line += f" {np.mean(expected):12.4f} {difference:17.2e}"
        print(line)
    if expected and worst > args.tolerance:
        print(f"FAIL: an episode's return differs from sac eval's by {worst:.2e} > {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
