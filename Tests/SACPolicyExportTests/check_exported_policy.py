"""Runs the exports of one policy on the observations a Swift test wrote and prints, as JSON, the largest
difference of each from the actions Swift's evaluator took (actions.npy), in normalised action units:
|difference| / ((high - low) / 2), i.e. the difference of the squashed action tanh(mu) in [-1, 1] that
the rescale to the bounds multiplies by the half range:

  onnx        policy.onnx through onnx.checker.check_model(full_check=True), then onnxruntime (batch 1000)
  c           policy.h compiled with cc -std=c99 -Wall -Wextra -Werror -pedantic into a program of two
              translation units that both include it, run on every observation
  numpy_sacp  gym_bridge.policy.load("policy.sacp"), the batch at once and the first observation alone
  numpy_npz   gym_bridge.policy.load("policy.npz")

Each difference is reported twice: over the observations before INSIDE (argument 2), which lie inside
the observation bounds, and over those from INSIDE on, which lie outside them.

Usage: python3 check_exported_policy.py DIRECTORY INSIDE   (PYTHONPATH must reach protocol/python)
"""
import json
import os
import subprocess
import sys

import numpy as np


def main(directory, inside):
    from gym_bridge.policy import load

    saved = load(os.path.join(directory, "policy.sacp"))
    half_range = (saved.action_high.astype(np.float64) - saved.action_low) / 2

    def differences(actions, reference):
        error = np.abs(np.asarray(actions, dtype=np.float64) - reference).reshape(reference.shape[0], -1) / half_range
        return {"inside": float(error[:inside].max()), "outside": float(error[inside:].max())}

    observations = np.load(os.path.join(directory, "observations.npy"))
    expected = np.load(os.path.join(directory, "actions.npy"))
    batch = observations.shape[0]
    flat_expected = expected.reshape(batch, -1)
    report = {}

    import onnx
    import onnxruntime

    model = onnx.load(os.path.join(directory, "policy.onnx"))
    onnx.checker.check_model(model, full_check=True)
    session = onnxruntime.InferenceSession(os.path.join(directory, "policy.onnx"), providers=["CPUExecutionProvider"])
    onnx_actions = session.run(["action"], {"observation": observations.reshape(batch, -1)})[0]
    report["onnx"] = differences(onnx_actions, flat_expected)
    one = session.run(["action"], {"observation": observations.reshape(batch, -1)[:1]})[0]
    report["onnx_batch_one"] = float((np.abs(one - flat_expected[:1]) / half_range).max())

    harness = os.path.join(directory, "harness.c")
    other = os.path.join(directory, "other.c")
    with open(harness, "w") as file:
        file.write("""#include <stdio.h>
#include "policy.h"
#include "policy.h" /* the include guard makes a second inclusion harmless */
float other_unit_action(const float *observation);
int main(int argc, char **argv) {
    float observation[POLICY_OBSERVATION_SIZE], action[POLICY_ACTION_SIZE];
    FILE *in, *out;
    if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb"))) return 2;
    while (fread(observation, sizeof(float), POLICY_OBSERVATION_SIZE, in) == POLICY_OBSERVATION_SIZE) {
        policy_act(observation, action);
        if (other_unit_action(observation) != action[0]) return 3;
        fwrite(action, sizeof(float), POLICY_ACTION_SIZE, out);
    }
    fclose(in);
    fclose(out);
    return 0;
}
""")
    with open(other, "w") as file:
        file.write("""#include "policy.h"
float other_unit_action(const float *observation);
float other_unit_action(const float *observation) {
    float action[POLICY_ACTION_SIZE];
    policy_act(observation, action);
    return action[0];
}
""")
    program = os.path.join(directory, "harness")
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-I", directory,
                    harness, other, "-o", program, "-lm"], check=True)
    observations.astype("<f4").tofile(os.path.join(directory, "observations.bin"))
    subprocess.run([program, os.path.join(directory, "observations.bin"), os.path.join(directory, "c_actions.bin")], check=True)
    c_actions = np.fromfile(os.path.join(directory, "c_actions.bin"), dtype="<f4").reshape(batch, -1)
    report["c"] = differences(c_actions, flat_expected)

    for name, file in (("numpy_sacp", "policy.sacp"), ("numpy_npz", "policy.npz")):
        policy = load(os.path.join(directory, file))
        actions = policy.act(observations)
        assert actions.shape == expected.shape, f"{file}: batch of actions {actions.shape}, expected {expected.shape}"
        single = policy.act(observations[0])
        assert single.shape == expected.shape[1:], f"{file}: one action {single.shape}, expected {expected.shape[1:]}"
        report[name] = differences(actions, expected)
        report[name + "_one"] = float((np.abs(single - expected[0]).reshape(-1) / half_range).max())
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
