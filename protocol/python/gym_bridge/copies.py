"""The environments of one session that live in one process, stepped and reset one by one, each failing alone.

The server holds one `Copies` for a session's first copies; with worker processes (see `workers`), each
worker holds one for a later, contiguous range. Indices in results are the session's (global) indices.
"""

import math
from collections import namedtuple

import numpy as np

from . import envbridge_pb2 as pb
from .codec import ProtocolError

Stepped = namedtuple("Stepped", "observations rewards terminated truncated finals failures infos")
Stepped.__doc__ = """One step of a range of copies: `observations` stacked (count x observation shape, the
session's dtype); `rewards`, `terminated`, `truncated` one per copy; `finals` (index, true final observation)
for copies whose episode ended (they were reset); `failures` (index, message) for copies whose step failed
(they were restarted); `infos` one dict of numeric values per copy, or empty when no copy reported any."""


def numeric_info(info):
    """The finite numeric entries of a Gymnasium info dict, as floats (the protocol carries no others)."""
    values = {}
    for key, value in info.items():
        if isinstance(value, (bool, int, float, np.number, np.bool_)) or (isinstance(value, np.ndarray) and value.shape == ()):
            number = float(value)
            if math.isfinite(number):
                values[str(key)] = number
    return values


class Copies:
    """Copies `offset` ..< `offset + len(envs)` of a session (at least one), in this process."""

    def __init__(self, env_id, envs, offset, observation_shape, observation_dtype):
        self.env_id = env_id
        self.envs = envs
        self.offset = offset
        self.observation_shape = tuple(observation_shape)
        self.observation_dtype = np.dtype(observation_dtype)
        # What a worker reads raw actions as (the server casts them to the action space's dtype).
        self.action_dtype = np.dtype(envs[0].action_space.dtype)
        self.action_shape = tuple(envs[0].action_space.shape)
        # A copy whose step or reset failed and whose restart failed too: it fails every step until a
        # reset succeeds, and no step runs on it before its first reset.
        self.needs_reset = [True] * len(envs)

    @classmethod
    def made(cls, env_id, env_kwargs, count, offset, observation_shape, observation_dtype):
        """`count` new copies made with `gymnasium.make(env_id, **env_kwargs)`; closes those made if one fails."""
        import gymnasium as gym

        envs = []
        try:
            for _ in range(count):
                envs.append(gym.make(env_id, **env_kwargs))
        except BaseException:
            for env in envs:
                env.close()
            raise
        return cls(env_id, envs, offset, observation_shape, observation_dtype)

    def close(self):
        for env in self.envs:
            env.close()

    def reset(self, seeds, states, only=None):
        """Resets every copy (or the copies whose indices `only` lists, in increasing order) with its seed
        (int or None) and start state (array or None), both indexed by copy; returns the observations of
        the copies reset, stacked. ProtocolError naming the first copy that failed; the others are still reset."""
        observations, first_error = [], None
        for i in range(len(self.envs)) if only is None else only:
            env = self.envs[i]
            try:
                observation, _ = env.reset(seed=seeds[i])
                if states[i] is not None:
                    observation = self._set_state(env, states[i])
                observation = self._checked(observation)
                self.needs_reset[i] = False
            except ProtocolError as error:
                self.needs_reset[i] = True
                first_error = first_error or error
                continue
            except Exception as error:
                self.needs_reset[i] = True
                first_error = first_error or ProtocolError(
                    pb.ENVIRONMENT_FAILURE, f"environment {self.offset + i} failed to reset: {type(error).__name__}: {error}"
                )
                continue
            observations.append(observation)
        if first_error is not None:
            raise first_error
        return np.stack(observations).astype(self.observation_dtype, copy=False)

    def step(self, actions):
        """Steps copy i with `actions[i]` (checked finite, in the action space's dtype) and returns `Stepped`.

        A copy whose episode ends is reset, its true final observation kept; a copy whose step raises (or
        returns an observation of the wrong shape) is reported as a failure and restarted."""
        observation_dtype, offset = self.observation_dtype, self.offset
        observations: list = []
        rewards: list = []
        terminated: list = []
        truncated: list = []
        finals: list = []
        failures: list = []
        infos: list = []
        needs_reset = self.needs_reset
        for i, env in enumerate(self.envs):
            try:
                if needs_reset[i]:
                    raise RuntimeError("the environment needs a reset after an earlier failure")
                observation, reward, term, trunc, info = env.step(actions[i])
                if term or trunc:
                    finals.append((offset + i, self._checked(np.asarray(observation, dtype=observation_dtype))))
                    observation, _ = env.reset()
                # A copy whose observation does not fit the space fails alone; the others' steps still count.
                observation = self._checked(observation)
            except Exception as error:
                if finals and finals[-1][0] == offset + i:
                    finals.pop()  # a copy that failed after its episode ended (its reset) has no transition
                failures.append((offset + i, f"{type(error).__name__}: {error}"))
                observation, reward, term, trunc, info = self._recover(i)
            observations.append(observation)
            rewards.append(float(reward))
            terminated.append(bool(term))
            truncated.append(bool(trunc))
            if info:
                # Most environments report none (Pendulum) or the same keys every step (MuJoCo's); the
                # list of one dict per copy is built from the first one that reports any.
                values = numeric_info(info)
                if values:
                    infos.extend({} for _ in range(i - len(infos)))
                    infos.append(values)
        if infos:
            infos.extend({} for _ in range(len(self.envs) - len(infos)))
        stacked = (
            np.asarray(observations[0], dtype=observation_dtype)[np.newaxis]
            if len(observations) == 1
            else np.stack(observations).astype(observation_dtype, copy=False)
        )
        return Stepped(stacked, rewards, terminated, truncated, finals, failures, infos)

    def _checked(self, observation):
        """`observation` as an array, or ValueError when its shape is not the observation space's."""
        observation = np.asarray(observation)
        if observation.shape != self.observation_shape:
            raise ValueError(
                f"{self.env_id} returned an observation of shape {list(observation.shape)}; "
                f"its observation space has shape {list(self.observation_shape)}"
            )
        return observation

    def _recover(self, i):
        """After a failed step: start a new episode, or leave the copy marked for reset."""
        try:
            observation, _ = self.envs[i].reset()
            observation = self._checked(observation)
            self.needs_reset[i] = False
            return observation, 0.0, False, False, {}
        except Exception:
            self.needs_reset[i] = True
            return np.zeros(self.observation_shape, dtype=self.observation_dtype), 0.0, False, False, {}

    def _set_state(self, env, state):
        """The state hook: classic-control environments keep their physical state in `unwrapped.state`."""
        unwrapped = env.unwrapped
        if not hasattr(unwrapped, "state"):
            raise ProtocolError(pb.BAD_REQUEST, f"{self.env_id} has no 'state' attribute, so a reset cannot set its start state")
        current = np.asarray(unwrapped.state)
        if state.shape != current.shape:
            raise ProtocolError(
                pb.WRONG_SHAPE, f"state of shape {list(state.shape)} for {self.env_id}, whose state has shape {list(current.shape)}"
            )
        unwrapped.state = np.array(state, dtype=current.dtype)
        if hasattr(unwrapped, "_get_obs"):
            return unwrapped._get_obs()
        return np.array(unwrapped.state, dtype=env.observation_space.dtype)
