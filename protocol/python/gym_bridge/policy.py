"""Run a policy trained by SwiftSAC with NumPy alone: `load(path)` reads a `policy.sacp` written by
`sac train` or an `.npz` written by `sac export --format numpy`, and returns a `Policy` whose
`act(observation)` gives the deterministic action `sac eval` takes, in the environment's units:

    h = observation (flattened); h = relu(W n(h) + b) per hidden layer; mu = W n(h) + b (the first A outputs)
    action = low + (tanh(mu) + 1) * (high - low) / 2

where n is the identity, or for a CrossQ actor its batch renormalisation in inference mode,
n(x) = scale * x + shift with scale = gamma / sqrt(variance + eps) and shift = beta - mean * scale,

in float32, the operations of the Swift evaluator. This module needs nothing but NumPy (it imports none of
gym_bridge's server or client), so it can be copied on its own to a machine that has only NumPy. The
`.sacp` layout it reads is documented in docs/policy-file-format.md.
"""

from __future__ import annotations

import struct
import zipfile
import zlib

import numpy as np

__all__ = ["Policy", "PolicyFileError", "load", "SACP_VERSIONS", "NPZ_VERSIONS"]

#: The `.sacp` format versions this loader reads.
SACP_VERSIONS = (1, 2)
#: The `.npz` export's format versions this loader reads (2: a normalised, CrossQ actor).
NPZ_VERSIONS = (1, 2)


class PolicyFileError(ValueError):
    """The file is not a policy this loader can read; the message says why and names the file."""


class Policy:
    """A deterministic SAC policy: `act(observation) -> action`.

    Attributes: `environment_id` and `variant` (what it was trained on, and how), `observation_shape` and
    `action_shape` (the environment's), `action_low` and `action_high` (float32, flattened), `weights` and
    `biases` (float32, the actor network's layers, weights `(out, in)`; the last layer's outputs are the A
    means followed by the A log standard deviations).
    """

    def __init__(
        self,
        weights: list[np.ndarray],
        biases: list[np.ndarray],
        action_low: np.ndarray,
        action_high: np.ndarray,
        observation_shape: tuple[int, ...],
        action_shape: tuple[int, ...],
        environment_id: str = "",
        variant: str = "",
        normalizations=None,
    ):
        self.weights = [np.ascontiguousarray(w, dtype=np.float32) for w in weights]
        self.biases = [np.ascontiguousarray(b, dtype=np.float32) for b in biases]
        self.action_low = np.asarray(action_low, dtype=np.float32).reshape(-1)
        self.action_high = np.asarray(action_high, dtype=np.float32).reshape(-1)
        self.observation_shape = tuple(int(d) for d in observation_shape)
        self.action_shape = tuple(int(d) for d in action_shape)
        self.environment_id = environment_id
        self.variant = variant
        self.action_count = self.action_low.size
        self.observation_count = self.weights[0].shape[1]
        # (high - low) / 2 in float32, as the Swift evaluator computes it.
        self._half_range = (self.action_high - self.action_low) * np.float32(0.5)
        self._mean_weight = self.weights[-1][: self.action_count]
        self._mean_bias = self.biases[-1][: self.action_count]
        #: Per layer (scale, shift) of its normalisation in inference mode, or None (a plain actor).
        self.normalizations = normalizations

    def act(self, observation) -> np.ndarray:
        """The deterministic action (float32, in the environment's units) for one observation (shape
        `observation_shape`, or flat), or actions `(batch, *action_shape)` for a batch `(batch, ...)`."""
        x = np.asarray(observation, dtype=np.float32)
        count = self.observation_count
        if x.size == count and x.ndim <= max(len(self.observation_shape), 1) and x.shape in ((count,), self.observation_shape):
            single = True
            x = x.reshape(1, count)
        elif x.ndim >= 1 and x.size == x.shape[0] * count:
            single = False
            x = x.reshape(x.shape[0], count)
        else:
            raise ValueError(
                f"the policy takes observations of shape {self.observation_shape} ({count} values) "
                f"or a batch of them, got shape {np.shape(observation)}"
            )
        h = x
        for index, (weight, bias) in enumerate(zip(self.weights[:-1], self.biases[:-1], strict=False)):
            h = np.maximum(self._normalize(index, h) @ weight.T + bias, np.float32(0))
        mean = self._normalize(len(self.weights) - 1, h) @ self._mean_weight.T + self._mean_bias
        action = self.action_low + (np.tanh(mean) + np.float32(1)) * self._half_range
        return action.reshape(self.action_shape) if single else action.reshape((x.shape[0],) + self.action_shape)

    __call__ = act

    def _normalize(self, index, h):
        if self.normalizations is None:
            return h
        scale, shift = self.normalizations[index]
        return h * scale + shift

    def __repr__(self) -> str:
        sizes = [self.observation_count] + [w.shape[0] for w in self.weights]
        return (
            f"Policy({self.variant} on {self.environment_id!r}, layers {sizes}, "
            f"observation {self.observation_shape}, action {self.action_shape})"
        )


