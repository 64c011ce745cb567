"""``probnn ... | head``: a reader that leaves early ends the command quietly, as Unix tools
end (exit 141, 128 + SIGPIPE, nothing on stderr); it printed "probnn: error: Broken pipe".

Oracle: the behaviour of a command-line tool whose reader left (the shell's 128 + SIGPIPE),
checked on a real child process whose standard output is a pipe closed before it writes.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from _cli import run

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _reader_leaves(*args, cwd) -> tuple[int, str]:
    """``probnn ARGS`` in a child whose standard output's reader has closed: exit, stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "probnn", *map(str, args)], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    child.stdout.close()  # the reader leaves (before the child writes: it is still importing)
    err = child.stderr.read().decode()
    child.stderr.close()
    return child.wait(timeout=300), err


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("pipe")
    r = np.random.default_rng(0)
    x = r.normal(size=6000)  # predict's CSV: far more than a pipe's buffer
    pd.DataFrame({"x": x, "y": 2 * x + r.normal(size=x.size)}).to_csv(folder / "t.csv", index=False)
    code = subprocess.run([sys.executable, "-m", "probnn", "fit", "t.csv", "--target", "y",
                           "--family", "normal", "--hidden", "none", "--quiet"], cwd=folder,
                          env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True).returncode  # fmt: skip
    assert code == 0
    return folder


@pytest.mark.parametrize("args", [
    ("predict", "t.safetensors", "t.csv"),  # the reader gone mid-output
    ("predict", "t.safetensors", "t.csv", "--stream", "yes"),
    ("derive", "normal"),  # a few lines, found gone at the end's flush
])  # fmt: skip
def test_a_reader_that_leaves_ends_the_command_quietly(model, args):
    code, err = _reader_leaves(*args, cwd=model)
    assert (code, err) == (141, "")


def test_a_broken_pipe_elsewhere_is_still_an_error(monkeypatch, capsys, tmp_path):
    """A BrokenPipeError not of standard output (a scheduler's socket) is said, exit 1."""
    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("probnn.cli._cmd_predict", broken)  # the parser's handler
    code, _, err = run(capsys, "predict", tmp_path / "m.safetensors", tmp_path / "d.csv")
    assert code == 1 and err.startswith("probnn: error: Broken pipe")
