"""Warnings said once: a memory of the keys of what was said.

Three places say a warning once, each with its own :class:`SayOnce`:

- the command line shows a warning with a ``key`` attribute once per command, however many
  fits raise it, in this process or in worker processes (``probnn.cli._errors``);
- the tables layer raises its spelling and identifier warnings once per command
  (``probnn.tables.columns``): a selection's folds and families each fit the column again,
  and their ``catch_warnings`` blocks reset the registry that Python's "once" action reads;
  fits whose warnings are silenced (a selection's candidates) run :meth:`SayOnce.unsaid`, so
  that the fit kept says them;
- a preprocessor says each warning of its ``transform`` once, a memory per object
  (``probnn.tables.preprocessing``): the same rows are often transformed more than once.

The first two are memories of the command (:func:`per_command`): :func:`forget_all` forgets
them at the start of each command, and a test that counts a warning's lines may call it too.
They must stay two: the tables layer remembers a key when it raises the warning, and the
command line must still show it then.

Pure Python, no imports from probnn: any layer may use it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator

__all__ = ["SayOnce", "per_command", "forget_all"]


class SayOnce:
    """The keys of the warnings said so far."""

    def __init__(self) -> None:
        self._said: set = set()

    def first_time(self, key: Hashable) -> bool:
        """Whether ``key`` is said now: True the first time (and it is remembered as said),
        False after."""
        if key in self._said:
            return False
        self._said.add(key)
        return True

    def forget(self) -> None:
        """Say every key again."""
        self._said.clear()

    @contextlib.contextmanager
    def unsaid(self) -> Iterator[None]:
        """Keys said within are not remembered as said: for work whose warnings are silenced,
        so that what follows says them."""
        before = set(self._said)
        try:
            yield
        finally:
            self._said.clear()
            self._said.update(before)


_PER_COMMAND: list[SayOnce] = []


def per_command() -> SayOnce:
    """A new memory that :func:`forget_all` forgets at each command (a module's own, made
    once at its import)."""
    memory = SayOnce()
    _PER_COMMAND.append(memory)
    return memory


def forget_all() -> None:
    """Forget what every :func:`per_command` memory said: a new command says its warnings
    again."""
    for memory in _PER_COMMAND:
        memory.forget()