def load(path) -> Policy:
    """Reads a `policy.sacp` (format 1 or 2) or an `.npz` from `sac export --format numpy`. Raises
    `PolicyFileError` for anything else: a wrong magic, a newer format version, truncation, a checksum
    mismatch, or sizes that do not fit together."""
    path = str(path)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise PolicyFileError(f"cannot read {path}: {error.strerror or error}") from error
    if data[:4] == b"SACP":
        return _load_sacp(data, path)
    if data[:4] == b"PK\x03\x04":
        return _load_npz(path)
    raise PolicyFileError(
        f"{path} is neither a SAC policy (.sacp, starting 'SACP') nor a NumPy archive (.npz); it starts with {data[:4]!r}"
    )


class _Reader:
    """Little-endian fields of a body, each read checked against the end."""

    def __init__(self, data: bytes, path: str, what: str):
        self.data, self.position, self.path, self.what = data, 0, path, what

    def take(self, count: int) -> bytes:
        if count < 0 or self.position + count > len(self.data):
            raise PolicyFileError(
                f"{self.path}: the {self.what} is truncated at byte {self.position} "
                f"(needs {count} more, has {len(self.data) - self.position})"
            )
        chunk = self.data[self.position : self.position + count]
        self.position += count
        return chunk

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))[0]

    def string(self) -> str:
        raw = self.take(self.unpack("I"))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PolicyFileError(f"{self.path}: a string in the {self.what} is not UTF-8") from error

    def floats(self) -> np.ndarray:
        count = self.unpack("Q")
        if count > (len(self.data) - self.position) // 4:
            raise PolicyFileError(f"{self.path}: the {self.what} is truncated ({count} floats announced)")
        return np.frombuffer(self.take(4 * count), dtype="<f4").astype(np.float32)


def _inference_normalizations(scales, shifts, means, variances, epsilon):
    """(scale, shift) per layer of a batch renormalisation in inference mode, in float32 as Swift computes
    them: scale = gamma / sqrt(variance + eps), shift = beta - mean * scale."""
    epsilon = np.float32(epsilon)
    result = []
    for gamma, beta, mean, variance in zip(scales, shifts, means, variances, strict=False):
        scale = np.asarray(gamma, np.float32) / np.sqrt(np.asarray(variance, np.float32) + epsilon)
        result.append((scale, np.asarray(beta, np.float32) - np.asarray(mean, np.float32) * scale))
    return result


def _unframe(data: bytes, magic: bytes, versions, path: str, kind: str) -> tuple[bytes, int]:
    """The body of a file in the library's checksummed framing (magic, version, length, body, CRC-32)."""
    if len(data) < 20:
        raise PolicyFileError(f"{path}: the {kind} is truncated ({len(data)} bytes)")
    if data[:4] != magic:
        raise PolicyFileError(f"{path}: not a {kind} (starts with {data[:4]!r}, expected {magic!r})")
    version, length = struct.unpack("<IQ", data[4:16])
    if version not in versions:
        newest = max(versions)
        hint = "written by a newer SwiftSAC; update gym_bridge" if version > newest else "unknown"
        raise PolicyFileError(f"{path}: {kind} format version {version} ({hint}); this loader reads versions {min(versions)} to {newest}")
    if length > len(data) - 20:
        raise PolicyFileError(f"{path}: the {kind} is truncated (the body needs {length} bytes, the file has {len(data) - 20})")
    end = 16 + length
    stored = struct.unpack("<I", data[end : end + 4])[0]
    computed = zlib.crc32(data[:end]) & 0xFFFFFFFF
    if stored != computed:
        raise PolicyFileError(f"{path}: the {kind} is corrupt (checksum {computed:08x}, stored {stored:08x})")
    return data[16:end], version


