"""``probnn._say_once``: the one memory behind the warnings said once (the command line's
keyed warnings, the tables' spelling and identifier warnings, a preprocessor's transform
warnings).

Oracle: a plain list of the keys seen so far, kept by the test; and the warnings counted as
``warnings.catch_warnings(record=True)`` records them.
"""

from __future__ import annotations

import warnings

from hypothesis import given
from hypothesis import strategies as st

from probnn._say_once import SayOnce, forget_all, per_command

keys = st.lists(st.sampled_from(["a", "b", ("c", 1), ("c", 2), 3]), max_size=30)


@given(keys)
def test_a_key_is_said_the_first_time_only(sequence):
    memory, seen = SayOnce(), []
    for key in sequence:
        assert memory.first_time(key) == (key not in seen)
        seen.append(key)
    memory.forget()
    assert all(memory.first_time(key) for key in dict.fromkeys(sequence))


@given(keys, keys, keys)
def test_keys_said_within_unsaid_are_forgotten_and_the_others_kept(before, within, after):
    memory = SayOnce()
    for key in before:
        memory.first_time(key)
    with memory.unsaid():
        for key in within:
            memory.first_time(key)
    for key in after:  # as if nothing had been said within
        assert memory.first_time(key) == (key not in before)
        before = [*before, key]


def test_unsaid_restores_the_memory_when_the_work_inside_raises():
    memory = SayOnce()
    memory.first_time("kept")
    try:
        with memory.unsaid():
            memory.first_time("within")
            raise RuntimeError
    except RuntimeError:
        pass
    assert memory.first_time("within") and not memory.first_time("kept")


def test_forget_all_forgets_the_memories_of_the_command_only():
    command, own = per_command(), SayOnce()
    command.first_time("k")
    own.first_time("k")
    forget_all()
    assert command.first_time("k") and not own.first_time("k")


def test_a_new_command_says_the_tables_identifier_warning_again():
    """The CLI's ``main`` forgets the tables' memory through ``forget_all``: the identifier
    warning of a column, said once, is said again after it."""
    from probnn.exceptions import DataWarning
    from probnn.tables.columns import _warn_identifier_dropped

    def said() -> int:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _warn_identifier_dropped("say_once_test_id")
            _warn_identifier_dropped("say_once_test_id")
        return sum(issubclass(w.category, DataWarning) for w in caught)

    forget_all()
    assert said() == 1
    assert said() == 0
    forget_all()
    assert said() == 1
