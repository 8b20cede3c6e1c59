"""`sac export` end to end, with the sac binary (built by `swift build`): a Pendulum policy trained
briefly, exported three ways and run in Gymnasium from Python (NumPy, onnxruntime) and from a C program on
sac eval's seeds gets sac eval's returns within 1e-3; bad input is a clear error and a non-zero exit."""

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAC = ROOT / ".build" / "debug" / "sac"
EXAMPLE = ROOT / "examples" / "deploy-policy"


def sac(*arguments, check=True):
    if not SAC.exists():
        pytest.fail(f"{SAC} is not built (swift build first)")
    result = subprocess.run([str(SAC), *map(str, arguments)], capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, f"sac {' '.join(map(str, arguments))} failed:\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("deploy") / "run"
    sac(
        "train",
        "--env",
        "pendulum",
        "--steps",
        1500,
        "--learning-starts",
        500,
        "--hidden",
        "64,64",
        "--batch-size",
        64,
        "--eval-episodes",
        2,
        "--quiet",
        "--run-dir",
        directory,
    )
    return directory


def test_exports_run_in_gymnasium_get_sac_evals_returns(run):
    evaluation = json.loads(sac("eval", "--run-dir", run, "--episodes", 3, "--json").stdout)
    assert evaluation["seeds"] == [10000, 10001, 10002] and len(evaluation["returns"]) == 3
    (run / "eval.json").write_text(json.dumps(evaluation))
    for form, name in (("onnx", "policy.onnx"), ("numpy", "policy.npz"), ("c", "policy.h")):
        said = sac("export", "--run-dir", run, "--format", form, "--output", run / name).stdout
        assert f"wrote {run / name}" in said
    subprocess.run(
        [
            "cc",
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-O2",
            "-I",
            str(run),
            str(EXAMPLE / "act.c"),
            "-o",
            str(run / "act"),
            "-lm",
        ],
        check=True,
    )
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE / "evaluate_in_gymnasium.py"),
            "--episodes",
            "3",
            "--expect",
            str(run / "eval.json"),
            "--sacp",
            str(run / "policy.sacp"),
            "--npz",
            str(run / "policy.npz"),
            "--onnx",
            str(run / "policy.onnx"),
            "--c-program",
            str(run / "act"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith(("sacp", "npz", "onnx", "c "))]
    assert len(rows) == 4, result.stdout
    for row in rows:
        assert float(row.split()[-1]) <= 1e-3, row


def test_the_default_output_sits_beside_the_policy(run):
    said = sac("export", "--policy", run / "policy.sacp", "--format", "c").stdout
    assert (run / "policy.h").exists() and "policy_act(" in said


def rewrite_version(data, version):
    """The file with another format version and a checksum that matches again."""
    head = data[:4] + struct.pack("<I", version) + data[8:-4]
    return head + struct.pack("<I", zlib.crc32(head) & 0xFFFFFFFF)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[: len(data) // 2], "truncated"),
        (lambda data: data[:100] + bytes([data[100] ^ 0xFF]) + data[101:], "corrupt"),
        (lambda data: rewrite_version(data, 3), "version 3"),
        (lambda data: b"GARBAGE!" + data[8:], "SAC policy"),
    ],
)
def test_a_bad_policy_file_is_an_error(run, tmp_path, damage, message):
    bad = tmp_path / "bad.sacp"
    bad.write_bytes(damage((run / "policy.sacp").read_bytes()))
    result = sac("export", "--policy", bad, "--format", "onnx", "--output", tmp_path / "out.onnx", check=False)
    assert result.returncode != 0
    assert message in result.stderr and str(bad) in result.stderr, result.stderr
    assert not (tmp_path / "out.onnx").exists()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--format", "tflite"], "tflite"),
        (["--format", "onnx", "--output", "{blocker}/policy.onnx"], "cannot write"),
        (["--format", "c", "--name", "2fast"], "not a C identifier"),
        (["--format", "onnx", "--name", "policy"], "--format c only"),
    ],
)
def test_bad_arguments_are_errors(run, tmp_path, arguments, message):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    arguments = [a.replace("{blocker}", str(blocker)) for a in arguments]
    result = sac("export", "--run-dir", run, *arguments, check=False)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_a_missing_policy_is_an_error(tmp_path):
    result = sac("export", "--run-dir", tmp_path, "--format", "numpy", check=False)
    assert result.returncode != 0 and "policy.sacp" in result.stderr, result.stderr
