"""The parsers of the options' values (argparse ``type=`` callables): text in, a value out,
or ``argparse.ArgumentTypeError`` saying what was expected and what was found (argparse makes
it one line of bad usage).

Pure text handling, no probnn import below the CLI: building the parser stays cheap.
:mod:`probnn.cli.options` adds the options with them (and re-exports them).
"""

from __future__ import annotations

import argparse
import math


def _hidden(text: str) -> tuple[int, ...]:
    """``--hidden``: layer sizes ``64,64``, or ``none`` / ``0`` for no hidden layer (the GLM)."""
    if text.strip().lower() in ("none", "0"):
        return ()  # the raw outputs linear in the features: the family's GLM
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas, e.g. 64,64, or none (no hidden "
            f"layer); found {text!r}"
        )
    return sizes


def _number(convert, ok, expected: str):
    """An argparse type: ``convert(text)`` passing ``ok``, else "expected <expected>; found ..."."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = math.nan
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}; found {text!r}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_positive_float = _number(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
_non_negative_float = _number(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0")
_fraction = _number(float, lambda v: 0.0 < v < 1.0, "a fraction strictly between 0 and 1")
# (1 - 2**-53, the largest float below 1, has an upper tail level of 1.0: an infinite end)
_coverage = _number(float, lambda v: 0.0 < v < 1.0 and 1.0 - (1.0 - v) / 2.0 < 1.0,
                    "a number strictly between 0 and 1, at most 1 - 2**-52")  # fmt: skip
_jobs = _number(int, lambda v: v >= 1 or v == -1, "a positive integer, or -1 for every core")
# scikit-learn's random_state and NumPy's legacy seeds are integers in [0, 2**32 - 1]
SEED_MAX = 2**32 - 1  # probnn.tables.model.SEED_MAX (not imported: the parser stays light)
_seed = _number(int, lambda v: 0 <= v <= SEED_MAX, f"an integer from 0 to {SEED_MAX} (a NumPy seed)")


def _levels(text: str) -> list[str]:
    # each label exactly as typed between the commas, spaces kept: a CSV field's are part of
    # it (' low' is read as ' low', a label of its own), and a level must name it
    levels = text.split(",")
    if len(levels) < 2 or any(not v for v in levels) or len(set(levels)) != len(levels):
        raise argparse.ArgumentTypeError(
            f"expected at least two distinct class labels in their order, separated by commas, "
            f"e.g. low,medium,high; found {text!r}"
        )
    return levels


def _word_or(word: str, parse, expected: str):
    """An argparse type: ``word`` itself, or what ``parse`` makes of the text."""

    def convert(text: str):
        if text.strip() == word:
            return word
        try:
            return parse(text)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"expected {expected} or {word!r}; found {text!r}"
            ) from None

    return convert


_batch_size = _word_or("auto", _positive_int, "a positive integer")
_alpha = _word_or("evidence", _non_negative_float, "a number >= 0")
# "none" stays a word here: None would read as "not given" (_estimator_params turns it to None)
_average = _word_or("none", _fraction, "a decay strictly between 0 and 1, e.g. 0.995,")


_PRIORS = {"gaussian": "gaussian", "laplace": "laplace", "none": None}


def _prior(text: str) -> str | None:
    if text not in _PRIORS:
        raise argparse.ArgumentTypeError(
            f"expected one of {', '.join(_PRIORS)}; found {text!r}"
        )
    return _PRIORS[text]


def _columns(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _family_param(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name = name.strip()
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not name.isidentifier() or not math.isfinite(number):
        raise argparse.ArgumentTypeError(
            f"expected NAME=NUMBER, e.g. scale=2.5 or df=4; found {text!r}"
        )
    return name, number