def _load_sacp(data: bytes, path: str) -> Policy:
    body, version = _unframe(data, b"SACP", SACP_VERSIONS, path, "SAC policy")
    reader = _Reader(body, path, "SAC policy")
    environment_id, variant = reader.string(), reader.string()
    low, high = reader.floats(), reader.floats()
    network, network_version = _unframe(reader.take(reader.unpack("Q")), b"SACN", (1, 2), path, "actor network")
    net = _Reader(network, path, "actor network")
    size_count = net.unpack("I")
    if size_count < 2 or size_count > len(network) // 4:
        raise PolicyFileError(f"{path}: the actor network has {size_count} layer sizes")
    sizes = [net.unpack("I") for _ in range(size_count)]
    parameters = net.floats()
    normalized = network_version >= 2
    weights, biases, gammas, betas, offset = [], [], [], [], 0
    for inputs, outputs in zip(sizes, sizes[1:], strict=False):
        needed = (inputs + 1) * outputs + (2 * inputs if normalized else 0)
        if offset + needed > parameters.size or min(inputs, outputs) <= 0:
            break
        if normalized:  # each layer's normalisation scale and shift precede its weight
            gammas.append(parameters[offset : offset + inputs])
            betas.append(parameters[offset + inputs : offset + 2 * inputs])
            offset += 2 * inputs
        weights.append(parameters[offset : offset + inputs * outputs].reshape(outputs, inputs))
        offset += inputs * outputs
        biases.append(parameters[offset : offset + outputs])
        offset += outputs
    if offset != parameters.size or len(weights) != len(sizes) - 1:
        raise PolicyFileError(f"{path}: {parameters.size} parameters do not fit layer sizes {sizes}")
    normalizations = None
    if normalized:
        _momentum, epsilon = net.unpack("f"), net.unpack("f")
        net.unpack("Q")  # warm-up steps
        net.unpack("f"), net.unpack("f")  # r_max, d_max
        net.unpack("Q")  # training passes
        statistics = net.floats()
        if statistics.size != 2 * sum(sizes[:-1]) or not epsilon > 0:
            raise PolicyFileError(f"{path}: {statistics.size} normalisation statistics (epsilon {epsilon}) for layer sizes {sizes}")
        means, variances, start = [], [], 0
        for inputs in sizes[:-1]:
            means.append(statistics[start : start + inputs])
            variances.append(statistics[start + inputs : start + 2 * inputs])
            start += 2 * inputs
        normalizations = _inference_normalizations(gammas, betas, means, variances, epsilon)
    if low.size != high.size or sizes[-1] != 2 * low.size:
        raise PolicyFileError(f"{path}: {low.size} action bounds for an actor with {sizes[-1]} outputs")
    observation_shape, action_shape = (sizes[0],), (low.size,)
    if version >= 2:
        shapes = []
        for name, count in (("observation shape", sizes[0]), ("action shape", low.size)):
            rank = reader.unpack("Q")
            if rank > 32:
                raise PolicyFileError(f"{path}: {name} of rank {rank}")
            shape = tuple(reader.unpack("Q") for _ in range(rank))
            if int(np.prod(shape, dtype=np.int64)) != count:
                raise PolicyFileError(f"{path}: {name} {shape} for {count} values")
            shapes.append(shape)
        observation_shape, action_shape = shapes
    return Policy(weights, biases, low, high, observation_shape, action_shape, environment_id, variant, normalizations)


def _load_npz(path: str) -> Policy:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise PolicyFileError(f"{path}: not a readable NumPy archive ({error})") from error
    try:
        version = int(arrays["format_version"])
        if version not in NPZ_VERSIONS:
            raise PolicyFileError(
                f"{path}: policy archive format version {version}; this loader reads "
                f"{min(NPZ_VERSIONS)} to {max(NPZ_VERSIONS)}"
                + (" (written by a newer SwiftSAC; update gym_bridge)" if version > max(NPZ_VERSIONS) else "")
            )
        sizes = [int(s) for s in arrays["layer_sizes"]]
        weights = [arrays[f"weight_{i}"] for i in range(len(sizes) - 1)]
        biases = [arrays[f"bias_{i}"] for i in range(len(sizes) - 1)]
        low, high = arrays["action_low"], arrays["action_high"]
        observation_shape = tuple(int(d) for d in arrays["observation_shape"])
        action_shape = tuple(int(d) for d in arrays["action_shape"])
        environment_id, variant = str(arrays["environment_id"]), str(arrays["variant"])
        normalizations = None
        if version >= 2:
            layers = range(len(sizes) - 1)
            normalizations = _inference_normalizations(
                [arrays[f"normalization_scale_{i}"] for i in layers],
                [arrays[f"normalization_shift_{i}"] for i in layers],
                [arrays[f"normalization_mean_{i}"] for i in layers],
                [arrays[f"normalization_variance_{i}"] for i in layers],
                arrays["normalization_epsilon"],
            )
    except KeyError as error:
        raise PolicyFileError(f"{path}: not a policy archive from 'sac export' (no array {error})") from error
    for i, (inputs, outputs) in enumerate(zip(sizes, sizes[1:], strict=False)):
        if weights[i].shape != (outputs, inputs) or biases[i].shape != (outputs,):
            raise PolicyFileError(
                f"{path}: layer {i} has weight {weights[i].shape} and bias {biases[i].shape} for sizes {inputs} -> {outputs}"
            )
    if low.shape != high.shape or sizes[-1] != 2 * low.size:
        raise PolicyFileError(f"{path}: {low.size} action bounds for an actor with {sizes[-1]} outputs")
    if int(np.prod(observation_shape, dtype=np.int64)) != sizes[0] or int(np.prod(action_shape, dtype=np.int64)) != low.size:
        raise PolicyFileError(f"{path}: shapes {observation_shape} and {action_shape} do not fit the network")
    if normalizations is not None and any(scale.shape != (inputs,) for (scale, _), inputs in zip(normalizations, sizes, strict=False)):
        raise PolicyFileError(f"{path}: normalisation arrays do not fit layer sizes {sizes}")
    return Policy(weights, biases, low, high, observation_shape, action_shape, environment_id, variant, normalizations)
