"""The command line's errors: bad usage (exit 2), one line on stderr, SIGTERM as Ctrl-C."""

from __future__ import annotations

import contextlib
import re
import sys

from probnn._say_once import per_command


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, as Ctrl-C raises KeyboardInterrupt.

    A KeyboardInterrupt: every cleanup that runs on Ctrl-C (``probnn._io``'s temporary
    files, the report's temporary folder) runs on ``kill`` too.
    """


def _terminate(signum, frame) -> None:
    raise Terminated()


@contextlib.contextmanager


def _sigterm_as_interrupt():
    """SIGTERM raises :class:`Terminated` inside (main thread only: where signals go)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# 128 + SIGPIPE: the status a shell reports for a tool stopped because its reader left.
SIGPIPE_EXIT = 141


def stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has left (``probnn ... | head``), so a
    ``BrokenPipeError`` is the reader's end, not another pipe's (a scheduler's socket).

    A pipe with no reader polls as an error (Linux) or a hang-up; where there is no
    ``poll`` (Windows), any broken pipe is taken for standard output's, as Python's recipe
    does. Standard output without a descriptor (a test's capture) is not gone.
    """
    import select

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    if not hasattr(select, "poll"):
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def end_on_closed_stdout() -> int:
    """The end of a command whose reader left: quietly, as Unix tools end, with
    ``SIGPIPE_EXIT``. Standard output goes to ``os.devnull``, so that the interpreter's last
    flush of what is still buffered does not fail again ("Exception ignored ... Broken
    pipe"): the recipe of Python's ``signal`` docs, "Note on SIGPIPE"."""
    import os

    with contextlib.suppress(AttributeError, OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return SIGPIPE_EXIT


# The library's words for a setting -> the option that sets it (a refusal names what to do).
_OPTION_WORDS = {"(the estimators' dtype='float64')": "(--dtype float64)",
                 "(dtype='float64')": "(--dtype float64)"}  # fmt: skip


def in_option_words(message: str) -> str:
    """``message`` on one line, with the estimators' settings it names as the command's options."""
    text = " ".join(str(message).split())
    for words, option in _OPTION_WORDS.items():
        text = text.replace(words, option)
    return text


def _fail(message: str, code: int) -> int:
    print(f"probnn: error: {in_option_words(message)}", file=sys.stderr)
    return code


# The ``key`` of each warning said in this command (a warning with a ``key`` attribute, as
# a column's labels that differ only in case, is said once however many fits raise it).
_said = per_command()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # A user needs the warning's words, not the file and line of our source that raised it.
    key = getattr(message, "key", None)
    if key is not None and not _said.first_time(key):
        return
    # one line (a keyed warning is, and may quote values with runs of spaces)
    text = str(message) if key is not None else " ".join(str(message).split())
    if getattr(category, "__name__", "") == "ConvergenceWarning":
        text = _convergence_text(text)
    print(f"probnn: warning: {text}", file=sys.stderr)


def _convergence_text(text: str) -> str:
    """A ConvergenceWarning in the command line's words (--epochs, not max_iter / tol)."""
    found = re.search(r"max_iter=(\d+)", text)
    n = found.group(1) if found else None
    budget = f"all {n}" if n else "all its"
    flag = f"--epochs {n}" if n else "--epochs"
    if "L-BFGS" in text:
        return (f"L-BFGS used {budget} iterations ({flag}) without converging; the model is "
                "where it stopped (see the held-out figures)")  # fmt: skip
    return (f"training used {budget} epochs ({flag}) without early stopping converging; the "
            "model is where training stopped (see the held-out figures)")  # fmt: skip
