"""gym_bridge.policy: reads policy.sacp and the NumPy export with NumPy alone, acts on single observations
and batches in the environment's shapes, and refuses malformed files with a PolicyFileError that says why.
The files are written here by hand in the documented layout (docs/policy-file-format.md), so these tests
also check that the documentation is enough to write a reader."""

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from gym_bridge.policy import Policy, PolicyFileError, load


def frame(magic, version, body):
    head = magic + struct.pack("<IQ", version, len(body)) + body
    return head + struct.pack("<I", zlib.crc32(head) & 0xFFFFFFFF)


def sacp_bytes(
    weights, biases, low, high, observation_shape=None, action_shape=None, version=2, environment_id="Test-v0", variant="twin-q"
):
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    parameters = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(weights, biases, strict=False)]).astype("<f4")
    network = frame(
        b"SACN",
        1,
        struct.pack("<I", len(sizes)) + struct.pack(f"<{len(sizes)}I", *sizes) + struct.pack("<Q", parameters.size) + parameters.tobytes(),
    )
    body = b""
    for text in (environment_id, variant):
        body += struct.pack("<I", len(text.encode())) + text.encode()
    for bounds in (low, high):
        body += struct.pack("<Q", len(bounds)) + np.asarray(bounds, "<f4").tobytes()
    body += struct.pack("<Q", len(network)) + network
    if version >= 2:
        for shape in (observation_shape, action_shape):
            body += struct.pack("<Q", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
    return frame(b"SACP", version, body)


@pytest.fixture
def network():
    generator = np.random.default_rng(3)
    weights = [generator.normal(size=(5, 4)).astype(np.float32), generator.normal(size=(4, 5)).astype(np.float32)]
    biases = [generator.normal(size=5).astype(np.float32), generator.normal(size=4).astype(np.float32)]
    return weights, biases


def reference_action(weights, biases, low, high, observation):
    """The documented computation in float64, to compare float32 results with."""
    h = np.asarray(observation, np.float64).ravel()
    h = np.maximum(weights[0].astype(np.float64) @ h + biases[0], 0)
    mean = (weights[1].astype(np.float64) @ h + biases[1])[:2]
    low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
    return low + (np.tanh(mean) + 1) * (high - low) / 2


def test_a_hand_written_sacp_acts_as_documented(tmp_path, network):
    weights, biases = network
    low, high = [-1.0, 0.0], [1.0, 4.0]
    path = tmp_path / "policy.sacp"
    path.write_bytes(sacp_bytes(weights, biases, low, high, (2, 2), (2,)))
    policy = load(path)
    assert (policy.environment_id, policy.variant) == ("Test-v0", "twin-q")
    assert policy.observation_shape == (2, 2) and policy.action_shape == (2,)
    observations = np.random.default_rng(0).normal(size=(16, 2, 2)).astype(np.float32)
    actions = policy.act(observations)
    assert actions.shape == (16, 2) and actions.dtype == np.float32
    for observation, action in zip(observations, actions, strict=False):
        np.testing.assert_allclose(action, reference_action(weights, biases, low, high, observation), atol=1e-5)
        single = policy.act(observation)  # one observation in its own shape (a matrix-vector product in BLAS)
        np.testing.assert_allclose(single, action, atol=1e-6)
        np.testing.assert_array_equal(policy.act(observation.ravel()), single)  # or flat
    with pytest.raises(ValueError, match=r"observations of shape \(2, 2\)"):
        policy.act(np.zeros(5, np.float32))


def test_version_1_files_load_with_flat_shapes(tmp_path, network):
    weights, biases = network
    path = tmp_path / "v1.sacp"
    path.write_bytes(sacp_bytes(weights, biases, [-1, -1], [1, 1], version=1))
    policy = load(path)
    assert policy.observation_shape == (4,) and policy.action_shape == (2,)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[:-7], "truncated"),
        (lambda data: data[:10], "truncated"),
        (lambda data: data[:40] + bytes([data[40] ^ 0x01]) + data[41:], "corrupt"),
        (lambda data: data[:4] + struct.pack("<I", 9) + data[8:], "version 9 .*newer SwiftSAC"),
        (lambda data: b"SACQ" + data[4:], "neither a SAC policy"),
        (lambda data: b"", "neither a SAC policy"),
    ],
)
def test_malformed_files_are_refused_with_a_reason(tmp_path, network, damage, message):
    weights, biases = network
    path = tmp_path / "bad.sacp"
    path.write_bytes(damage(sacp_bytes(weights, biases, [-1, -1], [1, 1], (4,), (2,))))
    with pytest.raises(PolicyFileError, match=message):
        load(path)


def test_bounds_that_do_not_fit_the_network_are_refused(tmp_path, network):
    weights, biases = network
    path = tmp_path / "bad.sacp"
    path.write_bytes(sacp_bytes(weights, biases, [-1, -1, -1], [1, 1, 1], (4,), (3,)))
    with pytest.raises(PolicyFileError, match="3 action bounds for an actor with 4 outputs"):
        load(path)


def test_a_missing_file_is_a_policy_file_error(tmp_path):
    with pytest.raises(PolicyFileError, match="cannot read"):
        load(tmp_path / "absent.sacp")


def test_npz_archives_with_missing_arrays_or_newer_versions_are_refused(tmp_path, network):
    weights, biases = network
    arrays = dict(
        format_version=np.array(1),
        environment_id=np.array("Test-v0"),
        variant=np.array("twin-q"),
        observation_shape=np.array([4]),
        action_shape=np.array([2]),
        action_low=np.float32([-1, -1]),
        action_high=np.float32([1, 1]),
        layer_sizes=np.array([4, 5, 4]),
        weight_0=weights[0],
        bias_0=biases[0],
        weight_1=weights[1],
        bias_1=biases[1],
    )
    good = tmp_path / "good.npz"
    np.savez(good, **arrays)
    assert isinstance(load(good), Policy)
    np.savez(tmp_path / "newer.npz", **{**arrays, "format_version": np.array(3)})
    with pytest.raises(PolicyFileError, match="format version 3.*newer"):
        load(tmp_path / "newer.npz")
    np.savez(tmp_path / "missing.npz", **{k: v for k, v in arrays.items() if k != "bias_1"})
    with pytest.raises(PolicyFileError, match="no array 'bias_1'"):
        load(tmp_path / "missing.npz")
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[:200])
    with pytest.raises(PolicyFileError, match="not a readable NumPy archive"):
        load(tmp_path / "cut.npz")


def test_the_loader_needs_only_numpy(tmp_path, network):
    """With ZeroMQ, protobuf and Gymnasium unimportable, gym_bridge.policy still loads and acts."""
    weights, biases = network
    path = tmp_path / "policy.sacp"
    path.write_bytes(sacp_bytes(weights, biases, [-1, -1], [1, 1], (4,), (2,)))
    script = (
        "import sys\n"
        "for name in ('zmq', 'gymnasium', 'google', 'google.protobuf'): sys.modules[name] = None\n"
        "from gym_bridge.policy import load\n"
        f"print(load({str(path)!r}).act([0.1, 0.2, 0.3, 0.4]).shape)\n"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(2,)"
