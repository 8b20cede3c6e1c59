#!/usr/bin/env python3
"""Writes gymnasium_resets.json: for seeds 0..99 and a few large ones, the first observation of
Pendulum-v1 and MountainCarContinuous-v0 after reset(seed=s), then after two unseeded resets that continue
the generator, as Gymnasium 1.4 draws them. Run from this folder:  python3 generate_gymnasium_resets.py"""
import json
from pathlib import Path

import gymnasium as gym
import numpy as np

seeds = list(range(100)) + [2**32, 2**63, 2**64 - 1]
cases = []
for env_id in ("Pendulum-v1", "MountainCarContinuous-v0"):
    env = gym.make(env_id)
    for seed in seeds:
        observations = [env.reset(seed=seed)[0]] + [env.reset()[0] for _ in range(2)]
        cases.append(dict(env=env_id, seed=str(seed), observations=[[float(v) for v in np.asarray(o, np.float32)] for o in observations]))
Path(__file__).with_name("gymnasium_resets.json").write_text(
    json.dumps(dict(gymnasium_version=gym.__version__, numpy_version=np.__version__, cases=cases)) + "\n")
print(f"wrote {len(cases)} cases (Gymnasium {gym.__version__}, numpy {np.__version__})")
