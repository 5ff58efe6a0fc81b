"""The ``minitorch-np`` command: ``train`` end to end, ``info``, resuming, errors."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import minitorch_np as torch
from minitorch_np.cli import main

REPO = pathlib.Path(__file__).resolve().parents[2]


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "minitorch_np", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def test_train_runs_end_to_end(tmp_path):
    # the CI check of the issue: `minitorch-np train --epochs 1`
    out = _run("train", "--epochs", "1", "--out", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("mlp (419,226 parameters) on mnist5k: 4000 training, 1000 test")
    assert re.fullmatch(r"Epoch 1/1 loss \S+ acc \S+ eval_loss \S+ eval_acc \S+", lines[1])
    match = re.search(r"test accuracy (0\.\d+) \((\d+)/1000\)", out.stdout)
    assert match and float(match.group(1)) > 0.8        # one epoch already gets ~88%
    assert (tmp_path / "checkpoint.safetensors").exists()
    if __import__("importlib").util.find_spec("matplotlib"):
        assert (tmp_path / "curves.png").stat().st_size > 1000
    assert "\r" not in out.stderr                       # no progress bar into a pipe


def test_info_names_version_backends_and_blas():
    out = _run("info")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"minitorch_np {torch.__version__}")
    for word in ("backends:", "cpu", "cuda", "fakegpu", "BLAS:", "tqdm"):
        assert word in out.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "train" in capsys.readouterr().out


def test_resumed_run_equals_the_straight_run(tmp_path, capsys):
    common = ["train", "--limit", "300", "--no-plot", "--no-progress", "--schedule", "step",
              "--batch-size", "50", "--seed", "4"]
    assert main(common + ["--epochs", "3", "--out", str(tmp_path / "a")]) == 0
    assert main(common + ["--epochs", "2", "--out", str(tmp_path / "b")]) == 0
    assert main(common + ["--epochs", "3", "--out", str(tmp_path / "b"),
                          "--resume", str(tmp_path / "b" / "checkpoint.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "resumed from" in out and "Epoch 3/3" in out
    a = torch.load(tmp_path / "a" / "checkpoint.safetensors")
    b = torch.load(tmp_path / "b" / "checkpoint.safetensors")
    assert a["epoch"] == b["epoch"] == 3
    assert a["history"] == b["history"]
    for key, value in a["net"].items():
        np.testing.assert_array_equal(value.numpy(), b["net"][key].numpy(), err_msg=key)


def test_convnet_and_options_run(tmp_path, capsys):
    args = ["train", "--model", "convnet", "--limit", "100", "--epochs", "1", "--no-plot",
            "--optimizer", "adam", "--schedule", "onecycle", "--accumulate", "2",
            "--val-fraction", "0.2", "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "convnet" in out and "80 training, 20 validation images" in out
    assert "test accuracy" in out


@pytest.mark.parametrize("args, message", [
    (["--accumulate", "0"], "--accumulate"),
    (["--model", "convnet", "--dataset", "cifar10", "--root", "/nonexistent"], ""),
    (["--val-fraction", "1.5"], "--val-fraction"),
    (["--device", "cuda"] if not torch.cuda.is_available() else ["--epochs", "-1"], ""),
])
def test_bad_options_fail_with_a_message(tmp_path, capsys, args, message):
    assert main(["train", "--out", str(tmp_path), "--no-plot"] + args) == 1
    err = capsys.readouterr().err
    assert err.startswith("minitorch-np train: error: ") and message in err


def test_python_dash_m_and_the_console_script_share_main():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with open(REPO / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    assert project["scripts"] == {"minitorch-np": "minitorch_np.cli:main"}
    assert "tqdm>=4" in project["dependencies"]


def test_train_on_another_device_and_with_a_resnet(tmp_path, capsys):
    assert main(["train", "--limit", "100", "--epochs", "1", "--no-plot", "--device",
                 "fakegpu:1", "--out", str(tmp_path / "a")]) == 0
    assert "device fakegpu:1" in capsys.readouterr().out
    assert main(["train", "--model", "resnet", "--depth", "8", "--limit", "50", "--epochs", "1",
                 "--batch-size", "25", "--no-plot", "--out", str(tmp_path / "b")]) == 0
    assert "resnet" in capsys.readouterr().out
