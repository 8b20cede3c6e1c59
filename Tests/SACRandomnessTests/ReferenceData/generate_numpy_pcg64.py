#!/usr/bin/env python3
"""Writes numpy_pcg64.json: for each seed, numpy's SeedSequence pool and PCG64 state words, the first raw
64-bit outputs of np.random.PCG64(seed), and Generator.uniform draws, as Gymnasium's seeding makes them.
Run from this folder:  python3 generate_numpy_pcg64.py"""
import json
from pathlib import Path

import numpy as np

seeds = list(range(100)) + [2**32 - 1, 2**32, 2**63, 2**64 - 1, 123456789]
cases = []
for seed in seeds:
    sequence = np.random.SeedSequence(seed)
    bit_generator = np.random.PCG64(sequence)
    state = bit_generator.state["state"]
    raw = [int(v) for v in np.random.PCG64(np.random.SeedSequence(seed)).random_raw(5)]
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    # Pendulum's start: uniform(low=-[pi, 1], high=[pi, 1]); then a scalar uniform as MountainCar draws one.
    pendulum = generator.uniform(low=-np.array([np.pi, 1.0]), high=np.array([np.pi, 1.0]))
    scalar = generator.uniform(low=-0.6, high=-0.4)
    cases.append(dict(seed=str(seed), pool=[int(w) for w in sequence.pool],
                      generate_state=[str(int(w)) for w in sequence.generate_state(4, np.uint64)],
                      state=str(state["state"]), increment=str(state["inc"]), raw=[str(v) for v in raw],
                      uniforms=[float(v) for v in pendulum] + [float(scalar)]))
Path(__file__).with_name("numpy_pcg64.json").write_text(json.dumps(dict(numpy_version=np.__version__, cases=cases), indent=1) + "\n")
print(f"wrote {len(cases)} cases (numpy {np.__version__})")
